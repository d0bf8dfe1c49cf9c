from datetime import date

from odoo.exceptions import AccessError

from .common import RegistryCase


class TestDuplicatesAndDemo(RegistryCase):
    def test_detect_confirm_and_idempotent(self):
        first = self._individual("Akinyi", "Odhiambo", birthdate=date(1990, 5, 4))
        same = self._individual("akinyi ", "ODHIAMBO", birthdate=date(1990, 5, 4))
        other = self._individual("Akinyi", "Odhiambo", birthdate=date(1991, 5, 4))
        shares_phone = self._individual("Wekesa")
        Phone = self.env["g2p.phone.number"]
        Phone.create(
            [
                {"partner_id": other.id, "phone_number": "0799111222"},
                {"partner_id": shares_phone.id, "phone_number": "+254799111222"},
            ]
        )
        Duplicate = self.env["g2p.duplicate"]
        before = Duplicate.search([])
        self.assertEqual(Duplicate._detect(), 2)
        found = Duplicate.search([]) - before
        pairs = {(d.registrant_id, d.duplicate_id, d.reason) for d in found}
        self.assertEqual(pairs, {(first, same, "name_birthdate"), (other, shares_phone, "phone")})
        self.assertEqual(Duplicate._detect(), 0, "re-running records nothing twice")

        name_pair = found.filtered(lambda d: d.reason == "name_birthdate")
        with self.assertRaises(AccessError):
            name_pair.with_user(self.registrar).action_confirm()
        name_pair.with_user(self.validator).action_confirm()
        self.assertEqual(same.duplicate_of_id, first)
        phone_pair = found - name_pair
        phone_pair.with_user(self.validator).action_dismiss()
        self.assertFalse(shares_phone.duplicate_of_id)
        self.assertEqual(phone_pair.state, "dismissed")

    def test_demo_generator(self):
        households = self.env["g2p.registry.demo"]._generate(households=12, seed=7)
        self.assertEqual(len(households), 12)
        for household in households:
            heads = household.group_membership_ids.filtered(lambda m: m.role == "head")
            self.assertEqual(len(heads), 1, "every generated household has one head")
            self.assertEqual(household.household_size, len(household.group_membership_ids))
            self.assertTrue(household.head_id.default_payment_account_id, "the head can be paid")
        members = households.group_membership_ids.individual_id
        self.assertEqual(set(members.mapped("registrant_state")), {"active"})
        adults = members.filtered(lambda p: p.age >= 18)
        self.assertTrue(all(p.reg_id_ids for p in adults), "adults carry a national ID")
        # Deterministic for a seed: the same seed gives the same names.
        again = self.env["g2p.registry.demo"]._generate(households=12, seed=7)
        self.assertEqual(again.mapped("name"), households.mapped("name"))
