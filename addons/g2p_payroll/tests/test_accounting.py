"""What payroll takes from g2p_account: its events on every entry, amounts shown through Odoo's
format_amount."""

import re

from odoo.exceptions import UserError
from odoo.tools import format_amount, html2plaintext

from .common import PayrollCase


class TestPayrollAccounting(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(3):
            cls._paid_household("AC%s" % i, [30, 8], number="+25473%07d" % i)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.cycle = cls._approved_cycle()

    def test_generation_message_shows_the_total_with_format_amount(self):
        payroll = self._payroll(self.cycle)
        self.assertEqual(payroll.total_amount, 4500)
        body = html2plaintext(payroll.message_ids[0].body).replace("&nbsp;", "\N{NO-BREAK SPACE}")
        total = format_amount(self.env, 4500, self.currency)
        self.assertIn("3 payments generated, %s in all." % total, body)

    def test_refusals_show_amounts_with_format_amount(self):
        self._fund(4499)
        payroll = self._payroll(self.cycle)
        payroll.with_user(self.manager).action_submit()
        with self.assertRefused(
            UserError, "needs %s" % re.escape(format_amount(self.env, 4500, self.currency))
        ):
            payroll.with_user(self.approver).action_approve()

    def test_fund_entries_have_their_events(self):
        fund = self._fund(1000)
        self.assertEqual(fund.move_id.g2p_event, "fund")
        fund.with_user(self.finance).action_cancel()
        self.assertEqual(fund.reversal_move_id.g2p_event, "fund_reversal")
        self.assertEqual(set(fund.reversal_move_id.line_ids.mapped("g2p_event")), {"fund_reversal"})
