from datetime import date

from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tools import mute_logger

from .common import RegistryCase


class TestHousehold(RegistryCase):
    def test_household_with_members_and_head(self):
        mother = self._individual("Wanjiru", "Kinoti", gender="female", birthdate=date(1985, 3, 1))
        father = self._individual("Kamau", "Kinoti", gender="male")
        child = self._individual("Joy", "Kinoti")
        household = self._household("Kinoti", [(mother, "head"), (father, "spouse"), (child, "child")])
        self.assertEqual(mother.name, "Wanjiru Kinoti", "an individual's name is built from its parts")
        self.assertTrue(household.registrant_number.startswith("HH-"))
        self.assertTrue(mother.registrant_number.startswith("IND-"))
        self.assertEqual(household.household_size, 3)
        self.assertEqual(household.head_id, mother)
        self.assertEqual(household.registrant_state, "draft", "a new registrant waits for approval")
        self.assertEqual(household.group_membership_ids.mapped("role"), ["head", "spouse", "child"])

    def test_second_head_refused_and_nothing_changes(self):
        head = self._individual("Amina")
        other = self._individual("Halima")
        household = self._household("Abdi", [(head, "head")])
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["g2p.group.membership"].create(
                {"group_id": household.id, "individual_id": other.id, "role": "head"}
            )
        household.invalidate_recordset()
        self.assertEqual(household.head_id, head)
        self.assertEqual(household.household_size, 1)

    def test_head_changes_after_departure(self):
        head = self._individual("Otieno")
        spouse = self._individual("Achieng")
        household = self._household("Onyango", [(head, "head"), (spouse, "spouse")])
        head_membership = household.group_membership_ids.filtered(lambda m: m.role == "head")
        head_membership.end_date = date.today()
        household.group_membership_ids.filtered(lambda m: m.individual_id == spouse).role = "head"
        self.assertEqual(household.head_id, spouse)
        self.assertEqual(household.household_size, 1, "a member who left no longer counts")

    def test_member_twice_refused(self):
        person = self._individual("Baraka")
        household = self._household("Mutua", [(person, "head")])
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["g2p.group.membership"].create({"group_id": household.id, "individual_id": person.id})

    def test_only_individuals_join_only_households(self):
        person = self._individual("Esther")
        household = self._household("Ruto")
        other_household = self._household("Omar")
        with self.assertRefused(ValidationError, "is a household"):
            self.env["g2p.group.membership"].create(
                {"group_id": household.id, "individual_id": other_household.id}
            )
        with self.assertRefused(ValidationError, "is not a household"):
            self.env["g2p.group.membership"].create({"group_id": person.id, "individual_id": person.id})
        self.assertFalse(household.group_membership_ids)

    def test_household_needs_a_name(self):
        with self.assertRefused(ValidationError, "needs a name"):
            self.env["res.partner"].create({"is_registrant": True, "is_group": True})

    def test_age_compute_and_search(self):
        today = date.today()
        baby = self._individual("Baby", birthdate=today - relativedelta(months=7))
        teen = self._individual("Teen", birthdate=today - relativedelta(years=17, days=1))
        adult = self._individual("Adult", birthdate=today - relativedelta(years=18))
        elder = self._individual("Elder", birthdate=today - relativedelta(years=70, days=-1))
        unknown = self._individual("Unknown")
        people = baby | teen | adult | elder | unknown
        self.assertEqual(people.mapped("age"), [0, 17, 18, 69, 0])
        Partner = self.env["res.partner"]
        scope = [("id", "in", people.ids)]
        self.assertEqual(Partner.search(scope + [("age", "<", 18)]), baby | teen)
        self.assertEqual(Partner.search(scope + [("age", ">=", 18)]), adult | elder)
        self.assertEqual(Partner.search(scope + [("age", ">", 17)]), adult | elder)
        self.assertEqual(Partner.search(scope + [("age", "<=", 17)]), baby | teen)
        self.assertEqual(Partner.search(scope + [("age", "=", 69)]), elder)
        self.assertEqual(Partner.search(scope + [("age", "!=", 69)]), baby | teen | adult | unknown)

    def test_approving_a_household_names_members_to_approve(self):
        head = self._individual("Nafula")
        child = self._individual("Wekesa")
        household = self._household("Nafula Household", [(head, "head"), (child, "child")])
        action = household.with_user(self.validator).action_approve()
        self.assertEqual(household.registrant_state, "active")
        self.assertEqual(action["tag"], "display_notification")
        message = action["params"]["message"]
        self.assertIn("Nafula Household is approved", message)
        self.assertIn("Members still to approve (Members tab): Nafula Test, Wekesa Test.", message)
        # The Members tab's Approve button: validators only, then the member is active.
        membership = household.group_membership_ids.filtered(lambda m: m.individual_id == child)
        with self.assertRaises(AccessError):
            membership.with_user(self.registrar).action_approve_member()
        self.assertEqual(child.registrant_state, "draft")
        action = membership.with_user(self.validator).action_approve_member()
        self.assertEqual(child.registrant_state, "active")
        self.assertEqual(membership.individual_state, "active")
        self.assertIn("Wekesa Test is approved", action["params"]["message"])
        self.assertNotIn("still to approve", action["params"]["message"])
