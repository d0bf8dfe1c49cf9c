from odoo import fields, models

FINANCE_GROUP = "g2p_insurance_accounting.group_g2p_insurance_finance"


class G2pPaymentTransfer(models.Model):
    """A transfer that pays a provider for its claims (a payment of a provider payment run)."""

    _inherit = "g2p.payment.transfer"

    provider_payment_line_id = fields.Many2one(
        "g2p.provider.payment.line", string="Provider Payment", readonly=True, index="btree_not_null"
    )
    provider_payment_run_id = fields.Many2one(related="provider_payment_line_id.run_id", string="Payment Run")

    def _finance_groups(self):
        return (*super()._finance_groups(), FINANCE_GROUP)

    def _retry_vals(self):
        return {**super()._retry_vals(), "provider_payment_line_id": self.provider_payment_line_id.id}

    def _post_paid(self, date):
        if not self.provider_payment_line_id:
            return super()._post_paid(date)
        return self.provider_payment_line_id._on_paid(self, date)

    def _on_failed(self, reason):
        super()._on_failed(reason)
        self.provider_payment_line_id._on_failed(reason)
