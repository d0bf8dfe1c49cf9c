from odoo.tests import HttpCase, tagged

from .common import PayrollCase


@tagged("post_install", "-at_install")
class TestFinanceTour(HttpCase, PayrollCase):
    """A finance officer's day in the browser (Odoo saves a screenshot when the tour fails): a fund
    receipt from the G2P menu, the transfer to the PSPs, a PSP report checked then applied, the
    payroll's journal entries and the finance dashboard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.name = "Finance Tour Grant"
        for i in range(3):
            cls._paid_household("FT%s" % i, [36, 7], number="+25471100000%s" % i)
        cls._paid_household("FT3", [41], psp="bank", number="GB82WEST12345698765432")
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(10_000)
        cls.treasury = cls.env["res.partner"].create({"name": "Tour Treasury", "is_company": True})
        # Another program, so the Program dropdown has more than one entry to choose from.
        cls._program(name="Other Tour Program").action_activate()

    def test_finance_officer_day_in_browser(self):
        payroll = self._payroll(self._approved_cycle())
        self._approve(payroll)
        self.assertEqual((payroll.state, payroll.line_count), ("approved", 4))
        received = self.program.funds_received

        self.start_tour("/odoo", "g2p_finance_tour", login="finance_officer")

        fund = self.env["g2p.program.fund"].search([("note", "=", "Budget line 4.2.1")])
        self.assertEqual(len(fund), 1)
        self.assertEqual((fund.state, fund.amount, fund.program_id), ("posted", 20_000, self.program))
        self.assertEqual((fund.source_partner_id, fund.create_uid), (self.treasury, self.finance))
        self.assertBalanced(fund.move_id)
        self.program.invalidate_recordset(["funds_received"])
        self.assertEqual(self.program.funds_received, received + 20_000)

        payroll.invalidate_recordset()
        self.assertEqual(payroll.state, "reconciled")
        self.assertTrue(payroll.is_prefunded)
        lines = payroll.line_ids
        paid = lines.filtered(lambda line: line.state == "paid")
        failed = lines.filtered(lambda line: line.state == "failed")
        self.assertEqual((len(paid), len(failed)), (3, 1))
        self.assertEqual(set(paid.mapped("psp_reference")), {"TOUR-1", "TOUR-2", "TOUR-3"})
        self.assertEqual(failed.failure_reason_id.code, "DECEASED")

        report = self.env["g2p.payroll.reconciliation"].search([("payroll_id", "=", payroll.id)])
        self.assertEqual(len(report), 1)
        self.assertEqual(
            (report.state, report.applied_by_id, report.filename), ("applied", self.finance, "psp_report.csv")
        )
        self.assertEqual(set(report.row_ids.mapped("result")), {"applied"})
        self.assertEqual(report.row_ids.line_id, lines)

        moves = payroll.move_ids
        events = set(moves.mapped("g2p_event"))
        self.assertTrue({"approval", "prefunding", "payment", "failure"} <= events, events)
        self.assertBalanced(moves)
        by_finance = moves.filtered(lambda m: m.g2p_event in ("prefunding", "payment", "failure"))
        self.assertEqual(set(by_finance.mapped("create_uid")), {self.finance})
        self.assertAlmostEqual(self._open_payables(), 0, 2)
