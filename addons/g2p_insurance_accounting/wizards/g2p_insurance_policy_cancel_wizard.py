from odoo import _, fields, models
from odoo.tools import format_amount

from .g2p_insurance_premium_payment_wizard import _notification


class G2PInsurancePolicyCancelWizard(models.TransientModel):
    """Ask for the date from which a cover is cancelled."""

    _name = "g2p.insurance.policy.cancel.wizard"
    _description = "Cancel Cover"

    policy_id = fields.Many2one("g2p.insurance.policy", string="Cover", required=True, readonly=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    date = fields.Date(
        string="Cancellation Date",
        required=True,
        default=fields.Date.context_today,
        help="Within the cover period. For products refunding unused months, the whole months left "
        "after this date are refunded.",
    )

    def action_cancel_cover(self):
        self.ensure_one()
        policy = self.policy_id
        policy._cancel(self.date)
        if policy.refund_amount:
            message = _(
                "Cover cancelled on %(date)s: %(refund)s to refund.",
                date=self.date,
                refund=format_amount(self.env, policy.refund_amount, self.currency_id),
            )
        else:
            message = _("Cover cancelled on %(date)s: nothing to refund.", date=self.date)
        policy.message_post(body=message)
        return _notification(_("Cover cancelled"), message)
