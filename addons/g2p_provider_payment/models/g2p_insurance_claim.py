from odoo import _, fields, models
from odoo.exceptions import UserError


class G2PInsuranceClaim(models.Model):
    _inherit = "g2p.insurance.claim"

    provider_payment_line_id = fields.Many2one(
        "g2p.provider.payment.line",
        string="Provider Payment",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The payment run's payment that pays this claim to the provider.",
    )
    provider_payment_run_id = fields.Many2one(related="provider_payment_line_id.run_id", string="Payment Run")

    def _pay_provider(self, date=None, journal=None, credit_account=None, ref=None):
        """A claim in a live payment run is paid by that run only (never also by the bank)."""
        line_id = self.env.context.get("g2p_provider_payment_line")
        held = self.filtered(
            lambda claim: claim.provider_payment_line_id
            and claim.provider_payment_line_id.state != "cancelled"
            and claim.provider_payment_line_id.id != line_id
        )
        if held:
            raise UserError(
                _(
                    "Claim %(claim)s is paid by payment run %(run)s: it cannot be paid another way.",
                    claim=held[0].name,
                    run=held[0].provider_payment_run_id.name,
                )
            )
        return super()._pay_provider(date=date, journal=journal, credit_account=credit_account, ref=ref)
