from odoo.tests import HttpCase, new_test_user, tagged

from .common import RegistryCase


@tagged("post_install", "-at_install")
class TestPrivacyTour(RegistryCase, HttpCase):
    def test_admin_requests_and_executes_an_erasure_in_browser(self):
        new_test_user(
            self.env,
            "privacy_tour_admin",
            groups="g2p_registry.group_g2p_admin",
            password="privacy_tour_admin",
        )
        person = self._individual(
            "Nafula",
            "Privacy",
            reg_id_ids=[(0, 0, {"id_type_id": self.national_id.id, "value": "55501234"})],
        )
        self.start_tour("/odoo", "g2p_privacy_erasure_tour", login="privacy_tour_admin")
        request = self.env["g2p.erasure.request"].search([("partner_id", "=", person.id)])
        self.assertEqual(request.state, "done")
        self.assertEqual(request.requested_by_id.login, "privacy_tour_admin")
        self.assertEqual(request.reason, "Consent withdrawn by letter")
        person.invalidate_recordset()
        self.assertFalse(person.active)
        self.assertFalse(person.reg_id_ids)
        self.assertEqual(person.name, "Erased registrant #%s" % person.id)
