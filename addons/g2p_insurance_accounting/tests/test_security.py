from lxml import etree

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

    def test_claim_form_offers_to_create_hospitals_only_to_contact_managers(self):
        """A pure claims officer picks the provider (no Create / Create and edit in the dropdown);
        one who also manages contacts can create it there, as a company."""
        officer = new_test_user(
            self.env, "claims_v", groups="g2p_insurance_accounting.group_g2p_claims_officer"
        )
        manager = new_test_user(
            self.env,
            "claims_v2",
            groups="base.group_partner_manager,g2p_insurance_accounting.group_g2p_claims_officer",
        )
        Claim = self.env["g2p.insurance.claim"]
        for user, can_create in ((officer, "False"), (manager, "True")):
            arch = Claim.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
            provider = etree.fromstring(arch).xpath("//field[@name='provider_id']")[0]
            self.assertEqual(provider.get("can_create"), can_create, user.login)
            self.assertIn("default_is_company", provider.get("context"))
