import re
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import InsuranceCase


@tagged("post_install", "-at_install")
class TestInsuranceRules(InsuranceCase):
    def _moves(self):
        return self.env["account.move"].sudo().search([("company_id", "=", self.company.id)])

    def _receive_approve(self, claim, when=date(2020, 3, 20)):
        claim._receive()
        claim._approve(when)
        return claim

    def test_per_member_limits(self):
        product = self._product(code="IND", limit_type="member", total_limit=50_000)
        policy = self._policy(product)
        first = self._receive_approve(
            self._claim(policy, self.gertrude, "A1", self.brian, self.inpatient, 40_000)
        )
        second = self._receive_approve(
            self._claim(policy, self.gertrude, "A2", self.brian, self.inpatient, 20_000)
        )
        self.assertEqual((first.approved_amount, first.excess_amount), (40_000, 0))
        self.assertEqual((second.approved_amount, second.excess_amount), (10_000, 10_000))
        other = self._receive_approve(
            self._claim(policy, self.gertrude, "A3", self.mary, self.inpatient, 20_000)
        )
        self.assertEqual(other.approved_amount, 20_000, "Mary has her own limit")
        self.assertEqual(policy._remaining_total(self.brian), 0)
        self.assertEqual(policy._remaining_total(self.mary), 30_000)
        third = self._claim(policy, self.gertrude, "A4", self.brian, self.inpatient, 5_000)
        self.assertFalse(third._receive())
        self.assertEqual(third.state, "rejected")
        self.assertIn("exhausted", third.rejection_reason)

    def test_cap_per_instance(self):
        policy = self._policy()
        first = self._receive_approve(
            self._claim(policy, self.kikuyu, "O1", self.joseph, self.optical, 7_500)
        )
        self.assertEqual((first.approved_amount, first.excess_amount), (5_000, 2_500))
        second = self._receive_approve(
            self._claim(policy, self.kikuyu, "O2", self.faith, self.optical, 4_000)
        )
        self.assertEqual(second.approved_amount, 4_000, "the cap applies per instance, not cumulatively")
        expense = self.acc["g2p_ins_claims_expense_account_id"]
        self.assertEqual(
            sum(
                first.sudo()
                .move_ids.line_ids.filtered(lambda line: line.account_id == expense)
                .mapped("debit")
            ),
            5_000,
        )
        # the excess is open on the family sub-ledger until collected
        family_lines = first.sudo().move_ids.line_ids.filtered(
            lambda line: line.account_id == self.acc["g2p_ins_family_account_id"]
        )
        self.assertEqual(sum(family_lines.mapped("balance")), 2_500)
        first.with_user(self.finance)._collect_excess(date(2020, 3, 30))
        self.assertEqual(sum(family_lines.mapped("amount_residual")), 0)
        self.assertTrue(first.excess_collected)
        with self.assertRefused(UserError, "no excess to collect"):
            first.with_user(self.finance)._collect_excess(date(2020, 3, 30))

    def test_limit_exhausted_across_claims(self):
        product = self._product(code="SMALL", total_limit=100_000)
        policy = self._policy(product)
        a = self._receive_approve(
            self._claim(policy, self.gertrude, "L1", self.brian, self.inpatient, 80_000)
        )
        b = self._receive_approve(
            self._claim(policy, self.gertrude, "L2", self.faith, self.inpatient, 50_000)
        )
        self.assertEqual((a.approved_amount, b.approved_amount, b.excess_amount), (80_000, 20_000, 30_000))
        self.assertEqual(policy.limit_remaining, 0)
        moves = self._moves()
        c = self._claim(policy, self.gertrude, "L3", self.joseph, self.inpatient, 10_000)
        self.assertFalse(c._receive())
        self.assertEqual(c.state, "rejected")
        self.assertEqual(self._moves(), moves, "rejected at receipt: no entry")

    def test_limit_used_between_receipt_and_approval(self):
        product = self._product(code="SMALL2", total_limit=100_000)
        policy = self._policy(product)
        a = self._claim(policy, self.gertrude, "R1", self.brian, self.inpatient, 100_000)
        b = self._claim(policy, self.nairobi, "R2", self.mary, self.inpatient, 40_000)
        a._receive()
        receipt = b._receive()
        a._approve(date(2020, 3, 20))
        reversal = b._approve(date(2020, 3, 21))
        self.assertEqual(b.state, "rejected")
        self.assertIn("exhausted", b.rejection_reason)
        self.assertEqual(receipt.state, "posted", "never deleted")
        payable = self.acc["g2p_ins_provider_payable_account_id"]
        self.assertMove(
            reversal,
            date(2020, 3, 21),
            self.acc["journal"],
            [
                (payable, self.nairobi, 40_000, 0),
                (self.acc["g2p_ins_family_account_id"], self.family, 0, 40_000),
            ],
        )
        self.assertTrue(all(receipt.sudo().line_ids.mapped("reconciled")))
        self.assertEqual(reversal.sudo().g2p_policy_id, policy, "the reversal stays in the cover's pool")
        pool = (
            self.env["account.move.line"]
            .sudo()
            .search([("move_id.g2p_claim_id", "=", b.id), ("parent_state", "=", "posted")])
        )
        self.assertEqual(sum(pool.mapped("balance")), 0)
        self.assertEqual(sum(pool.filtered(lambda line: line.account_id == payable).mapped("balance")), 0)

    def test_waiting_period(self):
        product = self._product(code="WAIT")
        product.category_rule_ids.filtered(lambda r: r.category_id == self.maternity).waiting_days = 270
        policy = self._policy(product)
        early = self._claim(
            policy, self.nairobi, "W1", self.mary, self.maternity, 50_000, service=date(2020, 6, 1)
        )
        self.assertFalse(early._receive())
        self.assertIn("waiting period", early.rejection_reason)
        late = self._claim(
            policy, self.nairobi, "W2", self.mary, self.maternity, 50_000, service=date(2020, 10, 1)
        )
        self.assertTrue(late._receive())
        late._approve(date(2020, 10, 5))
        self.assertEqual(late.approved_amount, 50_000)

    def test_third_party_payer(self):
        policy = self._policy(activate=False, pay=False, payer_id=self.employer.id)
        policy.action_activate()
        receivable = self.acc["g2p_ins_premium_receivable_account_id"]
        income = self.acc["g2p_ins_premium_income_account_id"]
        self.assertMove(
            policy.premium_move_id,
            date(2020, 1, 1),
            self.acc["journal"],
            [(receivable, self.employer, 30_000, 0), (income, self.employer, 0, 30_000)],
        )
        payment = policy._register_premium_payment(12_000, date(2020, 1, 5))
        self.assertEqual(policy.premium_residual, 18_000)
        self.assertFalse(policy.premium_paid)
        self.assertEqual(payment.sudo().line_ids.partner_id, self.employer)
        policy._register_premium_payment(date=date(2020, 1, 20))
        self.assertTrue(policy.premium_paid)
        claim = self._receive_approve(
            self._claim(policy, self.gertrude, "T1", self.brian, self.inpatient, 1_000)
        )
        family_line = claim.receipt_move_id.sudo().line_ids.filtered(
            lambda line: line.account_id == self.acc["g2p_ins_family_account_id"]
        )
        self.assertEqual(family_line.partner_id, self.family, "claims stay on the family sub-ledger")

    def test_suspension_for_unpaid_premium(self):
        policy = self._policy(pay=False)
        Policy = self.env["g2p.insurance.policy"]
        Policy._cron_check_covers(today=date(2020, 1, 25))
        self.assertEqual(policy.state, "active", "still within the 30-day grace period")
        suspended = Policy._cron_check_covers(today=date(2020, 2, 5))
        self.assertIn(policy, suspended)
        self.assertEqual((policy.state, policy.suspended_date), ("suspended", date(2020, 2, 5)))
        claim = self._claim(policy, self.gertrude, "S1", self.brian, self.inpatient, 1_000)
        self.assertFalse(claim._receive())
        self.assertIn("not active", claim.rejection_reason)
        policy._register_premium_payment(date=date(2020, 2, 10))
        self.assertEqual(policy.state, "active", "paying the premium reactivates the cover")
        Policy._cron_check_covers(today=date(2021, 1, 5))
        self.assertEqual(policy.state, "expired")

    def test_double_submission_refused(self):
        policy = self._policy()
        self._claim(policy, self.gertrude, "DUP-1", self.brian, self.inpatient, 1_000)._receive()
        moves = self._moves()
        with self.assertRefused(ValidationError, "already submitted claim DUP-1"):
            self._claim(policy, self.gertrude, "DUP-1", self.brian, self.inpatient, 1_000)
        self.assertEqual(self._moves(), moves)
        other = self._claim(policy, self.nairobi, "DUP-1", self.brian, self.inpatient, 1_000)
        self.assertEqual(other.state, "draft", "the reference is unique per provider only")
        with self.assertRefused(Exception, "provider_reference_uniq|already submitted"):
            self.env["g2p.insurance.claim"].sudo().with_context(tracking_disable=True).browse(other.id).write(
                {"provider_id": self.gertrude.id}
            )
            self.env.flush_all()

    def test_double_submission_ignores_case_and_spaces(self):
        policy = self._policy()
        first = self._claim(policy, self.gertrude, "ML-2021-0930", self.brian, self.inpatient, 1_000)
        moves = self._moves()
        for retyped in ("ml-2021-0930", " ML-2021-0930", "ML-2021 -0930\t", "Ml - 2021-0930 "):
            expected = re.escape("already submitted claim ML-2021-0930 (%s)" % first.name)
            with self.assertRefused(ValidationError, expected):
                self._claim(policy, self.gertrude, retyped, self.brian, self.inpatient, 1_000)
        self.assertEqual(self._moves(), moves)
        second = self._claim(policy, self.gertrude, "  ML-2021-0931 ", self.brian, self.inpatient, 1_000)
        self.assertEqual(second.provider_reference, "ML-2021-0931", "surrounding spaces are not kept")
        with self.assertRefused(ValidationError, "already submitted claim ML-2021-0930"):
            second.sudo().write({"provider_reference": "ml-2021-0930"})
        self.assertEqual(second.provider_reference, "ML-2021-0931")

    def test_invalid_amounts_refused(self):
        policy = self._policy(pay=False)
        moves = self._moves()
        for amount in (0, -100):
            with self.assertRefused(Exception, "claimed amount must be positive"):
                self._claim(policy, self.gertrude, f"BAD{amount}", self.brian, self.inpatient, amount)
                self.env.flush_all()
        with self.assertRefused(ValidationError, "more than the"):
            policy._register_premium_payment(30_001, date(2020, 1, 5))
        with self.assertRefused(ValidationError, "must be positive"):
            policy._register_premium_payment(-5, date(2020, 1, 5))
        with self.assertRefused(Exception, "Caps and waiting periods cannot be negative"):
            self.product.category_rule_ids[:1].cap_period = -1
        self.assertEqual(self._moves(), moves, "nothing posted")
        self.assertEqual(policy.premium_residual, 30_000)

    def test_lock_date_refused(self):
        policy = self._policy()
        claim = self._claim(policy, self.gertrude, "LOCK", self.brian, self.inpatient, 1_000)
        self.company.sudo().fiscalyear_lock_date = date(2020, 6, 30)
        moves = self._moves()
        with self.assertRefused(UserError, "locked"):
            claim._receive()
        self.assertEqual(claim.state, "draft")
        self.assertEqual(self._moves(), moves)

    def test_roles(self):
        policy = self._policy()
        claim = self._claim(policy, self.gertrude, "ROLE", self.brian, self.inpatient, 1_000)
        with self.assertRefused(AccessError, "not allowed to receive claims"):
            claim.with_user(self.finance)._receive()
        claim._receive()
        claim._approve(date(2020, 3, 20))
        with self.assertRefused(AccessError, "not allowed to pay providers"):
            claim._pay_provider(date(2020, 3, 25))
        with self.assertRefused(AccessError, "finance officers"):
            policy.with_user(self.officer).action_pay_refund()
        self.assertEqual(claim.received_by_id, self.officer)

    def test_cancel_with_unpaid_premium_and_no_chart(self):
        policy = self._policy(pay=False)
        credit_note = policy._cancel(date(2020, 7, 1))
        receivable = self.acc["g2p_ins_premium_receivable_account_id"]
        self.assertMove(
            credit_note,
            date(2020, 7, 1),
            self.acc["journal"],
            [
                (self.acc["g2p_ins_premium_income_account_id"], self.family, 15_000, 0),
                (receivable, self.family, 0, 15_000),
            ],
        )
        self.assertEqual(policy.premium_residual, 15_000, "six unused months are no longer owed")
        self.assertTrue(policy.refund_paid, "nothing to pay back")
        bare = self.env["res.company"].sudo().create({"name": "No Chart Co"})
        with self.assertRefused(UserError, "has no chart of accounts"):
            bare._g2p_insurance_accounts()
        self.assertTrue(
            self.env["g2p.insurance.product"]
            .sudo()
            .create(
                {
                    "name": "X",
                    "code": "X",
                    "company_id": bare.id,
                    "total_limit": 1,
                    "premium": 1,
                    "category_rule_ids": [Command.create({"category_id": self.inpatient.id})],
                }
            )
        )

    def test_multi_company(self):
        policy = self._policy(pay=False)
        other = self.setup_other_company(name="Other Insurer")["company"]
        other_finance = self.env["res.users"].create(
            {
                "name": "Other finance",
                "login": "other_fin",
                "company_id": other.id,
                "company_ids": [Command.set(other.ids)],
                "group_ids": [
                    Command.set(self.env.ref("g2p_insurance_accounting.group_g2p_insurance_finance").ids)
                ],
            }
        )
        Policy = self.env["g2p.insurance.policy"].with_user(other_finance)
        self.assertFalse(Policy.search([("id", "=", policy.id)]), "covers follow their company")
        other_accounts = other._g2p_insurance_accounts()
        self.assertNotEqual(other_accounts["journal"], self.acc["journal"])
        self.assertEqual(other_accounts["g2p_ins_family_account_id"].company_ids, other)
        self.assertTrue(other_accounts["g2p_ins_family_account_id"].reconcile)

    def test_workflow_fields_protected(self):
        policy = self._policy()
        claim = self._claim(policy, self.gertrude, "PROT", self.brian, self.inpatient, 10_000)
        claim._receive()
        with self.assertRefused(AccessError, "approved_amount.*workflow actions"):
            claim.write({"approved_amount": 10_000})
        with self.assertRefused(UserError, "claimed_amount cannot change once out of draft"):
            claim.write({"claimed_amount": 20_000})
        with self.assertRefused(AccessError, "state can only change"):
            policy.write({"state": "draft"})
        with self.assertRefused(UserError, "premium_amount cannot change once out of draft"):
            policy.write({"premium_amount": 1})
        self.assertEqual((claim.state, claim.approved_amount, claim.claimed_amount), ("received", 0, 10_000))
        claim.write({"rejection_reason": "Forged invoice"})
        claim._reject()
        self.assertEqual(claim.rejection_reason, "Forged invoice")

    def test_demo_loader(self):
        policy = self.env["g2p.insurance.demo"]._load_kinoti_demo()
        self.assertEqual(policy.state, "cancelled")
        self.assertEqual(policy.limit_remaining, 815_350)
        self.assertEqual(
            sorted(policy.claim_ids.mapped("state")),
            ["paid", "paid", "paid", "rejected"],
            "the scenario played",
        )
        bare = self.env["res.company"].create({"name": "No Chart Demo Co"})
        self.assertFalse(
            self.env["g2p.insurance.demo"].with_company(bare)._load_kinoti_demo(),
            "without a chart of accounts the demo is skipped, not a crash",
        )

    def test_forms(self):
        with Form(self.env["g2p.insurance.policy"].with_user(self.finance)) as form:
            form.holder_id = self.family
            form.product_id = self.product
            form.date_start = date(2021, 3, 1)
            self.assertEqual(form.date_end, date(2022, 2, 28))
            self.assertEqual(form.premium_amount, 30_000)
        policy = form.record
        self.assertEqual(len(policy.member_ids), 5, "the household's current members are covered")
        self.assertEqual(policy.state, "draft")
        self.assertIn("1,000,000", policy.limit_summary)
        self.assertIn("100,000", policy.limit_summary, "maternity cap shown")
        with Form(self.env["g2p.insurance.claim"].with_user(self.officer)) as form:
            form.policy_id = policy
            form.member_id = self.mary
            form.provider_id = self.nairobi
            form.provider_reference = "FORM-1"
            form.category_id = self.maternity
            form.date_service = date(2021, 5, 1)
            form.claimed_amount = 1_000
        self.assertEqual(form.record.state, "draft")
        with self.assertRefused(ValidationError, "is not covered by"):
            self._claim(policy, self.nairobi, "FORM-2", self.employer, self.maternity, 1_000)

    def test_claims_run_off_after_the_cover_ends(self):
        """A claim for a service while the cover was in force is paid after a cancellation or an
        expiry if it arrives within the product's run-off; later, or for a later service, it is not."""
        self.assertEqual(self.product.claim_runoff_days, 90)
        policy = self._policy()
        policy._cancel(date(2020, 11, 1))
        self.assertEqual(policy.in_force_until, date(2020, 10, 31))
        before = self._claim(
            policy,
            self.gertrude,
            "R1",
            self.brian,
            self.inpatient,
            10_000,
            date(2020, 10, 20),
            received=date(2020, 11, 5),
        )
        self.assertTrue(before._receive(), before.rejection_reason)
        before._approve(date(2020, 11, 10))
        self.assertEqual(before.approved_amount, 10_000)
        after = self._claim(
            policy,
            self.gertrude,
            "R2",
            self.brian,
            self.inpatient,
            10_000,
            date(2020, 11, 2),
            received=date(2020, 11, 5),
        )
        self.assertFalse(after._receive())
        self.assertIn("outside the cover period", after.rejection_reason)
        late = self._claim(
            policy,
            self.gertrude,
            "R3",
            self.brian,
            self.inpatient,
            10_000,
            date(2020, 10, 20),
            received=date(2021, 2, 1),
        )
        self.assertFalse(late._receive())
        self.assertIn("within 90 days", late.rejection_reason)
        # An expired cover: the last day of its period is its last covered day.
        expired = self._policy(date_start=date(2019, 1, 1))
        expired._set_expired()
        self.assertEqual(expired.in_force_until, expired.date_end)
        claim = self._claim(
            expired,
            self.gertrude,
            "R4",
            self.brian,
            self.inpatient,
            5_000,
            expired.date_end,
            received=expired.date_end + relativedelta(days=30),
        )
        self.assertTrue(claim._receive(), claim.rejection_reason)
        # A cover cancelled before it started was never in force.
        never = self._policy(activate=False, pay=False, date_start=date(2018, 1, 1))
        never._cancel(date(2018, 1, 1))
        self.assertFalse(never.in_force_until)
        refused = self._claim(never, self.gertrude, "R5", self.brian, self.inpatient, 5_000, date(2018, 1, 1))
        self.assertFalse(refused._receive())
        self.assertIn("is not active", refused.rejection_reason)
