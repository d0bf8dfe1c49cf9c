from odoo.tests import TransactionCase


class TestPaymentHubMenu(TransactionCase):
    def test_menu_for_finance_officers(self):
        menu = self.env.ref("g2p_payment_hub.menu_g2p_payment_hub")
        self.assertEqual(menu.group_ids, self.env.ref("g2p_payroll.group_g2p_finance_officer"))
        self.assertEqual(menu.parent_id, self.env.ref("g2p_registry.menu_g2p_root"))
