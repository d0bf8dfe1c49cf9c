from odoo import fields, models


class G2pInsuranceProduct(models.Model):
    _inherit = "g2p.insurance.product"

    notice_claim_approved = fields.Boolean(
        string="SMS When a Claim Is Approved",
        help="Tell the family by SMS when one of its claims is approved.",
    )
    notice_claim_rejected = fields.Boolean(
        string="SMS When a Claim Is Rejected",
        help="Tell the family by SMS, with the reason, when one of its claims is rejected.",
    )
