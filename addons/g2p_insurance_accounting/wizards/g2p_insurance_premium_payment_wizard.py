from odoo import _, api, fields, models
from odoo.tools import format_amount, format_date


class G2PInsurancePremiumPaymentWizard(models.TransientModel):
    """Ask for the amount and the date of a premium payment received in the bank."""

    _name = "g2p.insurance.premium.payment.wizard"
    _description = "Register Premium Payment"

    policy_id = fields.Many2one("g2p.insurance.policy", string="Cover", required=True, readonly=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    premium_residual = fields.Monetary(related="policy_id.premium_residual", string="Premium Due")
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        required=True,
        help="Amount received in the bank; at most the premium still due. A part payment leaves the "
        "rest due.",
    )
    date = fields.Date(
        required=True, default=fields.Date.context_today, help="Date of the receipt on the bank statement."
    )

    @api.depends("policy_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.policy_id.premium_residual

    def action_register(self):
        self.ensure_one()
        policy = self.policy_id
        policy._register_premium_payment(self.amount, self.date)
        message = _(
            "Premium payment of %(amount)s registered on %(date)s; still due: %(due)s.",
            amount=format_amount(self.env, self.amount, self.currency_id),
            date=format_date(self.env, self.date),
            due=format_amount(self.env, policy.premium_residual, self.currency_id),
        )
        policy.message_post(body=message)
        return _notification(_("Premium payment registered"), message)


def _notification(title, message):
    """The client action telling the user what happened, then closing the wizard and reloading."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": "success",
            "next": {"type": "ir.actions.act_window_close"},
        },
    }
