"""Duplicate keys over the whole registry in SQL: folded names with the same date of birth, names
similar by pg_trgm within a date of birth (score = the similarity, threshold configurable), and
dismissed pairs never proposed again."""

from datetime import date

from .common import RegistryCase


class TestDuplicateKeys(RegistryCase):
    def _pairs(self, people):
        found = self.env["g2p.duplicate"].search(
            [("registrant_id", "in", people.ids), ("duplicate_id", "in", people.ids)]
        )
        return {(d.registrant_id, d.duplicate_id): d for d in found}

    def test_similar_names_born_the_same_day(self):
        born = date(1988, 3, 14)
        amina = self._individual("Amina", "Otieno", birthdate=born)
        typo = self._individual("Amina", "Otiendo", birthdate=born)
        other_day = self._individual("Amina", "Otiendo", birthdate=date(1988, 3, 15))
        stranger = self._individual("Grace", "Wanjiru", birthdate=born)
        self.env["g2p.duplicate"]._detect()
        pairs = self._pairs(amina | typo | other_day | stranger)
        self.assertEqual(set(pairs), {(amina, typo)}, "the same day only, and a similar name only")
        pair = pairs[(amina, typo)]
        self.assertEqual(pair.reason, "similar_name")
        self.assertGreaterEqual(pair.score, 0.6)
        self.assertLess(pair.score, 1.0)

    def test_threshold_is_configurable(self):
        born = date(1979, 7, 1)
        people = self._individual("Peter", "Mwangi", birthdate=born) | self._individual(
            "Peter", "Mwangy", birthdate=born
        )
        self.env["ir.config_parameter"].sudo().set_param("g2p_registry.duplicate_name_similarity", "0.95")
        self.env["g2p.duplicate"]._detect()
        self.assertFalse(self._pairs(people))
        self.env["ir.config_parameter"].sudo().set_param("g2p_registry.duplicate_name_similarity", "0.4")
        self.env["g2p.duplicate"]._detect()
        self.assertEqual([d.reason for d in self._pairs(people).values()], ["similar_name"])

    def test_accents_case_and_spaces_are_one_name(self):
        born = date(2001, 9, 30)
        jose = self._individual("José", "Kamau", birthdate=born)
        plain = self._individual("JOSE ", " kamau", birthdate=born)
        self.env["g2p.duplicate"]._detect()
        self.assertEqual([d.reason for d in self._pairs(jose | plain).values()], ["name_birthdate"])

    def test_a_dismissed_pair_is_not_proposed_again(self):
        born = date(1990, 1, 2)
        first = self._individual("Mercy", "Achieng", birthdate=born)
        second = self._individual("Mercy", "Achieng'", birthdate=born)
        Duplicate = self.env["g2p.duplicate"]
        Duplicate._detect()
        pairs = self._pairs(first | second)
        self.assertEqual(len(pairs), 1)
        next(iter(pairs.values())).with_user(self.validator).action_dismiss()
        # They now share a phone too: another key, the same two people, already judged.
        self.env["g2p.phone.number"].create(
            [
                {"partner_id": first.id, "phone_number": "0711000999"},
                {"partner_id": second.id, "phone_number": "+254711000999"},
            ]
        )
        Duplicate._detect()
        found = Duplicate.search([("registrant_id", "=", first.id), ("duplicate_id", "=", second.id)])
        self.assertEqual(found.mapped("state"), ["dismissed"])

    def test_a_household_and_its_head_sharing_a_phone_are_no_pair(self):
        head = self._individual("Otieno", "Phone")
        household = self._household("Phone Household", [(head, "head")])
        twin = self._individual("Another", "Caller")
        Phone = self.env["g2p.phone.number"]
        for partner in (head, household, twin):
            Phone.create({"partner_id": partner.id, "phone_number": "0700123456"})
        self.env["g2p.duplicate"]._detect()
        self.assertEqual(set(self._pairs(head | household | twin)), {(head, twin)})
