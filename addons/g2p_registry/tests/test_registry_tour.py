from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRegistryTour(HttpCase):
    def test_registrar_registers_household_in_browser(self):
        new_test_user(
            self.env, "tour_registrar", groups="g2p_registry.group_g2p_registrar", password="tour_registrar"
        )
        self.start_tour(
            "/odoo/action-g2p_registry.action_households",
            "g2p_registry_household_tour",
            login="tour_registrar",
        )
        household = self.env["res.partner"].search([("name", "=", "Tour Household")])
        self.assertEqual(len(household), 1)
        self.assertTrue(household.is_group and household.is_registrant)
        self.assertEqual(household.registrant_state, "draft")
        self.assertEqual(household.create_uid.login, "tour_registrar")
