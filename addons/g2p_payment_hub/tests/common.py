from odoo.addons.g2p_payroll.tests.common import PayrollCase
from odoo.addons.g2p_payroll.tests.test_golden import iban


class PaymentHubCase(PayrollCase):
    """An approved payroll of mobile-money and bank households, ready to be batched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(12):
            psp = "bank" if i >= 9 else "mobile"
            number = iban(i) if psp == "bank" else "+25471%07d" % i
            cls.households |= cls._paid_household("HH%02d" % i, [40, 10], psp=psp, number=number)
        cls.program.with_user(cls.manager)._enrol_eligible()

    def _approved_payroll(self):
        self._fund(1_000_000)
        cycle = self._approved_cycle()
        payroll = self._payroll(cycle)
        self._approve(payroll)
        return payroll
