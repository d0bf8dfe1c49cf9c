from odoo.tests import TransactionCase, new_test_user


class TestInsuranceSecurity(TransactionCase):
    def test_group_and_menu(self):
        claims = self.env.ref("g2p_insurance_accounting.group_g2p_claims_officer")
        finance = self.env.ref("g2p_insurance_accounting.group_g2p_insurance_finance")
        menu = self.env.ref("g2p_insurance_accounting.menu_g2p_insurance")
        self.assertEqual(menu.group_ids, claims | finance, "the menu is restricted to the insurance roles")
        self.assertEqual(menu.parent_id, self.env.ref("g2p_registry.menu_g2p_root"))
        admin = new_test_user(self.env, "g2p_admin_t", groups="g2p_registry.group_g2p_admin")
        plain = new_test_user(self.env, "plain_t", groups="base.group_user")
        officer = new_test_user(
            self.env, "claims_t", groups="g2p_insurance_accounting.group_g2p_claims_officer"
        )
        cashier = new_test_user(
            self.env, "fin_t", groups="g2p_insurance_accounting.group_g2p_insurance_finance"
        )
        self.assertTrue(
            admin.has_group("g2p_insurance_accounting.group_g2p_claims_officer"),
            "G2P administrators hold every G2P role",
        )
        self.assertTrue(admin.has_group("g2p_insurance_accounting.group_g2p_insurance_finance"))
        self.assertFalse(plain.has_group("g2p_insurance_accounting.group_g2p_claims_officer"))
        self.assertTrue(cashier.has_group("account.group_account_invoice"), "finance officers post entries")
        self.assertFalse(
            cashier.has_group("g2p_insurance_accounting.group_g2p_claims_officer"),
            "segregation of duties: finance officers do not adjudicate claims",
        )
        self.assertFalse(officer.has_group("account.group_account_invoice"))
        self.assertFalse(officer.has_group("g2p_insurance_accounting.group_g2p_insurance_finance"))
