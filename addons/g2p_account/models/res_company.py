from odoo import Command, _, models
from odoo.exceptions import UserError


class ResCompany(models.Model):
    _inherit = "res.company"

    def _g2p_ensure_accounting(self, spec):
        """Find or create the accounts and journals that ``spec`` describes in this company's
        chart, on first use, and store them on the company fields it names. Idempotent: a field
        already set is kept, an account or journal with the spec's code is reused.

        ``spec`` is data that each G2P addon passes (its fields stay in that addon)::

            {
                "purpose": _("payrolls"),  # what needs them, for the error messages
                "accounts": {field: (code, account_type, reconcile, name)},
                "journals": {field: (code, name)},  # miscellaneous journals
                "bank_journal": field,  # defaults to the company's first bank journal
            }

        Raises a clear error when the company has no chart of accounts or no bank journal, or
        when an existing account with a spec's code does not allow a required reconciliation."""
        self.ensure_one()
        company = self.sudo()
        purpose = spec["purpose"]
        if not company.chart_template:
            raise UserError(
                _(
                    "The company %(company)s has no chart of accounts. Install one in Accounting "
                    "settings before using %(purpose)s.",
                    company=company.name,
                    purpose=purpose,
                )
            )
        vals = {}
        for field_name, account_spec in spec.get("accounts", {}).items():
            if not company[field_name]:
                vals[field_name] = company._g2p_find_or_create_account(*account_spec).id
        Journal = self.env["account.journal"].sudo()
        for field_name, (code, name) in spec.get("journals", {}).items():
            if company[field_name]:
                continue
            journal = Journal.search(
                [("company_id", "=", company.id), ("code", "=", code)], limit=1
            ) or Journal.create({"name": name, "code": code, "type": "general", "company_id": company.id})
            vals[field_name] = journal.id
        bank_field = spec.get("bank_journal")
        if bank_field and not company[bank_field]:
            bank = Journal.search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
            if not bank:
                raise UserError(
                    _(
                        "The company %(company)s has no bank journal for %(purpose)s. Create one in "
                        "Accounting settings.",
                        company=company.name,
                        purpose=purpose,
                    )
                )
            vals[bank_field] = bank.id
        if vals:
            company.write(vals)
        return self

    def _g2p_find_or_create_account(self, code, account_type, reconcile, name):
        """The account with ``code`` in this company's chart, created when missing."""
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

    def _g2p_next_account_code(self, prefix, digits=2):
        """The next free code ``<prefix>NN`` in this company's chart (e.g. one account per PSP)."""
        self.ensure_one()
        Account = self.env["account.account"].sudo().with_company(self)
        codes = Account.search(
            [*Account._check_company_domain(self), ("code", "=like", prefix + "%")]
        ).mapped("code")
        numbers = [int(code[len(prefix) :]) for code in codes if code[len(prefix) :].isdigit()]
        return "%s%0*d" % (prefix, digits, max(numbers, default=0) + 1)
