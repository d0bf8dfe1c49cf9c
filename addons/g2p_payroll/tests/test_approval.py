"""Maker-checker, funds, lock dates and cancellation."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .common import PayrollCase


class TestApproval(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(4):
            cls.households |= cls._paid_household("AP%s" % i, [30, 8], number="+25472%07d" % i)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.cycle = cls._approved_cycle()
        cls.total = 4 * 1500

    def _submitted(self):
        payroll = self._payroll(self.cycle)
        payroll.with_user(self.manager).action_submit()
        return payroll

    def test_maker_cannot_approve_own_payroll(self):
        self._fund(self.total)
        maker_and_approver = new_test_user(
            self.env,
            "maker_approver",
            groups="g2p_program.group_g2p_program_manager,g2p_payroll.group_g2p_payroll_approver",
        )
        payroll = self._payroll(self.cycle, user=maker_and_approver)
        payroll.with_user(self.manager).action_submit()
        with self.assertRefused(UserError, "Maker-checker: you generated or submitted payroll"):
            payroll.with_user(maker_and_approver).action_approve()
        payroll.with_user(self.manager).action_reset_draft()
        payroll.with_user(maker_and_approver).action_submit()
        with self.assertRefused(UserError, "Maker-checker"):
            payroll.with_user(maker_and_approver).action_approve()
        self.assertEqual(payroll.state, "to_approve")
        self.assertFalse(payroll.move_ids)

    def test_approval_needs_the_approver_group(self):
        self._fund(self.total)
        payroll = self._submitted()
        with self.assertRefused(AccessError, "Only payroll approvers can approve"):
            payroll.with_user(self.finance).action_approve()
        payroll.with_user(self.approver).action_approve()
        self.assertEqual(payroll.state, "approved")
        self.assertEqual(set(payroll.line_ids.mapped("state")), {"approved"})

    def test_approver_sends_back(self):
        payroll = self._submitted()
        with self.assertRefused(AccessError, "Only payroll approvers send a payroll back"):
            payroll.with_user(self.manager).action_send_back()
        action = payroll.with_user(self.approver).action_send_back()
        self.assertEqual(payroll.state, "draft")
        self.assertFalse(payroll.submitted_by_id)
        self.assertFalse(payroll.move_ids)
        self.assertIn("sent back to its makers", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["res_model"], "g2p.payroll")
        self.assertIn(self.approver.name, payroll.message_ids[:1].body)
        self.assertFalse(self.env["g2p.payroll"].with_user(self.approver).search([("id", "=", payroll.id)]))

    def test_approvers_do_not_see_drafts(self):
        payroll = self._payroll(self.cycle)
        Payroll = self.env["g2p.payroll"].with_user(self.approver)
        self.assertFalse(Payroll.search([("id", "=", payroll.id)]))
        payroll.with_user(self.manager).action_submit()
        self.assertEqual(Payroll.search([("id", "=", payroll.id)]), payroll)

    def test_insufficient_funds_refused_and_nothing_posted(self):
        self._fund(self.total - 1)
        payroll = self._submitted()
        with self.assertRefused(UserError, r"Insufficient funds .* needs .*6,000.* only .*5,999"):
            payroll.with_user(self.approver).action_approve()
        self.assertEqual(payroll.state, "to_approve")
        self.assertEqual(set(payroll.line_ids.mapped("state")), {"pending"})
        self.assertFalse(payroll.move_ids)
        self.assertEqual(self.program.funds_committed, 0)
        self._fund(1)
        payroll.with_user(self.approver).action_approve()
        self.assertEqual(self.program.funds_available, 0)

    def test_funds_committed_by_an_earlier_payroll_are_not_available(self):
        self._fund(self.total)
        first = self._submitted()
        first.with_user(self.approver).action_approve()
        # A supplementary payroll of the same cycle finds nobody new; a second program's payroll
        # cannot use these funds either.
        self.assertEqual(self.program.funds_available, 0)
        fund = (
            self.env["g2p.program.fund"]
            .with_user(self.finance)
            .search([("program_id", "=", self.program.id)])
        )
        with self.assertRefused(UserError, "approved payrolls already use these funds"):
            fund.action_cancel()

    def test_lock_date_refused_with_clear_error(self):
        self._fund(self.total)
        payroll = self._submitted()
        payroll.date = self.today - timedelta(days=10)
        self.company.sudo().fiscalyear_lock_date = self.today - timedelta(days=1)
        with self.assertRefused(UserError, "The accounting period of .* is locked"):
            payroll.with_user(self.approver).action_approve()
        self.assertEqual(payroll.state, "to_approve")
        self.assertFalse(payroll.move_ids)

    def test_cancel_fund_receipt_reverses_it(self):
        fund = self._fund(1000)
        fund.with_user(self.finance).action_cancel()
        self.assertEqual(fund.state, "cancelled")
        self.assertEqual(fund.reversal_move_id.reversed_entry_id, fund.move_id)
        self.assertEqual(self.program.funds_received, 0)
        with self.assertRefused(UserError, "cancelled .*never deleted"):
            fund.unlink()

    def test_cancel_sent_line_refused(self):
        self._fund(self.total)
        payroll = self._submitted()
        payroll.with_user(self.approver).action_approve()
        line = payroll.line_ids[0]
        line._mark_sent()
        with self.assertRefused(UserError, "Only pending or approved payments can be cancelled"):
            line.with_user(self.manager).action_cancel()

    def test_cancel_before_approval_then_new_payroll(self):
        payroll = self._payroll(self.cycle)
        payroll.with_user(self.manager).action_cancel()
        self.assertEqual(set(payroll.line_ids.mapped("state")), {"cancelled"})
        again = self._payroll(self.cycle)
        self.assertEqual(len(again.line_ids), 4, "a payroll cancelled as a whole does not block the cycle")

    def test_psp_granularity_and_total(self):
        self._fund(2 * self.total)
        self.program.posting_granularity = "psp"
        payroll = self._submitted()
        payroll.with_user(self.approver).action_approve()
        approval = payroll.move_ids
        payable = approval.line_ids.filtered("credit")
        self.assertEqual((len(payable), payable.partner_id, payable.credit), (1, self.mobile_psp, self.total))
        half = payroll.line_ids[:2]
        self.env["g2p.payroll.line"]._apply_payment_results(
            [{"line_id": line.id, "status": "paid"} for line in half]
        )
        self.assertEqual(self._open_payables(), -sum((payroll.line_ids - half).mapped("amount")))
        self.assertBalanced(payroll.move_ids)

    def test_total_granularity(self):
        self._fund(self.total)
        self.program.posting_granularity = "total"
        payroll = self._submitted()
        payroll.with_user(self.approver).action_approve()
        payable = payroll.move_ids.line_ids.filtered("credit")
        self.assertEqual((len(payable), payable.partner_id.id), (1, False))
        self.env["g2p.payroll.line"]._apply_payment_results(
            [
                {"line_id": line.id, "status": "failed", "reason_code": "ACCOUNT_CLOSED"}
                for line in payroll.line_ids
            ]
        )
        self.assertTrue(payable.reconciled)
        self.assertEqual(payroll.state, "reconciled")
        self.assertEqual(self._open_payables(), 0)

    def test_fee_posting(self):
        self._fund(self.total)
        payroll = self._submitted()
        payroll.with_user(self.approver).action_approve()
        fee = payroll.with_user(self.finance)._post_psp_fee(self.mobile_psp, 120, self.today)
        clearing = self.mobile_psp._g2p_psp_clearing_account(self.company)
        self.assertEqual(
            sorted((aml.account_id.id, aml.debit, aml.credit) for aml in fee.line_ids),
            sorted([(self.program.fee_expense_account_id.id, 120, 0), (clearing.id, 0, 120)]),
        )
        with self.assertRefused(AccessError, "Only finance officers"):
            payroll.with_user(self.manager)._post_psp_fee(self.mobile_psp, 10, self.today)
        wizard = (
            self.env["g2p.payroll.fee.wizard"]
            .with_user(self.finance)
            .create(
                {"payroll_id": payroll.id, "psp_id": self.mobile_psp.id, "amount": 30, "reference": "INV-7"}
            )
        )
        self.assertEqual(wizard.psp_ids, self.mobile_psp)
        wizard.action_post()
        fees = payroll.move_ids.filtered(lambda m: m.g2p_event == "fee")
        self.assertEqual(sorted(fees.mapped("amount_total")), [30, 120])
        self.assertIn("INV-7", fees.mapped("ref"))

    def test_payment_state_is_checked_again_after_commit(self):
        """Two status jobs finishing together each see the other's payments as sent; the one that
        commits last looks again after its commit, in a fresh snapshot, and reconciles."""
        self._fund(self.total)
        payroll = self._submitted()
        payroll.with_user(self.approver).action_approve()
        lines = payroll.line_ids
        lines._mark_sent()
        self.assertEqual(payroll.state, "in_payment")
        first, rest = lines[:1], lines[1:]
        self.env.cr.postcommit.clear()
        self.env["g2p.payroll.line"]._apply_payment_results([{"line_id": first.id, "status": "paid"}])
        self.assertEqual(payroll.state, "in_payment", "the others are still sent in this snapshot")
        self.assertEqual(self.env.cr.postcommit.data["g2p.payroll.payment_state_recheck"], {payroll.id})
        # What the other job committed meanwhile (its own check still saw this one as sent).
        self.env["g2p.payroll.line"].with_context(g2p_payment_state_recheck=True)._apply_payment_results(
            [{"line_id": line.id, "status": "paid"} for line in rest]
        )
        self.assertEqual(payroll.state, "reconciled")
        payroll.invalidate_recordset()
        self.env.cr.execute("UPDATE g2p_payroll SET state = 'in_payment' WHERE id = %s", [payroll.id])
        payroll.invalidate_recordset()
        # What runs after the commit; its new cursor shares this test's transaction.
        self.registry_enter_test_mode()
        self.env.cr.postcommit.run()
        payroll.invalidate_recordset()
        self.assertEqual(payroll.state, "reconciled")
        self.assertFalse(self.env.cr.postcommit.data, "run once, then cleared")
