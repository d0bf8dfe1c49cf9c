from odoo.tests import HttpCase, tagged

from .common_area import AreaCase


@tagged("post_install", "-at_install")
class TestAreaTour(AreaCase, HttpCase):
    def test_kisumu_registrar_in_browser(self):
        self.start_tour(
            "/odoo/action-g2p_registry.action_households",
            "g2p_registry_area_tour",
            login="registrar_ksm",
        )
        household = self.env["res.partner"].search([("name", "=", "Tour Kisumu Household")])
        self.assertEqual(len(household), 1)
        self.assertEqual(household.area_id, self.kisumu)
        self.assertEqual(household.create_uid, self.registrar_ksm)
