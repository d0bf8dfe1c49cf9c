"""The review of possible duplicates follows the user's areas: a registrar limited to a county sees
the pairs whose two registrants are in it, nothing across or outside it."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common_area import AreaCase


class TestDuplicateAreas(AreaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ksm_other = cls._individual("Akinyi", "Odhiambo", area_id=cls.railways.id)
        cls.nbi_other = cls._individual("Wanjiru", "Kamau", area_id=cls.nairobi.id)
        cls.nowhere = cls._individual("Akinyi", "Odhiambo")
        Duplicate = cls.env["g2p.duplicate"]

        def pair(a, b, reason="similar_name"):
            first, second = sorted((a, b), key=lambda p: p.id)
            return Duplicate.create(
                {"registrant_id": first.id, "duplicate_id": second.id, "reason": reason, "score": 0.8}
            )

        cls.inside = pair(cls.ksm_member, cls.ksm_other)
        cls.across = pair(cls.ksm_member, cls.nbi_member, "manual")
        cls.outside = pair(cls.nbi_member, cls.nbi_other)
        cls.no_area = pair(cls.ksm_other, cls.nowhere)
        cls.pairs = cls.inside | cls.across | cls.outside | cls.no_area

    def test_a_registrar_limited_to_a_county_sees_its_pairs_only(self):
        Duplicate = self.env["g2p.duplicate"].with_user(self.registrar_ksm)
        domain = [("id", "in", self.pairs.ids)]
        self.assertEqual(Duplicate.search(domain), self.inside)
        self.assertEqual(Duplicate.search_count(domain), 1)
        groups = Duplicate._read_group(domain, ["reason"], ["__count"])
        self.assertEqual(groups, [("similar_name", 1)])
        for hidden in self.across | self.outside | self.no_area:
            with self.assertRaises(AccessError):
                hidden.with_user(self.registrar_ksm).read(["registrant_id", "duplicate_id"])
        self.assertEqual(
            self.inside.with_user(self.registrar_ksm).read(["duplicate_id"])[0]["duplicate_id"][0],
            self.ksm_other.id,
        )

    def test_users_without_areas_see_every_pair(self):
        for user in (self.registrar, self.validator):
            found = self.env["g2p.duplicate"].with_user(user).search([("id", "in", self.pairs.ids)])
            self.assertEqual(found, self.pairs)

    def test_a_scan_by_a_limited_user_leaves_pairs_across_areas_to_others(self):
        self.pairs.unlink()
        (self.ksm_other | self.nowhere).birthdate = "1990-05-06"  # the same name and day of birth
        limited_validator = new_test_user(
            self.env, "validator_ksm", groups="g2p_registry.group_g2p_registry_validator"
        )
        limited_validator.g2p_area_ids = self.kisumu
        self.env["g2p.duplicate"].with_user(limited_validator).action_detect()
        found = self.env["g2p.duplicate"].search(
            [("registrant_id", "=", self.ksm_other.id), ("duplicate_id", "=", self.nowhere.id)]
        )
        self.assertEqual(found.reason, "name_birthdate")
        self.assertFalse(
            self.env["g2p.duplicate"].with_user(limited_validator).search([("id", "=", found.id)])
        )
        self.assertEqual(
            self.env["g2p.duplicate"].with_user(self.validator).search([("id", "=", found.id)]), found
        )
