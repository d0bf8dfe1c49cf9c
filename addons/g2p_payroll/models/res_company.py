from odoo import _, fields, models

# field on res.company -> (code, account_type, reconcile, name)
PAYROLL_ACCOUNTS = {
    "g2p_benefit_expense_account_id": ("G2P5100", "expense", False, "Social benefit expense"),
    "g2p_beneficiary_payable_account_id": ("G2P2100", "liability_current", True, "Beneficiary payables"),
    "g2p_funding_account_id": ("G2P4100", "income_other", False, "Program funding received"),
    "g2p_fee_expense_account_id": ("G2P5200", "expense", False, "Payment service provider fees"),
}
PSP_CLEARING_PREFIX = "G2P13"
BENEFITS_JOURNAL_CODE = "G2PB"


class ResCompany(models.Model):
    _inherit = "res.company"

    g2p_benefit_expense_account_id = fields.Many2one(
        "account.account",
        string="Benefit Expense Account",
        check_company=True,
        help="Debited when a payroll is approved (analytic: program and cycle).",
    )
    g2p_beneficiary_payable_account_id = fields.Many2one(
        "account.account",
        string="Beneficiary Payable Account",
        check_company=True,
        help="Reconcilable liability: credited at approval, debited when the payment is confirmed.",
    )
    g2p_funding_account_id = fields.Many2one(
        "account.account",
        string="Program Funding Account",
        check_company=True,
        help="Credited when a fund receipt is recorded (Dr bank).",
    )
    g2p_fee_expense_account_id = fields.Many2one(
        "account.account", string="PSP Fee Expense Account", check_company=True
    )
    g2p_benefits_journal_id = fields.Many2one(
        "account.journal",
        string="Benefits Journal",
        check_company=True,
        help="Miscellaneous journal for payroll approval, payment, failure and cancellation entries.",
    )
    g2p_funding_journal_id = fields.Many2one(
        "account.journal",
        string="Funding Bank Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank journal receiving program funds and paying PSPs. Defaults to the first bank journal.",
    )

    def _g2p_payroll_accounts(self):
        """The company's payroll accounts and journals, created on first use (g2p_account's
        ``_g2p_ensure_accounting``): idempotent, a clear error without a chart or a bank journal."""
        self.ensure_one()
        return self._g2p_ensure_accounting(
            {
                "purpose": _("payrolls"),
                "accounts": PAYROLL_ACCOUNTS,
                "journals": {"g2p_benefits_journal_id": (BENEFITS_JOURNAL_CODE, _("G2P Benefits"))},
                "bank_journal": "g2p_funding_journal_id",
            }
        )
