from datetime import timedelta

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.g2p_payroll.tests.common import PayrollCase


class VoucherCase(PayrollCase):
    """The payroll program also pays in cash: three households at the Kisumu pay point (agent
    ``pp_agent``), one at Nakuru (agent ``pp_agent_2``), one by mobile money (no voucher)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.psp_ids = [Command.link(cls.cash_psp.id)]
        cls.pay_point_2 = cls.env["g2p.pay.point"].create(
            {"name": "Nakuru PO", "code": "NKR", "psp_id": cls.cash_psp.id}
        )
        agent_group = "g2p_voucher.group_g2p_pay_point_agent"
        cls.agent = new_test_user(cls.env, "pp_agent", groups=agent_group, name="Agnes Agent")
        cls.agent_2 = new_test_user(cls.env, "pp_agent_2", groups=agent_group, name="Bob Agent")
        cls.pay_point.agent_user_ids = [Command.set(cls.agent.ids)]
        cls.pay_point_2.agent_user_ids = [Command.set(cls.agent_2.ids)]
        cls.cash_households = [cls._cash_household("VC%s" % i, cls.pay_point) for i in range(3)]
        cls.cash_households.append(cls._cash_household("VN0", cls.pay_point_2))
        cls._paid_household("VM0", [40, 6], number="+254731000001")
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(20 * 1500)

    @classmethod
    def _cash_household(cls, name, pay_point):
        household = cls._family(name, [40, 6])
        cls.env["g2p.payment.account"].create(
            {
                "partner_id": household.id,
                "is_default": True,
                "account_type": "cash",
                "provider_id": cls.cash_psp.id,
                "pay_point_id": pay_point.id,
            }
        )
        return household

    def _approved_payroll(self):
        payroll = self._payroll(self._approved_cycle())
        self._approve(payroll)
        return payroll

    def _issue(self, payroll):
        payroll.with_user(self.finance).action_issue_vouchers()
        return self.env["g2p.voucher"].search([("payroll_id", "=", payroll.id)])

    def _code(self, voucher):
        return voucher.sudo().token

    def _after_validity(self, voucher):
        """Noon of the day after the voucher's last day (noon: the same date in any time zone)."""
        return "%s 12:00:00" % (voucher.valid_until + timedelta(days=1))

    def _last_day(self, voucher):
        return "%s 12:00:00" % voucher.valid_until
