from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import RegistryCase


class TestIdsAndPhones(RegistryCase):
    def test_id_validated_normalised_and_unique_per_type(self):
        person = self._individual("Grace")
        reg_id = self.env["g2p.registrant.id"].create(
            {"partner_id": person.id, "id_type_id": self.national_id.id, "value": " 1234-5678 "}
        )
        self.assertEqual(reg_id.value, "12345678", "spaces and dashes are stripped")
        other = self._individual("Mercy")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["g2p.registrant.id"].create(
                {"partner_id": other.id, "id_type_id": self.national_id.id, "value": "12345678"}
            )
        # The same number under another type is a different document.
        self.env["g2p.registrant.id"].create(
            {"partner_id": other.id, "id_type_id": self.passport.id, "value": "12345678"}
        )
        self.assertEqual(other.reg_id_ids.id_type_id, self.passport)

    def test_invalid_id_refused_with_hint_and_nothing_stored(self):
        person = self._individual("Faith")
        with self.assertRefused(ValidationError, r"'1234567' is not a valid National ID \(eight digits\)"):
            self.env["g2p.registrant.id"].create(
                {"partner_id": person.id, "id_type_id": self.national_id.id, "value": "1234567"}
            )
        self.assertFalse(self.env["g2p.registrant.id"].search([("partner_id", "=", person.id)]))
        valid = self.env["g2p.registrant.id"].create(
            {"partner_id": person.id, "id_type_id": self.national_id.id, "value": "87654321"}
        )
        with self.assertRaises(ValidationError):
            valid.value = "ABC"
        valid.invalidate_recordset()
        self.assertEqual(valid.value, "87654321", "a refused edit leaves the stored number unchanged")

    def test_bad_id_type_pattern_refused(self):
        with self.assertRefused(ValidationError, "not a valid regular expression"):
            self.env["g2p.id.type"].create({"name": "Broken", "code": "BROKEN", "validation_regex": "[0-9"})

    def test_phone_normalised_to_e164_with_company_country(self):
        person = self._individual("Zawadi")
        Phone = self.env["g2p.phone.number"]
        local = Phone.create({"partner_id": person.id, "phone_number": "0712 345 678"})
        self.assertEqual(
            local.phone_number, "+254712345678", "a local number is read in the company's country"
        )
        foreign = Phone.create({"partner_id": person.id, "phone_number": "+33 6 12 34 56 78"})
        self.assertEqual(foreign.phone_number, "+33612345678")
        local.phone_number = "0722-000-111"
        self.assertEqual(local.phone_number, "+254722000111", "edits are normalised too")

    def test_invalid_phone_rejected_with_clear_message(self):
        person = self._individual("Njeri")
        Phone = self.env["g2p.phone.number"]
        with self.assertRefused(ValidationError, "'12' is not a valid phone number for Kenya"):
            Phone.create({"partner_id": person.id, "phone_number": "12"})
        with self.assertRefused(ValidationError, "is not a phone number"):
            Phone.create({"partner_id": person.id, "phone_number": "call me"})
        phone = Phone.create({"partner_id": person.id, "phone_number": "0712345678"})
        with self.assertRaises(ValidationError):
            phone.phone_number = "0000"
        phone.invalidate_recordset()
        self.assertEqual(phone.phone_number, "+254712345678")
        self.assertEqual(len(person.phone_number_ids), 1)

    def test_local_phone_read_in_registrant_country(self):
        """A number without a country prefix is read in the registrant's country, else the
        company's."""
        Phone = self.env["g2p.phone.number"]
        kenya, usa = self.env.ref("base.ke"), self.env.ref("base.us")
        self.env.company.country_id = usa
        kenyan = self._individual("Wambui", country_id=kenya.id)
        phone = Phone.create({"partner_id": kenyan.id, "phone_number": "0712 345 678"})
        self.assertEqual(
            phone.phone_number, "+254712345678", "read in Kenya although the company is in the US"
        )
        self.assertEqual(phone.country_id, kenya)
        phone.phone_number = "0722 000 111"
        self.assertEqual(phone.phone_number, "+254722000111", "edits are read in the same country")
        wallet = self.env["g2p.payment.account"].create(
            {
                "partner_id": kenyan.id,
                "account_type": "mobile_wallet",
                "provider_id": self.mobile_psp.id,
                "msisdn": "0712 345 678",
            }
        )
        self.assertEqual(wallet.msisdn, "+254712345678", "wallet numbers too")
        wallet.msisdn = "0733 000 111"
        self.assertEqual(wallet.msisdn, "+254733000111")
        nowhere = self._individual("Joy")
        self.assertEqual(
            Phone.create({"partner_id": nowhere.id, "phone_number": "(650) 253-0000"}).phone_number,
            "+16502530000",
            "without a country of its own, the company's",
        )

        self.env.company.country_id = kenya
        american = self._individual("Daniel", country_id=usa.id)
        phone = Phone.create({"partner_id": american.id, "phone_number": "(650) 253-0000"})
        self.assertEqual(
            phone.phone_number, "+16502530000", "read in the US although the company is in Kenya"
        )
        with self.assertRefused(
            ValidationError, "'0712 345 678' is not a valid phone number for United States"
        ):
            Phone.create({"partner_id": american.id, "phone_number": "0712 345 678"})
        self.assertEqual(american.phone_number_ids, phone, "the refused number is not stored")
        explicit = Phone.create(
            {"partner_id": american.id, "phone_number": "0712 345 678", "country_id": kenya.id}
        )
        self.assertEqual(explicit.phone_number, "+254712345678", "a country given on the number wins")
