from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_insurance_accounting.models.g2p_insurance_policy import FINANCE_GROUP


class G2pPaymentCollection(models.Model):
    """A request to pay that collects (part of) a cover's premium."""

    _inherit = "g2p.payment.collection"

    policy_id = fields.Many2one(
        "g2p.insurance.policy",
        string="Cover",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
        check_company=True,
        help="The cover whose premium this request collects.",
    )

    def _finance_groups(self):
        return (*super()._finance_groups(), FINANCE_GROUP)

    def _post_collected(self, amount, date):
        """The premium received in the PSP's clearing account: Dr PSP clearing / Cr premium
        receivable on the insurance journal, reconciled with the cover's premium. More than is
        still due (the premium was paid meanwhile by another way) is refused with its reason: the
        status job fails visibly and finance refunds or allocates the money."""
        if not self.policy_id:
            return super()._post_collected(amount, date)
        policy = self.policy_id.sudo()
        if self.currency_id.compare_amounts(amount, policy.premium_residual) > 0:
            raise UserError(
                _(
                    "Collection %(collection)s brought %(amount)s but cover %(cover)s only has %(due)s "
                    "due: allocate the difference by hand.",
                    collection=self.name,
                    amount=amount,
                    cover=policy.name,
                    due=policy.premium_residual,
                )
            )
        accounts = policy.product_id._get_accounts()
        return policy._register_premium_payment(
            amount,
            date,
            debit_account=self._clearing_account(),
            journal=accounts["journal"],
            ref=_("Premium collected %(collection)s (%(cover)s)", collection=self.name, cover=policy.name),
        )
