from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

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

    @api.model
    def _detect(self):
        """Record every new pair of registrants sharing a normalised key. Returns the number of
        new pairs. One INSERT … SELECT per key; re-running adds nothing already recorded."""
        self.env["g2p.phone.number"].flush_model(["partner_id", "phone_number", "disabled"])
        self.env["res.partner"].flush_model(["name", "birthdate", "is_registrant", "is_group"])
        uid = self.env.uid
        queries = [
            SQL(
                """
                SELECT a.partner_id, b.partner_id, 'phone', 1.0
                  FROM g2p_phone_number a
                  JOIN g2p_phone_number b ON b.phone_number = a.phone_number AND b.partner_id > a.partner_id
                 WHERE a.disabled IS NOT TRUE AND b.disabled IS NOT TRUE
                """
            ),
            SQL(
                """
                SELECT a.id, b.id, 'name_birthdate', 0.9
                  FROM res_partner a
                  JOIN res_partner b
                    ON b.birthdate = a.birthdate
                   AND lower(regexp_replace(b.name, '\\s+', ' ', 'g'))
                     = lower(regexp_replace(a.name, '\\s+', ' ', 'g'))
                   AND b.id > a.id
                 WHERE a.is_registrant AND b.is_registrant AND NOT a.is_group AND NOT b.is_group
                   AND a.birthdate IS NOT NULL
                """
            ),
        ]
        created = 0
        for query in queries:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO g2p_duplicate (registrant_id, duplicate_id, reason, score, state,
                                               create_uid, write_uid, create_date, write_date)
                    SELECT pair.*, 'pending', %(uid)s, %(uid)s,
                           now() at time zone 'UTC', now() at time zone 'UTC'
                      FROM (%(query)s) AS pair
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
        self._review("confirmed")
        for pair in self:
            pair.duplicate_id.duplicate_of_id = pair.registrant_id
        return True

    def action_dismiss(self):
        self._review("dismissed")
        return True
