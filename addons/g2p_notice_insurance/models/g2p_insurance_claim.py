from odoo import api, fields, models
from odoo.tools import SQL

SWITCHES = {"claim_approved": "notice_claim_approved", "claim_rejected": "notice_claim_rejected"}


class G2pInsuranceClaim(models.Model):
    _inherit = "g2p.insurance.claim"

    notice_partner_id = fields.Many2one(
        "res.partner",
        compute="_compute_notice_partner_id",
        string="Told",
        help="The person told of the claim: the cover's holder, the head for a household.",
    )

    @api.depends("holder_id.head_id")
    def _compute_notice_partner_id(self):
        for claim in self:
            holder = claim.holder_id
            claim.notice_partner_id = holder.head_id if holder.is_group and holder.head_id else holder

    def _g2p_transition(self, target, allowed_from, vals=None, message=None, why=None):
        changed = super()._g2p_transition(target, allowed_from, vals=vals, message=message, why=why)
        if target in ("approved", "rejected"):
            changed._g2p_notice_event("claim_" + target)
        return changed

    def _g2p_notice_event(self, kind):
        """The one extension point: the claims of ``self`` were just approved or rejected."""
        self.env["g2p.notice"]._g2p_notify(kind, self)

    def _g2p_notice_enabled_ids(self, kind):
        if not self:
            return []
        self.env["g2p.insurance.product"].flush_model([SWITCHES[kind]])
        self.flush_recordset(["policy_id"])
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """SELECT c.id FROM g2p_insurance_claim c
                         JOIN g2p_insurance_policy p ON p.id = c.policy_id
                         JOIN g2p_insurance_product pr ON pr.id = p.product_id
                        WHERE c.id = ANY(%s) AND pr.%s ORDER BY c.id""",
                    self.ids,
                    SQL.identifier(SWITCHES[kind]),
                )
            )
        ]

    def _g2p_notice_targets(self):
        """The cover's holder; for a household, its head."""
        self.flush_recordset(["holder_id", "company_id", "name"])
        self.env["res.partner"].flush_model(["is_group", "head_id"])
        return self.env.execute_query_dict(
            SQL(
                """SELECT c.id AS res_id,
                          CASE WHEN h.is_group THEN COALESCE(h.head_id, h.id) ELSE h.id END AS partner_id,
                          NULL::int AS program_id, c.company_id, c.name AS reference
                     FROM g2p_insurance_claim c JOIN res_partner h ON h.id = c.holder_id
                    WHERE c.id = ANY(%s) ORDER BY c.id""",
                self.ids,
            )
        )
