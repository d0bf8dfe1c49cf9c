from odoo import _, fields, models

# field on res.company -> (code, account_type, reconcile, name)
INSURANCE_ACCOUNTS = {
    "g2p_ins_premium_receivable_account_id": (
        "INS1100",
        "asset_receivable",
        True,
        "Insurance premium receivable",
    ),
    "g2p_ins_premium_income_account_id": ("INS4100", "income", False, "Insurance premium income"),
    "g2p_ins_premium_refundable_account_id": (
        "INS2200",
        "liability_current",
        True,
        "Insurance premium refundable",
    ),
    "g2p_ins_claims_expense_account_id": ("INS5100", "expense", False, "Medical claims expense"),
    "g2p_ins_family_account_id": ("INS1200", "asset_current", True, "Family shared account"),
    "g2p_ins_provider_payable_account_id": ("INS2100", "liability_payable", True, "Provider payable"),
}
INSURANCE_JOURNAL_CODE = "INSUR"


class ResCompany(models.Model):
    _inherit = "res.company"

    g2p_ins_premium_receivable_account_id = fields.Many2one(
        "account.account", string="Premium Receivable Account", check_company=True
    )
    g2p_ins_premium_income_account_id = fields.Many2one(
        "account.account", string="Premium Income Account", check_company=True
    )
    g2p_ins_premium_refundable_account_id = fields.Many2one(
        "account.account", string="Premium Refundable Account", check_company=True
    )
    g2p_ins_claims_expense_account_id = fields.Many2one(
        "account.account", string="Medical Claims Expense Account", check_company=True
    )
    g2p_ins_family_account_id = fields.Many2one(
        "account.account",
        string="Family Shared Account",
        check_company=True,
        help="Reconcilable account: one sub-ledger per family (the family partner on its lines).",
    )
    g2p_ins_provider_payable_account_id = fields.Many2one(
        "account.account", string="Provider Payable Account", check_company=True
    )
    g2p_ins_journal_id = fields.Many2one(
        "account.journal",
        string="Insurance Journal",
        check_company=True,
        help="Miscellaneous journal for premiums, claims and refunds (bank movements use the bank journal).",
    )
    g2p_ins_bank_journal_id = fields.Many2one(
        "account.journal",
        string="Insurance Bank Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank journal used for premium, excess, claim and refund payments. "
        "Defaults to the first bank journal of the company.",
    )

    def _g2p_insurance_accounts(self):
        """Return the insurance accounts and journals of the company as a dict, created on first
        use (g2p_account's ``_g2p_ensure_accounting``). Raises a clear error when the company has
        no chart of accounts or no bank journal."""
        self.ensure_one()
        company = self._g2p_ensure_accounting(
            {
                "purpose": _("health insurance"),
                "accounts": INSURANCE_ACCOUNTS,
                "journals": {"g2p_ins_journal_id": (INSURANCE_JOURNAL_CODE, _("Health Insurance"))},
                "bank_journal": "g2p_ins_bank_journal_id",
            }
        ).sudo()
        result = {field_name: company[field_name] for field_name in INSURANCE_ACCOUNTS}
        result["journal"] = company.g2p_ins_journal_id
        result["bank_journal"] = company.g2p_ins_bank_journal_id
        result["bank_account"] = company.g2p_ins_bank_journal_id.default_account_id
        return result
