"""New intake against the whole registry, with the keys of the registry's duplicate detection
(``g2p.duplicate``): an ID number or a phone, or a name folded for case and accents with the date of
birth, is the same person; a similar name born the same day is a new person proposed for review
(a pending pair with its score). The batch is checked in a few queries, whatever its size."""

import json
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.g2p_intake.models.g2p_intake_service import G2pIntakeService
from odoo.addons.g2p_registry.models.g2p_duplicate import G2pDuplicate
from odoo.addons.g2p_registry.tests.common_area import AreaCase


def household(family, given="Amina", birthdate="1988-03-14", phone=None, national_id=None):
    head = {
        "key": "head",
        "role": "head",
        "vals": {"given_name": given, "family_name": family, "birthdate": birthdate},
        "phones": [phone] if phone else [],
        "ids": [{"type": "NID_TEST", "value": national_id}] if national_id else [],
    }
    return {"household": {}, "members": [head]}


@tagged("post_install", "-at_install")
class TestIntakeAgainstRegistry(AreaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["g2p.intake.source"].create({"name": "Registry check feed"})
        cls.Record = cls.env["g2p.intake.record"]
        cls.Duplicate = cls.env["g2p.duplicate"]

    def _process(self, payloads):
        """Stage and process ``payloads`` ({external id: household}) as one batch; the records by
        external id."""
        records = self.Record._stage(
            self.source,
            [{"external_id": key, "payload": json.dumps(payload)} for key, payload in payloads.items()],
        )
        records._process()
        return {record.external_id: record for record in records}

    def _pairs(self, partner):
        return self.Duplicate.search(
            ["|", ("registrant_id", "=", partner.id), ("duplicate_id", "=", partner.id)]
        )

    def _filler(self, count=2):
        """Households new to the registry, so the batch has something to create together."""
        return {
            "filler-%s" % n: household("Filler%s" % n, given="Zawadi", birthdate="1970-01-%02d" % (n + 1))
            for n in range(count)
        }

    def test_accents_and_case_are_the_same_person(self):
        jose = self._individual("José", "Kamau", birthdate="2001-09-30")
        records = self._process(
            {"plain": household("KAMAU ", given=" jose", birthdate="2001-09-30"), **self._filler()}
        )
        plain = records["plain"]
        self.assertEqual(plain.state, "imported", plain.error_message)
        self.assertEqual(plain.individual_ids, jose, "matched, not created again")
        self.assertNotIn(jose, plain.created_partner_ids)
        self.assertEqual(records["filler-0"].state, "imported")
        self.assertFalse(self._pairs(jose))

    def test_a_similar_name_is_a_new_person_to_review(self):
        amina = self._individual("Amina", "Otieno", birthdate="1988-03-14")
        records = self._process(
            {
                "typo": household("Otiendo"),  # similar, born the same day
                "other-day": household("Otiendo", birthdate="1988-03-15"),
                "stranger": household("Wanjiru", given="Grace"),
                **self._filler(),
            }
        )
        self.assertEqual({r.state for r in records.values()}, {"imported"})
        typo = records["typo"].individual_ids
        self.assertEqual(records["typo"].created_partner_ids, typo | records["typo"].household_id)
        pair = self._pairs(amina)
        self.assertEqual(len(pair), 1, "only the similar name born the same day")
        self.assertEqual((pair.registrant_id, pair.duplicate_id), (amina, typo))
        self.assertEqual((pair.reason, pair.state), ("similar_name", "pending"))
        self.assertGreaterEqual(pair.score, 0.6)
        self.assertLess(pair.score, 1.0)
        self.assertFalse(self._pairs(records["other-day"].individual_ids))
        self.assertFalse(self._pairs(records["stranger"].individual_ids))
        # Processed again: the pair is not recorded twice, and a dismissed one not again.
        pair.with_user(self.validator).action_dismiss()
        records["typo"].action_reprocess()
        self.assertEqual(self._pairs(amina).mapped("state"), ["dismissed"])

    def test_under_the_threshold_nothing_is_proposed(self):
        amina = self._individual("Amina", "Otieno", birthdate="1988-03-14")
        self.env["ir.config_parameter"].sudo().set_param("g2p_registry.duplicate_name_similarity", "0.95")
        records = self._process({"typo": household("Otiendo"), **self._filler()})
        self.assertEqual(records["typo"].state, "imported")
        self.assertFalse(self._pairs(amina))

    def test_similar_names_within_the_batch_are_proposed(self):
        records = self._process({"first": household("Mwangi"), "second": household("Mwangy")})
        first, second = records["first"].individual_ids, records["second"].individual_ids
        self.assertTrue(first and second and first != second)
        pair = self._pairs(first)
        self.assertEqual(
            (pair.registrant_id | pair.duplicate_id, pair.reason), (first | second, "similar_name")
        )

    def test_phone_and_id_are_the_same_person(self):
        by_phone = self._individual("Amina", "Otieno", birthdate="1988-03-14")
        self.env["g2p.phone.number"].create({"partner_id": by_phone.id, "phone_number": "+254712000101"})
        by_id = self._individual("Baraka", "Ouma")
        self.env["g2p.registrant.id"].create(
            {"partner_id": by_id.id, "id_type_id": self.national_id.id, "value": "12340101"}
        )
        old_phone = self._individual("Cheru", "Odera")
        self.env["g2p.phone.number"].create(
            {"partner_id": old_phone.id, "phone_number": "+254712000102", "disabled": True}
        )
        records = self._process(
            {
                "phone": household("Otieno", phone="0712 000 101"),
                "id": household("Ouma", given="Baraka", birthdate=False, national_id="1234-0101"),
                # A number that no longer reaches its registrant is nobody's key.
                "old-phone": household("Kibet", given="Daniel", phone="0712000102"),
                **self._filler(),
            }
        )
        self.assertEqual(records["phone"].individual_ids, by_phone)
        self.assertEqual(records["id"].individual_ids, by_id)
        self.assertEqual(records["old-phone"].state, "imported")
        self.assertNotEqual(records["old-phone"].individual_ids, old_phone)
        self.assertTrue(records["old-phone"].individual_ids < records["old-phone"].created_partner_ids)
        self.assertFalse(self._pairs(by_phone) | self._pairs(by_id) | self._pairs(old_phone))

    def test_the_batch_is_checked_in_a_few_queries_not_per_record(self):
        self._individual("Amina", "Otieno", birthdate="1988-03-14")
        Service = self.env["g2p.intake.service"]

        def checked(count):
            records = self.Record._stage(
                self.source,
                [
                    {
                        "external_id": "q%s-%s" % (count, n),
                        "payload": json.dumps(household("Otieno%s" % n, phone="07125%05d" % n)),
                    }
                    for n in range(count)
                ],
            )
            items = [(r, Service._prepare_household(r, r.source_id._intake_normalise(r))) for r in records]
            self.env.flush_all()
            calls = []
            original = G2pDuplicate._candidates_for

            def spy(model, probes, keys=None):
                calls.append(len(probes))
                return original(model, probes, keys)

            before = self.env.cr.sql_log_count
            with patch.object(G2pDuplicate, "_candidates_for", spy):
                Service._check_registry(items)
            return calls, self.env.cr.sql_log_count - before

        checked(1)  # the threshold and the extensions are read once, then cached
        calls_5, queries_5 = checked(5)
        calls_50, queries_50 = checked(50)
        self.assertEqual(
            (calls_5, calls_50), ([10], [100]), "one call for the batch (households and members)"
        )
        self.assertEqual(queries_5, queries_50, "as many queries for 50 records as for 5")

    def test_bulk_creation_keeps_the_similar_names(self):
        amina = self._individual("Amina", "Otieno", birthdate="1988-03-14")
        created = []
        original = G2pIntakeService._apply_new_households

        def spy(service, items):
            result = original(service, items)
            created.append(sorted(record.external_id for record in result))
            return result

        with patch.object(G2pIntakeService, "_apply_new_households", spy):
            self._process({"typo": household("Otiendo"), **self._filler()})
        self.assertEqual(created, [["filler-0", "filler-1", "typo"]], "a similar name alone is no match")
        self.assertEqual(self._pairs(amina).reason, "similar_name")

    def test_candidates_outside_the_readers_areas_are_not_named(self):
        # Wanjiru Kamau (Nairobi) has the phone of the record, but another given name: held.
        records = self._process({"nbi": household("Kamau", given="Grace", phone="0712000047")})
        record = records["nbi"]
        self.assertEqual(record.state, "duplicate")
        self.assertEqual(record.candidate_ids, self.nbi_member)
        self.assertIn("Wanjiru", record.error_display)
        self.env.invalidate_all()  # read as the user would, in a request of their own
        as_ksm = record.with_user(self.registrar_ksm)
        self.assertFalse(as_ksm.candidate_ids)
        self.assertFalse(as_ksm.action_open_candidates()["domain"][0][2])
        self.assertNotIn("Wanjiru", as_ksm.error_display)
        self.assertIn("outside your areas", as_ksm.error_display)
        self.assertNotIn("Wanjiru", as_ksm.action_reprocess()["params"]["message"])
        self.assertIn("Wanjiru", record.with_user(self.registrar).error_display)
