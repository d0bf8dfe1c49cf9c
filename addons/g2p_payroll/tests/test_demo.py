"""The demo flow helper, run on test fixtures (test databases have no demo data)."""

from .common import PayrollCase


class TestPayrollDemo(PayrollCase):
    def test_demo_payroll_flow(self):
        households = self.env["res.partner"]
        for i in range(12):
            households |= self._paid_household("DM%02d" % i, [35, 6], number="+2547300000%02d" % i)
        self.program.with_user(self.manager)._enrol_eligible()
        cycle = self._approved_cycle()
        payroll_id = self.env["g2p.program"]._demo_payroll_flow(
            self.program.id, self.manager.id, self.approver.id, self.finance.id
        )
        payroll = self.env["g2p.payroll"].browse(payroll_id)
        self.assertEqual(payroll.cycle_id, cycle)
        self.assertEqual((payroll.generated_by_id, payroll.approved_by_id), (self.manager, self.approver))
        self.assertEqual(payroll.state, "in_payment")
        self.assertEqual((payroll.line_count, payroll.paid_count, payroll.failed_count), (12, 6, 4))
        self.assertEqual(payroll.open_count, 2)
        self.assertEqual(
            set(payroll.move_ids.mapped("g2p_event")), {"approval", "prefunding", "payment", "failure"}
        )
        self.assertTrue(self.program.fund_ids.filtered(lambda f: f.state == "posted"))
        # Runs once: a program that already has a payroll is left alone.
        self.assertFalse(
            self.env["g2p.program"]._demo_payroll_flow(
                self.program.id, self.manager.id, self.approver.id, self.finance.id
            )
        )
