import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: Two individuals born the same day whose folded names are at least this similar (pg_trgm's
#: similarity, 0 to 1) are proposed; ir.config_parameter ``g2p_registry.duplicate_name_similarity``.
NAME_SIMILARITY = 0.6
SIMILARITY_PARAM = "g2p_registry.duplicate_name_similarity"

DUPLICATE_STATES = [
    ("pending", "To Review"),
    ("confirmed", "Confirmed Duplicate"),
    ("dismissed", "Not a Duplicate"),
]


class G2pDuplicate(models.Model):
    """A pair of registrants that may be the same person or household. Detection is set-based
    SQL over normalised keys; a reviewer confirms or dismisses each pair. Confirming marks the
    newer registrant as a duplicate of the older one, so programs do not enrol it twice."""

    _name = "g2p.duplicate"
    _description = "Possible Duplicate Registrants"
    _inherit = ["mail.thread"]
    _order = "state, score desc, id desc"

    registrant_id = fields.Many2one(
        "res.partner", string="Registrant", required=True, ondelete="cascade", index=True
    )
    duplicate_id = fields.Many2one(
        "res.partner", string="Possible Duplicate", required=True, ondelete="cascade", index=True
    )
    score = fields.Float(help="1.0 = same key exactly.", aggregator="max")
    reason = fields.Selection(
        [
            ("phone", "Same phone number"),
            ("name_birthdate", "Same name and date of birth"),
            ("similar_name", "Similar name, same date of birth"),
            ("manual", "Reported"),
        ],
        required=True,
    )
    state = fields.Selection(DUPLICATE_STATES, default="pending", required=True, tracking=True, index=True)
    reviewed_by_id = fields.Many2one("res.users", readonly=True)
    reviewed_date = fields.Datetime(readonly=True)
    note = fields.Text()

    _pair_uniq = models.Constraint(
        "UNIQUE (registrant_id, duplicate_id, reason)", "This pair is already recorded for this reason."
    )
    _ordered_pair = models.Constraint(
        "CHECK (registrant_id < duplicate_id)", "The older registrant comes first in a duplicate pair."
    )

    def init(self):
        # pg_trgm gives the name similarity, unaccent the accent folding; both ship with
        # PostgreSQL (contrib). Without the right to create them, detection falls back (below).
        for extension in ("pg_trgm", "unaccent"):
            try:
                with self.env.cr.savepoint():
                    self.env.cr.execute(SQL("CREATE EXTENSION IF NOT EXISTS %s", SQL.identifier(extension)))
            except Exception as error:  # noqa: BLE001 - any refusal leaves detection without it
                _logger.warning("PostgreSQL extension %s is not available: %s", extension, error)

    def _extensions(self):
        rows = self.env.execute_query(
            SQL("SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'unaccent')")
        )
        return {name for (name,) in rows}

    def _folded_name(self, extensions, column):
        """The name as people write it: case, accents and spacing folded."""
        spaced = SQL("regexp_replace(%s, '\\s+', ' ', 'g')", column)
        if "unaccent" in extensions:
            spaced = SQL("unaccent(%s)", spaced)
        return SQL("lower(btrim(%s))", spaced)

    @api.model
    def _detect(self):
        """Record every new pair of registrants sharing a normalised key, with its score: one
        INSERT … SELECT per key, whole-registry and set-based (individuals are blocked by date
        of birth, so names are only compared within a day). Returns the number of new pairs.
        Re-running adds nothing already recorded, and a pair a reviewer dismissed is never
        proposed again, whatever the key."""
        self.env["g2p.phone.number"].flush_model(["partner_id", "phone_number", "disabled"])
        self.env["res.partner"].flush_model(["name", "birthdate", "is_registrant", "is_group"])
        self.flush_model()
        extensions = self._extensions()
        threshold = float(
            self.env["ir.config_parameter"].sudo().get_param(SIMILARITY_PARAM) or NAME_SIMILARITY
        )
        uid = self.env.uid
        folded = self._folded_name(extensions, SQL("name"))
        people = SQL(
            """SELECT id, birthdate, folded,
                      left(folded, 1) AS first_initial,
                      substring(folded from '(\\S)\\S*$') AS last_initial
                 FROM (SELECT id, birthdate, %s AS folded FROM res_partner
                        WHERE is_registrant AND NOT is_group AND birthdate IS NOT NULL
                          AND name IS NOT NULL) AS named""",
            folded,
        )
        queries = [
            SQL(
                """
                SELECT a.partner_id, b.partner_id, 'phone', 1.0
                  FROM g2p_phone_number a
                  JOIN g2p_phone_number b ON b.phone_number = a.phone_number AND b.partner_id > a.partner_id
                  -- Of the same kind: a household and its head often give the same number.
                  JOIN res_partner pa ON pa.id = a.partner_id
                  JOIN res_partner pb ON pb.id = b.partner_id AND pb.is_group = pa.is_group
                 WHERE a.disabled IS NOT TRUE AND b.disabled IS NOT TRUE
                """
            ),
            SQL(
                """
                WITH people AS MATERIALIZED (%s)
                SELECT a.id, b.id, 'name_birthdate', 0.9
                  FROM people a
                  JOIN people b ON b.birthdate = a.birthdate AND b.folded = a.folded AND b.id > a.id
                """,
                people,
            ),
        ]
        if "pg_trgm" in extensions:
            # Blocked by date of birth and an initial (of the first name, or of the last): a
            # typo is caught unless it is in both initials, and the names compared per person
            # are those born the same day with the same initial, not the whole registry.
            queries.append(
                SQL(
                    """
                    WITH people AS MATERIALIZED (%s),
                    candidates AS (
                        SELECT a.id AS a_id, b.id AS b_id, a.folded AS a_name, b.folded AS b_name
                          FROM people a
                          JOIN people b ON b.birthdate = a.birthdate AND b.id > a.id
                                       AND b.first_initial = a.first_initial AND b.folded <> a.folded
                        UNION
                        SELECT a.id, b.id, a.folded, b.folded
                          FROM people a
                          JOIN people b ON b.birthdate = a.birthdate AND b.id > a.id
                                       AND b.last_initial = a.last_initial AND b.folded <> a.folded
                    ),
                    scored AS (
                        SELECT a_id, b_id, similarity(a_name, b_name) AS score FROM candidates
                    )
                    SELECT a_id, b_id, 'similar_name', round(score::numeric, 2)
                      FROM scored WHERE score >= %s
                    """,
                    people,
                    threshold,
                )
            )
        created = 0
        for query in queries:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO g2p_duplicate (registrant_id, duplicate_id, reason, score, state,
                                               create_uid, write_uid, create_date, write_date)
                    SELECT pair.*, 'pending', %(uid)s, %(uid)s,
                           now() at time zone 'UTC', now() at time zone 'UTC'
                      FROM (%(query)s) AS pair (registrant_id, duplicate_id, reason, score)
                     WHERE NOT EXISTS (SELECT 1 FROM g2p_duplicate d
                                        WHERE d.registrant_id = pair.registrant_id
                                          AND d.duplicate_id = pair.duplicate_id
                                          AND d.state = 'dismissed')
                    ON CONFLICT (registrant_id, duplicate_id, reason) DO NOTHING
                    """,
                    uid=uid,
                    query=query,
                )
            )
            created += self.env.cr.rowcount
        self.invalidate_model()
        return created

    @api.model
    def action_detect(self):
        count = self._detect()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Duplicate detection"),
                "message": _("%s new possible duplicate pairs found.", count),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _review(self, state):
        not_pending = self.filtered(lambda d: d.state != "pending")
        if not_pending:
            raise UserError(_("Only pairs to review can be confirmed or dismissed."))
        self.write({"state": state, "reviewed_by_id": self.env.uid, "reviewed_date": fields.Datetime.now()})

    def action_confirm(self):
        """The newer registrant is the duplicate: merged into the older (see
        ``res.partner._merge_into``), once per pair of registrants; the pair's other pending
        reasons are confirmed with it."""
        self._review("confirmed")
        merged = set()
        for pair in self:
            key = (pair.registrant_id.id, pair.duplicate_id.id)
            if key in merged:
                continue
            merged.add(key)
            self.search(
                [
                    ("registrant_id", "=", key[0]),
                    ("duplicate_id", "=", key[1]),
                    ("state", "=", "pending"),
                ]
            )._review("confirmed")
            pair.duplicate_id._merge_into(pair.registrant_id)
        return True

    def action_dismiss(self):
        self._review("dismissed")
        return True
