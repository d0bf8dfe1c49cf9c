from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InsuranceCase

STATEMENT = "report.g2p_insurance_accounting.report_statement"
REPORT = "g2p_insurance_accounting.action_report_g2p_insurance_statement"


@tagged("post_install", "-at_install")
class TestStatementOfAccount(InsuranceCase):
    """The statement of account of a family and of a member: movements on what they owe and are
    owed, with a running balance that matches the ledger, the claims, and what is still due."""

    def setUp(self):
        super().setUp()
        self.policy = self._policy()  # premium 30,000 invoiced 1 Jan 2020, paid 10 Jan
        first = self._claim(self.policy, self.gertrude, "GCH-1", self.brian, self.inpatient, 79_650)
        first._receive(date(2020, 3, 15))
        first._approve(date(2020, 3, 20))
        maternity = self._claim(
            self.policy, self.nairobi, "NH-1", self.mary, self.maternity, 123_753, service=date(2020, 7, 1)
        )
        maternity._receive(date(2020, 7, 10))
        maternity._approve(date(2020, 7, 12))  # capped at 100,000: 23,753 excess not collected yet
        self.pending = self._claim(
            self.policy, self.kikuyu, "KEH-1", self.brian, self.optical, 5_000, service=date(2020, 10, 20)
        )
        self.pending._receive(date(2020, 10, 23))

    def _statement(self, partner, user=None):
        return self.env[STATEMENT].with_user(user or self.officer)._statement(partner)

    def test_family_statement_matches_the_ledger(self):
        st = self._statement(self.family)
        self.assertEqual(st["covers"], self.policy)
        self.assertEqual(len(st["claims"]), 3)
        self.assertEqual(st["premium_due"], 0)
        self.assertEqual(st["excess_due"], 23_753)
        self.assertEqual((st["pending_count"], st["pending_amount"]), (1, 5_000))
        self.assertEqual(st["covered_amount"], 179_650)
        # premium +30,000 -30,000; claims held +79,650 +123,753 +5,000; approved -79,650 -100,000
        self.assertEqual(st["balance"], 28_753)
        self.assertEqual(len(st["movements"]), 7)
        running = 0
        for movement in st["movements"]:
            running += movement["debit"] - movement["credit"]
            self.assertAlmostEqual(movement["balance"], running)
        self.assertEqual([m["date"] for m in st["movements"]], sorted(m["date"] for m in st["movements"]))
        self.assertEqual(st["last_activity"], date(2020, 10, 23))
        # Nothing of the scheme's side (income, expense, bank) nor of the hospitals' payables.
        accounts = {m["account"] for m in st["movements"]}
        self.assertNotIn(self.acc["g2p_ins_claims_expense_account_id"].display_name, accounts)
        self.assertNotIn(self.acc["g2p_ins_provider_payable_account_id"].display_name, accounts)
        ledger = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.family.id),
                ("account_id", "=", self.acc["g2p_ins_family_account_id"].id),
            ]
        )
        self.assertEqual(sum(ledger.mapped("balance")), 28_753, "the family account says the same")

    def test_member_statement_shows_only_their_claims(self):
        st = self._statement(self.brian)
        self.assertEqual(st["covers"], self.policy, "the covers they are a member of")
        self.assertEqual(set(st["claims"].mapped("provider_reference")), {"GCH-1", "KEH-1"})
        self.assertEqual(st["balance"], 5_000, "first claim held and approved, the optical one pending")
        self.assertEqual(st["premium_due"], 0, "the family pays the premium")
        self.assertEqual({m["reference"] for m in st["movements"]}, set(st["claims"].mapped("name")))

    def test_printed_statement(self):
        html = str(
            self.env["ir.actions.report"]
            .with_user(self.finance)
            ._render_qweb_html(REPORT, self.family.ids)[0]
        )
        for text in (
            "Statement of Account",
            self.family.name,
            self.policy.name,
            "GCH-1",
            "Excess still to pay",
        ):
            self.assertIn(text, html)
        self.assertIn("23,753.00", html)
        self.assertIn("COV/2020/", self.policy.name, "a 2020 cover is numbered in 2020")
        self.assertTrue(self.pending.name.startswith("CLM/2020/"), "a claim received in 2020 too")
        action = self.policy.with_user(self.officer).action_print_statement()
        self.assertEqual(
            (action["report_name"], action["context"]["active_ids"]),
            (
                "g2p_insurance_accounting.report_statement",
                self.family.ids,
            ),
        )

    def test_only_insurance_staff_print_statements(self):
        clerk = new_test_user(self.env, "statement_clerk", groups="base.group_user")
        with self.assertRaisesRegex(AccessError, "Only insurance finance staff and claims officers"):
            self.env[STATEMENT].with_user(clerk)._get_report_values(self.family.ids)
