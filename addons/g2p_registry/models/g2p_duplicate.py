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
        # New records are compared with the individuals born the same days (_candidates_for): their
        # ids and names in the index too, so they are read from it, not from a page of res_partner each.
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS res_partner_g2p_duplicate_birthdate_index
                       ON res_partner (birthdate) INCLUDE (id, name) WHERE is_registrant AND NOT is_group"""
            )
        )

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

    def _people(self, extensions, source):
        """The people of ``source`` (SQL of rows id, birthdate, name) as the name keys compare
        them: folded name and its initials, with the date of birth."""
        folded = self._folded_name(extensions, SQL("name"))
        # OFFSET 0 keeps the subquery as it is: the name is folded once, not once per use below.
        # Folded names have single spaces: the last word's initial is the first word's of the
        # name reversed, read without a regular expression.
        return SQL(
            """SELECT id, birthdate, folded,
                      left(folded, 1) AS first_initial,
                      right(split_part(reverse(folded), ' ', 1), 1) AS last_initial
                 FROM (SELECT id, birthdate, %s AS folded FROM (%s) AS source
                        WHERE birthdate IS NOT NULL AND name IS NOT NULL OFFSET 0) AS named""",
            folded,
            source,
        )

    def _registry_people(self, extensions, where=None):
        """:meth:`_people` of the registry's individuals (``where``: an SQL condition on them)."""
        return self._people(
            extensions,
            SQL(
                "SELECT id, birthdate, name FROM res_partner WHERE is_registrant AND NOT is_group AND %s",
                where or SQL("TRUE"),
            ),
        )

    def _registry_phones(self, where=None):
        """Rows (id, phone_number, is_group): the numbers that still reach their registrant."""
        return SQL(
            """SELECT n.partner_id AS id, n.phone_number, p.is_group
                 FROM g2p_phone_number n JOIN res_partner p ON p.id = n.partner_id
                WHERE n.disabled IS NOT TRUE AND %s""",
            where or SQL("TRUE"),
        )

    def _similarity_threshold(self):
        return float(self.env["ir.config_parameter"].sudo().get_param(SIMILARITY_PARAM) or NAME_SIMILARITY)

    def _key_queries(self, extensions, ctes, keys=None):
        """One SELECT of pairs (a, b, reason, score), b > a, per key: the keys are the same
        whatever is compared. ``ctes`` (the WITH list) defines the relations ``people_a`` and
        ``people_b`` (rows of :meth:`_people`), ``phones_a`` and ``phones_b`` (rows of
        :meth:`_registry_phones`) and, for the "id" key, ``ids_a`` and ``ids_b`` (id, id_type_id,
        value): the registry on both sides for a scan, records not in it yet against it for an
        intake (:meth:`_candidates_for`). ``keys`` limits the keys (all by default but "id": the
        registry never holds an ID number of a type twice)."""
        keys = keys or ("phone", "name_birthdate", "similar_name")
        queries = []
        if "id" in keys:
            queries.append(
                SQL(
                    """WITH %s
                    SELECT a.id, b.id, 'id', 1.0
                      FROM ids_a a JOIN ids_b b ON b.id_type_id = a.id_type_id AND b.value = a.value
                                                AND b.id > a.id""",
                    ctes,
                )
            )
        if "phone" in keys:
            queries.append(
                SQL(
                    """WITH %s
                    SELECT a.id, b.id, 'phone', 1.0
                      FROM phones_a a
                      -- Of the same kind: a household and its head often give the same number.
                      JOIN phones_b b ON b.phone_number = a.phone_number AND b.id > a.id
                                     AND b.is_group = a.is_group""",
                    ctes,
                )
            )
        if "name_birthdate" in keys:
            queries.append(
                SQL(
                    """WITH %s
                    SELECT a.id, b.id, 'name_birthdate', 0.9
                      FROM people_a a
                      JOIN people_b b ON b.birthdate = a.birthdate AND b.folded = a.folded AND b.id > a.id""",
                    ctes,
                )
            )
        if "similar_name" in keys and "pg_trgm" in extensions:
            # Blocked by date of birth and an initial (of the first name, or of the last): a
            # typo is caught unless it is in both initials, and the names compared per person
            # are those born the same day with the same initial, not the whole registry.
            queries.append(
                SQL(
                    """WITH %s,
                    candidates AS (
                        SELECT a.id AS a_id, b.id AS b_id, a.folded AS a_name, b.folded AS b_name
                          FROM people_a a
                          JOIN people_b b ON b.birthdate = a.birthdate AND b.id > a.id
                                         AND b.first_initial = a.first_initial AND b.folded <> a.folded
                        UNION
                        SELECT a.id, b.id, a.folded, b.folded
                          FROM people_a a
                          JOIN people_b b ON b.birthdate = a.birthdate AND b.id > a.id
                                         AND b.last_initial = a.last_initial AND b.folded <> a.folded
                    ),
                    scored AS (
                        SELECT a_id, b_id, similarity(a_name, b_name) AS score FROM candidates
                    )
                    SELECT a_id, b_id, 'similar_name', round(score::numeric, 2)
                      FROM scored WHERE score >= %s""",
                    ctes,
                    self._similarity_threshold(),
                )
            )
        return queries

    @api.model
    def _detect(self):
        """Record every new pair of registrants sharing a normalised key, with its score: one
        INSERT … SELECT per key, whole-registry and set-based (individuals are blocked by date
        of birth, so names are only compared within a day). Returns the number of new pairs.
        Re-running adds nothing already recorded, and a pair a reviewer dismissed is never
        proposed again, whatever the key."""
        self._flush_keys()
        extensions = self._extensions()
        ctes = SQL(
            # The b sides are the a sides under another name, not copies.
            """people_a AS MATERIALIZED (%s), people_b AS NOT MATERIALIZED (SELECT * FROM people_a),
               phones_a AS MATERIALIZED (%s), phones_b AS NOT MATERIALIZED (SELECT * FROM phones_a)""",
            self._registry_people(extensions),
            self._registry_phones(),
        )
        created = 0
        for query in self._key_queries(extensions, ctes):
            created += self._insert_pairs(query)
        self.invalidate_model()
        return created

    def _flush_keys(self):
        self.env["g2p.phone.number"].flush_model(["partner_id", "phone_number", "disabled"])
        self.env["g2p.registrant.id"].flush_model(["partner_id", "id_type_id", "value"])
        self.env["res.partner"].flush_model(["name", "birthdate", "is_registrant", "is_group"])
        self.flush_model()

    def _insert_pairs(self, query):
        """Record the pairs ``query`` selects (registrant_id < duplicate_id, reason, score) that
        are new and not dismissed; returns how many."""
        uid = self.env.uid
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
        return self.env.cr.rowcount

    @api.model
    def _candidates_for(self, probes, keys=None):
        """The registrants each of ``probes`` (people not in the registry yet, e.g. an intake
        batch) may be, by the keys of :meth:`_detect`, and the probes that may be each other:
        one query per key for the whole list, whatever its length.

        A probe is a dict with ``name``, ``birthdate``, ``is_group`` (only individuals are
        compared by name), ``phones`` (E.164 numbers) and ``ids`` ([(id_type_id, value)]), each
        optional. Returns rows (probe index, registrant id or None, other probe index or None,
        reason, score); ``keys`` limits the reasons looked for (default: every key and "id")."""
        if not probes:
            return []
        self._flush_keys()
        extensions = self._extensions()
        # Probe i is -(i + 1) in the queries: below every registrant, so "b > a" pairs a probe with
        # every registrant and with the probes before it.
        people = [(-i - 1, p) for i, p in enumerate(probes) if not p.get("is_group")]
        phones = [
            (-i - 1, n, bool(p.get("is_group"))) for i, p in enumerate(probes) for n in p.get("phones") or ()
        ]
        ids = [(-i - 1, t, v) for i, p in enumerate(probes) for t, v in p.get("ids") or ()]
        probe_people = self._people(
            extensions,
            SQL(
                "SELECT * FROM unnest(%s::int[], %s::date[], %s::varchar[]) AS p(id, birthdate, name)",
                [i for i, _p in people],
                [p.get("birthdate") or None for _i, p in people],
                [p.get("name") or None for _i, p in people],
            ),
        )
        # Both sides in temporary tables, analysed: each key query then plans with the real sizes,
        # and the registry's people born the probes' days are read and folded once for all keys.
        tables = {
            "people_a": probe_people,
            "phones_a": SQL(
                "SELECT * FROM unnest(%s::int[], %s::varchar[], %s::bool[]) AS p(id, phone_number, is_group)",
                [row[0] for row in phones],
                [row[1] for row in phones],
                [row[2] for row in phones],
            ),
            "ids_a": SQL(
                "SELECT * FROM unnest(%s::int[], %s::int[], %s::varchar[]) AS p(id, id_type_id, value)",
                [row[0] for row in ids],
                [row[1] for row in ids],
                [row[2] for row in ids],
            ),
            "people_b": SQL(
                "%s UNION ALL SELECT * FROM g2p_duplicate_people_a",
                self._registry_people(
                    extensions, SQL("birthdate IN (SELECT birthdate FROM g2p_duplicate_people_a)")
                ),
            ),
            "phones_b": SQL(
                "%s UNION ALL SELECT * FROM g2p_duplicate_phones_a",
                self._registry_phones(
                    SQL("n.phone_number IN (SELECT phone_number FROM g2p_duplicate_phones_a)")
                ),
            ),
            "ids_b": SQL(
                """SELECT r.partner_id AS id, r.id_type_id, r.value
                     FROM g2p_registrant_id r
                     JOIN g2p_duplicate_ids_a k ON k.id_type_id = r.id_type_id AND k.value = r.value
                   UNION ALL SELECT * FROM g2p_duplicate_ids_a""",
            ),
        }
        cr = self.env.cr
        # Compiling these queries (PostgreSQL's JIT, for their estimated cost) takes longer than
        # running them: off for this method, then as it was.
        [(jit,)] = self.env.execute_query(SQL("SELECT current_setting('jit', true)"))
        if jit:
            cr.execute(SQL("SET LOCAL jit = off"))
        for name, query in tables.items():
            table = SQL.identifier("g2p_duplicate_" + name)
            cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
            cr.execute(SQL("CREATE TEMPORARY TABLE %s ON COMMIT DROP AS %s", table, query))
            cr.execute(SQL("ANALYZE %s", table))
        ctes = SQL(", ").join(
            SQL(
                "%s AS NOT MATERIALIZED (SELECT * FROM %s)",
                SQL.identifier(name),
                SQL.identifier("g2p_duplicate_" + name),
            )
            for name in tables
        )
        found = {}
        for query in self._key_queries(
            extensions, ctes, keys or ("id", "phone", "name_birthdate", "similar_name")
        ):
            for a, b, reason, score in self.env.execute_query(query):
                key = (-a - 1, b if b > 0 else None, -b - 1 if b < 0 else None, reason)
                found[key] = max(float(score), found.get(key, 0.0))
        for name in tables:
            cr.execute(SQL("DROP TABLE %s", SQL.identifier("g2p_duplicate_" + name)))
        if jit:
            cr.execute(SQL("SELECT set_config('jit', %s, true)", jit))
        return [(*key, score) for key, score in found.items()]

    @api.model
    def _same_name_and_birthdate(self, name, birthdate, limit=None):
        """The individuals whose name folds as ``name`` does, born on ``birthdate``: the
        "name_birthdate" key for one person, in one query."""
        if not (name and birthdate):
            return []
        self._flush_keys()
        extensions = self._extensions()
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM (%s) AS people
                    WHERE folded = (SELECT folded FROM (%s) AS probe) ORDER BY id %s""",
                self._registry_people(extensions, SQL("birthdate = %s", birthdate)),
                self._people(
                    extensions,
                    SQL("SELECT 0 AS id, %s::date AS birthdate, %s::varchar AS name", birthdate, name),
                ),
                SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        return [partner_id for (partner_id,) in rows]

    @api.model
    def _record_pairs(self, pairs):
        """Record ``pairs`` ([(registrant id, registrant id, reason, score)], in any order) for
        review, as :meth:`_detect` would; returns how many are new."""
        rows = sorted({(min(a, b), max(a, b), reason, score) for a, b, reason, score in pairs if a != b})
        if not rows:
            return 0
        self.flush_model()
        created = self._insert_pairs(
            SQL(
                "SELECT * FROM unnest(%s::int[], %s::int[], %s::varchar[], %s::numeric[])",
                *([row[i] for row in rows] for i in range(4)),
            )
        )
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
