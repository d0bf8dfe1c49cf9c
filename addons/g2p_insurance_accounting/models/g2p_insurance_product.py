from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_company import INSURANCE_ACCOUNTS


class G2PInsuranceProduct(models.Model):
    _name = "g2p.insurance.product"
    _description = "Health Insurance Product"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    limit_type = fields.Selection(
        [("family", "Shared by the Family"), ("member", "Per Member")],
        required=True,
        default="family",
        tracking=True,
        help="Whether the total limit and the category caps are shared by all covered members or "
        "apply to each member separately.",
    )
    total_limit = fields.Monetary(required=True, tracking=True, help="Most the cover pays per period.")
    premium = fields.Monetary(required=True, tracking=True, help="Premium for one cover period.")
    period_months = fields.Integer(string="Period (months)", required=True, default=12)
    grace_days = fields.Integer(
        string="Grace Period (days)",
        default=30,
        help="Days after the cover starts before an unpaid premium suspends the cover.",
    )
    claim_runoff_days = fields.Integer(
        string="Claims Run-off (days)",
        default=90,
        help="Claims for services received while a cover was in force are still paid when they arrive "
        "within this many days after the cover was cancelled or expired.",
    )
    refund_policy = fields.Selection(
        [("unused_months", "Unused whole months"), ("none", "No refund")],
        required=True,
        default="unused_months",
        help="On cancellation: refund unused whole months x premium / period months, or nothing.",
    )
    category_rule_ids = fields.One2many("g2p.insurance.product.category", "product_id", string="Categories")

    # Optional overrides of the company accounts
    premium_receivable_account_id = fields.Many2one("account.account", check_company=True)
    premium_income_account_id = fields.Many2one("account.account", check_company=True)
    premium_refundable_account_id = fields.Many2one("account.account", check_company=True)
    claims_expense_account_id = fields.Many2one("account.account", check_company=True)
    family_account_id = fields.Many2one("account.account", string="Family Shared Account", check_company=True)
    provider_payable_account_id = fields.Many2one("account.account", check_company=True)

    _code_company_uniq = models.UniqueIndex("(company_id, code)", "Product codes must be unique per company.")
    _positive = models.Constraint(
        "CHECK (total_limit > 0 AND premium >= 0 AND period_months > 0 AND grace_days >= 0)",
        "The total limit and the period must be positive, the premium and grace period not negative.",
    )
    _runoff_not_negative = models.Constraint(
        "CHECK (claim_runoff_days >= 0)", "The claims run-off period cannot be negative."
    )

    @api.constrains("family_account_id", "premium_receivable_account_id", "provider_payable_account_id")
    def _check_reconcilable(self):
        for product in self:
            for account in (
                product.family_account_id,
                product.premium_receivable_account_id,
                product.provider_payable_account_id,
                product.premium_refundable_account_id,
            ):
                if account and not account.reconcile:
                    raise ValidationError(
                        _("The account %(account)s must allow reconciliation.", account=account.display_name)
                    )

    def _get_accounts(self):
        """The accounts and journals to post with: the product's overrides, else the company's."""
        self.ensure_one()
        accounts = self.company_id._g2p_insurance_accounts()
        for company_field in INSURANCE_ACCOUNTS:
            product_field = company_field.removeprefix("g2p_ins_")
            if self[product_field]:
                accounts[company_field] = self[product_field]
        return {
            "receivable": accounts["g2p_ins_premium_receivable_account_id"],
            "income": accounts["g2p_ins_premium_income_account_id"],
            "refundable": accounts["g2p_ins_premium_refundable_account_id"],
            "expense": accounts["g2p_ins_claims_expense_account_id"],
            "family": accounts["g2p_ins_family_account_id"],
            "payable": accounts["g2p_ins_provider_payable_account_id"],
            "journal": accounts["journal"],
            "bank_journal": accounts["bank_journal"],
            "bank": accounts["bank_account"],
        }

    def _rule_for(self, category):
        self.ensure_one()
        return self.category_rule_ids.filtered(lambda r: r.category_id == category)[:1]
