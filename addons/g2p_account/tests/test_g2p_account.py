from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

# Odoo's own company fields stand in for a G2P addon's (the helper only needs Many2one fields).
SPEC = {
    "purpose": "testing",
    "accounts": {
        "expense_accrual_account_id": ("TST2100", "liability_current", True, "Test payable"),
        "revenue_accrual_account_id": ("TST5100", "expense", False, "Test expense"),
    },
    "journals": {"automatic_entry_default_journal_id": ("TSTJ", "Test journal")},
    "bank_journal": "tax_cash_basis_journal_id",
}
FIELDS = [*SPEC["accounts"], *SPEC["journals"], SPEC["bank_journal"]]


@tagged("post_install", "-at_install")
class TestG2PAccount(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(dict.fromkeys(FIELDS, False))

    def _accounts(self, code):
        Account = self.env["account.account"].with_company(self.company)
        return Account.search([*Account._check_company_domain(self.company), ("code", "=", code)])

    def _event(self):
        values = self.env["account.move"]._fields["g2p_event"].get_values(self.env)
        if not values:
            self.skipTest("no G2P addon adds an event")
        return values[0]

    def test_accounts_created_on_first_use_and_reused(self):
        existing = self.env["account.account"].create(
            {
                "name": "Already there",
                "code": "TST5100",
                "account_type": "expense",
                "company_ids": [Command.link(self.company.id)],
            }
        )
        company = self.company._g2p_ensure_accounting(SPEC)
        self.assertEqual(company, self.company)
        payable = self.company.expense_accrual_account_id
        self.assertEqual((payable.code, payable.account_type), ("TST2100", "liability_current"))
        self.assertTrue(payable.reconcile)
        self.assertEqual(
            self.company.revenue_accrual_account_id, existing, "an account with the code is reused"
        )
        journal = self.company.automatic_entry_default_journal_id
        self.assertEqual((journal.code, journal.type, journal.company_id), ("TSTJ", "general", self.company))
        bank = self.company.tax_cash_basis_journal_id
        self.assertEqual(bank.type, "bank")
        self.assertEqual(bank, self.company_data["default_journal_bank"])

        before = {name: self.company[name] for name in FIELDS}
        self.company._g2p_ensure_accounting(SPEC)
        self.assertEqual({name: self.company[name] for name in FIELDS}, before, "idempotent")
        self.assertEqual(len(self._accounts("TST2100")), 1)
        self.assertEqual(
            self.env["account.journal"].search_count(
                [("company_id", "=", self.company.id), ("code", "=", "TSTJ")]
            ),
            1,
        )
        # a setting changed by the accountant is kept
        other = self.company_data["default_account_expense"]
        self.company.revenue_accrual_account_id = other
        self.company._g2p_ensure_accounting(SPEC)
        self.assertEqual(self.company.revenue_accrual_account_id, other)

    def test_clear_errors(self):
        bare = self.env["res.company"].create({"name": "No Chart Co"})
        with self.assertRaisesRegex(UserError, "No Chart Co has no chart of accounts.*before using testing"):
            bare._g2p_ensure_accounting(SPEC)
        self.env["account.account"].create(
            {
                "name": "Not reconcilable",
                "code": "TST2100",
                "account_type": "liability_current",
                "reconcile": False,
                "company_ids": [Command.link(self.company.id)],
            }
        )
        with self.assertRaisesRegex(UserError, "TST2100 Not reconcilable must allow reconciliation"):
            self.company._g2p_ensure_accounting(SPEC)

    def test_no_bank_journal(self):
        self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")]
        ).action_archive()
        with self.assertRaisesRegex(UserError, "has no bank journal for testing"):
            self.company._g2p_ensure_accounting(SPEC)
        self.assertFalse(self.company.tax_cash_basis_journal_id)

    def test_next_account_code(self):
        self.assertEqual(self.company._g2p_next_account_code("TST13"), "TST1301")
        for code in ("TST1301", "TST1307", "TST13XX"):
            self.env["account.account"].create(
                {
                    "name": code,
                    "code": code,
                    "account_type": "asset_current",
                    "company_ids": [Command.link(self.company.id)],
                }
            )
        self.assertEqual(self.company._g2p_next_account_code("TST13"), "TST1308")

    def _vals(self, when, event):
        journal = self.company_data["default_journal_misc"]
        expense = self.company_data["default_account_expense"]
        revenue = self.company_data["default_account_revenue"]
        return {
            "journal_id": journal.id,
            "date": when,
            "ref": "G2P test",
            "g2p_event": event,
            "line_ids": [
                Command.create({"account_id": expense.id, "debit": 10.0, "credit": 0.0}),
                Command.create({"account_id": revenue.id, "debit": 0.0, "credit": 10.0}),
            ],
        }

    def test_post_creates_posted_entries_with_their_event(self):
        event = self._event()
        today = fields.Date.today()
        moves = self.env["account.move"]._g2p_post([self._vals(today, event), self._vals(today, event)])
        self.assertEqual(len(moves), 2)
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        self.assertEqual(set(moves.mapped("move_type")), {"entry"})
        self.assertEqual(set(moves.mapped("g2p_event")), {event})
        self.assertEqual(moves.mapped("date"), [today, today], "not moved by _post")
        self.assertEqual(set(moves.line_ids.mapped("g2p_event")), {event})

    def test_post_refuses_a_locked_period(self):
        event = self._event()
        today = fields.Date.today()
        self.company.fiscalyear_lock_date = today - timedelta(days=1)
        count = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(
            UserError,
            r"The accounting period of .+ is locked for Miscellaneous Operations.*: the entry cannot "
            r"be posted on that date\. Ask an accountant to reopen the period or use another date\.",
        ):
            self.env["account.move"]._g2p_post([self._vals(today - timedelta(days=3), event)])
        self.assertEqual(self.env["account.move"].search_count([]), count, "nothing created")

    def test_post_requires_an_event(self):
        with self.assertRaisesRegex(ValueError, "g2p_event"):
            self.env["account.move"]._g2p_post([self._vals(fields.Date.today(), False)])

    def test_finance_finds_every_g2p_entry(self):
        event = self._event()
        g2p = self.env["account.move"]._g2p_post([self._vals(fields.Date.today(), event)])
        other = self.env["account.move"].create(
            {**self._vals(fields.Date.today(), False), "g2p_event": False, "ref": "not G2P"}
        )
        action = self.env.ref("g2p_account.action_g2p_moves")
        found = self.env["account.move"].search(safe_eval(action.domain))
        self.assertIn(g2p, found)
        self.assertNotIn(other, found)
        menu = self.env.ref("g2p_account.menu_g2p_moves")
        accountant = new_test_user(self.env, "g2p_reader", groups="account.group_account_readonly")
        clerk = new_test_user(self.env, "g2p_clerk", groups="base.group_user")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids())
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(clerk)._visible_menu_ids())
