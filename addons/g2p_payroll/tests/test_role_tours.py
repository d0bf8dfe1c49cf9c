"""The payroll's maker and checker in the browser: the program manager generates and submits the
payroll of an approved cycle (and sees no Approve button), the payroll approver reads the totals by
PSP and approves it, which posts the approval entry."""

from odoo.tests import HttpCase, tagged

from .common import PayrollCase
from .test_golden import iban


@tagged("post_install", "-at_install")
class TestPayrollRoleTours(HttpCase, PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mobile_household = cls._paid_household("Tour Mobile", [40, 5], number="+254740000001")
        cls.bank_household = cls._paid_household("Tour Bank", [35, 10, 7], psp="bank", number=iban(4242))
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.cycle = cls._approved_cycle()
        cls._fund(10_000)

    def _payroll(self):
        return self.env["g2p.payroll"].search([("cycle_id", "=", self.cycle.id)])

    def test_maker_then_approver(self):
        self.start_tour("/odoo", "g2p_payroll_maker_tour", login=self.manager.login)
        payroll = self._payroll()
        self.assertEqual(len(payroll), 1)
        self.assertEqual(payroll.state, "to_approve")
        self.assertEqual((payroll.generated_by_id, payroll.submitted_by_id), (self.manager, self.manager))
        self.assertEqual(payroll.line_count, 2)
        self.assertEqual(payroll.total_amount, 1000 + 250 * 2 + 1000 + 250 * 3)
        self.assertFalse(payroll.move_ids, "nothing is posted before approval")

        self.start_tour("/odoo", "g2p_payroll_approver_tour", login=self.approver.login)
        self.assertEqual(payroll.state, "approved")
        self.assertEqual(payroll.approved_by_id, self.approver)
        approval = payroll.move_ids.filtered(lambda m: m.g2p_event == "approval")
        self.assertEqual(len(approval), 1)
        self.assertEqual(approval.state, "posted")
        self.assertAlmostEqual(approval.amount_total, payroll.total_amount, 2)
        self.assertEqual(set(payroll.line_ids.mapped("state")), {"approved"})
