from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.g2p_program.tests.common import ProgramCase


class PayrollCase(ProgramCase):
    """A program paying households through a mobile-money and a bank PSP, with the maker (program
    manager), checker (payroll approver) and finance officer roles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.approver = new_test_user(
            cls.env, "payroll_approver", groups="g2p_payroll.group_g2p_payroll_approver"
        )
        cls.finance = new_test_user(
            cls.env, "finance_officer", groups="g2p_payroll.group_g2p_finance_officer"
        )
        cls.currency = cls.company.currency_id
        cls.program = cls._program(
            name="Cash Plus",
            base_amount=1000,
            amount_per_member=250,
            psp_ids=[Command.set((cls.mobile_psp | cls.bank_psp).ids)],
        )
        cls.program.action_activate()

    @classmethod
    def _paid_household(cls, name, ages, psp="mobile", number=None):
        """A household with a payment account of its own at the given PSP."""
        household = cls._family(name, ages)
        vals = {"partner_id": household.id, "is_default": True}
        if psp == "mobile":
            vals.update(account_type="mobile_wallet", provider_id=cls.mobile_psp.id, msisdn=number)
        else:
            vals.update(account_type="bank", provider_id=cls.bank_psp.id, iban=number)
        cls.env["g2p.payment.account"].create(vals)
        return household

    @classmethod
    def _fund(cls, amount, program=None):
        fund = (
            cls.env["g2p.program.fund"]
            .with_user(cls.finance)
            .create({"program_id": (program or cls.program).id, "amount": amount})
        )
        fund.action_post()
        return fund

    @classmethod
    def _approved_cycle(cls, program=None):
        program = program or cls.program
        cycle = program._create_next_cycle()
        cycle.action_submit()
        cycle.action_approve()
        return cycle

    def _payroll(self, cycle, user=None, **vals):
        Payroll = self.env["g2p.payroll"].with_user(user or self.manager)
        payroll = Payroll.create({"cycle_id": cycle.id, **vals})
        payroll.action_generate()
        return self.env["g2p.payroll"].browse(payroll.id)

    def _approve(self, payroll):
        payroll.with_user(self.manager).action_submit()
        payroll.with_user(self.approver).action_approve()

    def assertBalanced(self, moves):
        for move in moves:
            self.assertEqual(move.state, "posted", move.display_name)
            self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit")), 2)

    def _open_payables(self, program=None):
        program = program or self.program
        amls = self.env["account.move.line"].search(
            [("account_id", "=", program.beneficiary_payable_account_id.id), ("parent_state", "=", "posted")]
        )
        return sum(amls.mapped("amount_residual"))
