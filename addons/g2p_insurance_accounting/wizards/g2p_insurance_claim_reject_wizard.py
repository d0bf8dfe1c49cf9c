from odoo import _, api, fields, models

from .g2p_insurance_premium_payment_wizard import _notification


class G2PInsuranceClaimRejectWizard(models.TransientModel):
    """Ask for the reason (sent to the family) and the date of a claim's rejection."""

    _name = "g2p.insurance.claim.reject.wizard"
    _description = "Reject Claim"

    claim_id = fields.Many2one("g2p.insurance.claim", string="Claim", required=True, readonly=True)
    reason = fields.Text(
        compute="_compute_reason",
        store=True,
        readonly=False,
        required=True,
        help="Kept on the claim and sent to the holder with the rejection notice.",
    )
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        help="Date of the rejection; a received claim's receipt entry is reversed on this date.",
    )

    @api.depends("claim_id")
    def _compute_reason(self):
        for wizard in self:
            wizard.reason = wizard.claim_id.rejection_reason

    def action_reject(self):
        self.ensure_one()
        self.claim_id._reject(self.reason, self.date)
        return _notification(
            _("Claim rejected"),
            _("Claim %(claim)s rejected; the holder is notified.", claim=self.claim_id.name),
        )
