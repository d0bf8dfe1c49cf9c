from odoo import fields, models
from odoo.fields import Domain


class G2pProgram(models.Model):
    _inherit = "g2p.program"

    require_verified_id = fields.Boolean(
        string="Verified ID Required",
        tracking=True,
        help="Enrol only registrants with an ID the civil registry verified (for a household: its "
        "head's). Registrants already enrolled stay until they are re-verified for eligibility.",
    )
    verified_id_type_ids = fields.Many2many(
        "g2p.id.type",
        string="Of Type",
        help="Only these ID types count as verified; empty: any type.",
    )

    def _eligibility_domain(self):
        domain = super()._eligibility_domain()
        if not self.require_verified_id:
            return domain
        verified = Domain("verification_state", "=", "verified")
        if self.verified_id_type_ids:
            verified &= Domain("id_type_id", "in", self.verified_id_type_ids.ids)
        path = "head_id.reg_id_ids" if self.target_type == "group" else "reg_id_ids"
        return domain & Domain(path, "any", verified)
