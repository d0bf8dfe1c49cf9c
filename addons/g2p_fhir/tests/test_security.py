from odoo.tests import TransactionCase, new_test_user


class TestFhirRoles(TransactionCase):
    def test_api_integration_group_is_least_privilege(self):
        api_user = new_test_user(self.env, "api_t", groups="g2p_fhir.group_g2p_api_integration")
        self.assertFalse(api_user.has_group("g2p_registry.group_g2p_registrar"))
        self.assertFalse(api_user.has_group("g2p_registry.group_g2p_admin"))
        admin = new_test_user(self.env, "adm_api_t", groups="g2p_registry.group_g2p_admin")
        self.assertTrue(admin.has_group("g2p_fhir.group_g2p_api_integration"))
        menu = self.env.ref("g2p_fhir.menu_g2p_fhir")
        self.assertEqual(menu.group_ids, self.env.ref("g2p_registry.group_g2p_admin"))
