from odoo.tests import HttpCase, tagged

from .simulators.civil_registry import run_civil_registry
from odoo.addons.g2p_registry.tests.common import RegistryCase

PEOPLE = {
    "12345678": {"givenName": "Amina", "familyName": "Tour", "sex": "F"},
    "23456789": {"givenName": "Brian", "familyName": "Tours", "sex": "M"},
}


@tagged("post_install", "-at_install")
class TestVerificationTour(RegistryCase, HttpCase):
    """The registrar's journey in the browser, against the SOAP stand-in over real HTTP."""

    def test_registrar_verifies_ids_in_browser(self):
        with run_civil_registry(PEOPLE) as sim:
            id_type = self.env["g2p.id.type"].create({"name": "Tour ID", "code": "TOUR_ID"})
            self.env["g2p.verification.service"].create(
                {
                    "name": "Civil Registry (stand-in)",
                    "wsdl_url": sim.wsdl_url,
                    "id_type_ids": [(6, 0, id_type.ids)],
                    "field_map_ids": [
                        (0, 0, {"answer_path": "person.givenName", "registrant_field": "given_name"}),
                        (0, 0, {"answer_path": "person.familyName", "registrant_field": "family_name"}),
                    ],
                }
            )
            people = {}
            for number, given in (("12345678", "Amina"), ("23456789", "Brian")):
                people[number] = self._individual(given, "Tour")
                self.env["g2p.registrant.id"].create(
                    {"partner_id": people[number].id, "id_type_id": id_type.id, "value": number}
                )
            self.start_tour(
                "/odoo/action-g2p_registry.action_individuals",
                "g2p_verification_tour",
                login=self.registrar.login,
            )
            self.assertEqual([r["id_number"] for r in sim.requests()], ["12345678", "23456789"])
        self.assertEqual(people["12345678"].reg_id_ids.verification_state, "verified")
        self.assertEqual(people["23456789"].reg_id_ids.verification_state, "mismatch")
