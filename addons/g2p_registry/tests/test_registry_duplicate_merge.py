"""Confirming a duplicate merges it: IDs, phones, payment accounts and memberships move to the
registrant kept, the duplicate is disabled with the reason and a link, and nothing is deleted."""

from datetime import date

from odoo.exceptions import AccessError, UserError

from .common import RegistryCase


class TestDuplicateMerge(RegistryCase):
    def _account(self, person, **vals):
        return self.env["g2p.payment.account"].create(
            {
                "partner_id": person.id,
                "account_type": "cash",
                "provider_id": self.cash_psp.id,
                "pay_point_id": self.pay_point.id,
                **vals,
            }
        )

    def test_confirm_merges_into_the_older_registrant(self):
        born = date(1985, 6, 1)
        kept = self._individual("Wanjiru", "Kamau", birthdate=born)
        duplicate = self._individual("Wanjiru", "Kamau", birthdate=born)
        self.env["g2p.registrant.id"].create(
            {"partner_id": duplicate.id, "id_type_id": self.national_id.id, "value": "31415926"}
        )
        Phone = self.env["g2p.phone.number"]
        Phone.create({"partner_id": kept.id, "phone_number": "0722000111"})
        Phone.create({"partner_id": duplicate.id, "phone_number": "0722000111"})
        other_phone = Phone.create({"partner_id": duplicate.id, "phone_number": "0733000222"})
        kept_account = self._account(kept)
        moved_account = self._account(duplicate)
        household = self._household("Kamau Household", [(duplicate, "head")])
        shared = self._household("Both Household", [(kept, "head"), (duplicate, "spouse")])

        self.env["g2p.duplicate"]._detect()
        pairs = self.env["g2p.duplicate"].search(
            [("registrant_id", "=", kept.id), ("duplicate_id", "=", duplicate.id)]
        )
        self.assertEqual(sorted(pairs.mapped("reason")), ["name_birthdate", "phone"])
        pair = pairs.filtered(lambda d: d.reason == "name_birthdate")
        with self.assertRaises(AccessError):
            pair.with_user(self.registrar).action_confirm()
        pair.with_user(self.validator).action_confirm()
        self.assertEqual(pairs.mapped("state"), ["confirmed", "confirmed"], "both reasons judged at once")

        self.assertEqual(kept.reg_id_ids.mapped("value"), ["31415926"])
        self.assertEqual(
            sorted(kept.phone_number_ids.mapped("phone_number")), ["+254722000111", "+254733000222"]
        )
        self.assertEqual(other_phone.partner_id, kept)
        self.assertEqual(len(duplicate.phone_number_ids), 1, "the number the kept one already has stays")
        self.assertEqual(kept.payment_account_ids, kept_account | moved_account)
        self.assertTrue(kept_account.is_default)
        self.assertFalse(moved_account.is_default, "one default account")
        self.assertEqual(household.head_id, kept, "the duplicate's household now has the kept person")
        current = shared.group_membership_ids.filtered("is_current")
        self.assertEqual(current.individual_id, kept, "already a member: the duplicate's membership ends")
        self.assertTrue(duplicate.exists(), "never deleted")
        self.assertEqual(duplicate.registrant_state, "disabled")
        self.assertEqual(duplicate.duplicate_of_id, kept)
        self.assertIn("Duplicate of Wanjiru Kamau", duplicate.disabled_reason)
        self.assertIn("merged into this registrant", kept.message_ids[0].body)

    def test_only_the_same_kind(self):
        person = self._individual("Solo", "Person")
        household = self._household("Solo Household", [(self._individual("Head", "Solo"), "head")])
        with self.assertRaisesRegex(UserError, "same kind"):
            household.with_user(self.validator)._merge_into(person)
