"""Change requests follow their registrant's area: an area-limited registrar or validator sees,
counts and decides only those of their areas."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common_area import AreaCase


class TestChangeRequestAreas(AreaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.partner"].browse([cls.ksm_member.id, cls.nbi_member.id]).registrant_state = "active"
        cls.validator_ksm = new_test_user(
            cls.env, "validator_ksm", groups="g2p_registry.group_g2p_registry_validator"
        )
        cls.validator_ksm.g2p_area_ids = cls.kisumu
        Request = cls.env["g2p.change.request"].with_user(cls.registrar)
        cls.ksm_request = Request.create(
            {"partner_id": cls.ksm_member.id, "changes": {"given_name": "Atieno"}}
        )
        cls.nbi_request = Request.create(
            {"partner_id": cls.nbi_member.id, "changes": {"given_name": "Wambui"}}
        )

    def test_limited_users_see_only_their_areas_requests(self):
        for user in (self.registrar_ksm, self.validator_ksm):
            Request = self.env["g2p.change.request"].with_user(user)
            self.assertEqual(Request.search([]), self.ksm_request)
            self.assertEqual(Request.search_count([]), 1)
            Line = self.env["g2p.change.request.line"].with_user(user)
            self.assertEqual(Line.search([]).request_id, self.ksm_request)
            with self.assertRaises(AccessError):
                self.nbi_request.with_user(user).read(["name", "summary"])

    def test_limited_validator_decides_only_in_their_areas(self):
        with self.assertRaises(AccessError):
            self.nbi_request.with_user(self.validator_ksm).action_approve()
        self.assertEqual(self.nbi_member.given_name, "Wanjiru")
        self.ksm_request.with_user(self.validator_ksm).action_approve()
        self.assertEqual(self.ksm_member.given_name, "Atieno")

    def test_a_registrar_cannot_propose_outside_their_areas(self):
        with self.assertRaises(AccessError):
            self.env["g2p.change.request"].with_user(self.registrar_ksm).create(
                {"partner_id": self.nbi_member.id, "changes": {"family_name": "Njeri"}}
            )
