from datetime import date

from odoo.tests import HttpCase, new_test_user, tagged

from .common import RegistryCase


@tagged("post_install", "-at_install")
class TestChangeRequestTour(RegistryCase, HttpCase):
    def test_registrar_proposes_and_validator_approves_in_browser(self):
        new_test_user(
            self.env, "cr_registrar", groups="g2p_registry.group_g2p_registrar", password="cr_registrar"
        )
        new_test_user(
            self.env,
            "cr_validator",
            groups="g2p_registry.group_g2p_registry_validator",
            password="cr_validator",
        )
        person = self._individual("Halima", "Wekesa", birthdate=date(1988, 5, 2), registrant_state="active")

        self.start_tour("/odoo", "g2p_change_request_propose_tour", login="cr_registrar")
        request = self.env["g2p.change.request"].search([("partner_id", "=", person.id)])
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.proposed_by_id.login, "cr_registrar")
        self.assertEqual(person.family_name, "Wekesa", "nothing is applied before the approval")

        self.start_tour("/odoo", "g2p_change_request_approve_tour", login="cr_validator")
        request.invalidate_recordset()
        person.invalidate_recordset()
        self.assertEqual(request.state, "applied")
        self.assertEqual(request.decided_by_id.login, "cr_validator")
        self.assertEqual(person.family_name, "Wekesa-Barasa")
        self.assertEqual(person.name, "Halima Wekesa-Barasa")
