from odoo import Command, _, fields, models
from odoo.exceptions import UserError

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
        """The company's payroll accounts and journals, creating the missing ones (idempotent).
        Raises a clear error when the company has no chart of accounts or no bank journal."""
        self.ensure_one()
        company = self.sudo()
        if not company.chart_template:
            raise UserError(
                _(
                    "The company %(company)s has no chart of accounts. Install one in Accounting "
                    "settings before running payrolls.",
                    company=company.name,
                )
            )
        vals = {}
        for field_name, spec in PAYROLL_ACCOUNTS.items():
            if not company[field_name]:
                vals[field_name] = company._g2p_find_or_create_account(*spec).id
        Journal = self.env["account.journal"].sudo()
        if not company.g2p_benefits_journal_id:
            journal = Journal.search(
                [("company_id", "=", company.id), ("code", "=", BENEFITS_JOURNAL_CODE)], limit=1
            ) or Journal.create(
                {
                    "name": _("G2P Benefits"),
                    "code": BENEFITS_JOURNAL_CODE,
                    "type": "general",
                    "company_id": company.id,
                }
            )
            vals["g2p_benefits_journal_id"] = journal.id
        if not company.g2p_funding_journal_id:
            bank = Journal.search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
            if not bank:
                raise UserError(
                    _(
                        "The company %(company)s has no bank journal to receive program funds.",
                        company=company.name,
                    )
                )
            vals["g2p_funding_journal_id"] = bank.id
        if vals:
            company.write(vals)
        return company.sudo(False)

    def _g2p_find_or_create_account(self, code, account_type, reconcile, name):
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        account = Account.search([*Account._check_company_domain(self), ("code", "=", code)], limit=1)
        if not account:
            account = Account.create(
                {
                    "name": name,
                    "code": code,
                    "account_type": account_type,
                    "reconcile": reconcile,
                    "company_ids": [Command.link(self.id)],
                }
            )
        if reconcile and not account.reconcile:
            raise UserError(
                _("The account %(account)s must allow reconciliation.", account=account.display_name)
            )
        return account

    def _g2p_next_psp_clearing_code(self):
        """Next free code G2P13NN for a PSP clearing account."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        codes = Account.search(
            [*Account._check_company_domain(self), ("code", "=like", PSP_CLEARING_PREFIX + "%")]
        ).mapped("code")
        numbers = [
            int(code[len(PSP_CLEARING_PREFIX) :])
            for code in codes
            if code[len(PSP_CLEARING_PREFIX) :].isdigit()
        ]
        return "%s%02d" % (PSP_CLEARING_PREFIX, max(numbers, default=0) + 1)
