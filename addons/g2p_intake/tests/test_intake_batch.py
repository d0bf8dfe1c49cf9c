import json
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.g2p_intake.models.g2p_intake_service import G2pIntakeService
from odoo.addons.g2p_registry.tests.common import RegistryCase
from odoo.addons.queue_job.tests.common import trap_jobs


def household(n, phone=None, national_id=None, given="Amani", birthdate="1981-02-03"):
    """A household of two: its head (with ``phone`` and ``national_id``) and a child."""
    head = {
        "key": "head",
        "role": "head",
        "vals": {"given_name": given, "family_name": "Family%s" % n, "birthdate": birthdate},
        "phones": [phone] if phone else [],
        "ids": [{"type": "NID_TEST", "value": national_id}] if national_id else [],
    }
    child = {
        "key": "child",
        "role": "child",
        "vals": {"given_name": "Chiku", "family_name": "Family%s" % n, "birthdate": "2012-09-10"},
    }
    return {"household": {"vals": {"city": "Village %s" % n}}, "members": [head, child]}


@tagged("post_install", "-at_install")
class TestIntakeBatch(RegistryCase):
    """Many records processed together: new households created in batches, the others one by one,
    with the same outcome as one record at a time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["g2p.intake.source"].create({"name": "Batch feed"})
        cls.Record = cls.env["g2p.intake.record"]

    def _stage(self, payloads):
        return self.Record._stage(
            self.source,
            [{"external_id": key, "payload": json.dumps(payload)} for key, payload in payloads.items()],
        )

    def _bulk_calls(self):
        """The households :meth:`_apply_new_households` created, call by call ("refused" when the
        registry refused the batch)."""
        created = []
        original = G2pIntakeService._apply_new_households

        def spy(service, items):
            try:
                result = original(service, items)
            except Exception:
                created.append("refused")
                raise
            created.append(len(result))
            return result

        return created, patch.object(G2pIntakeService, "_apply_new_households", spy)

    def test_new_households_are_created_together_and_completely(self):
        payloads = {
            "h%s" % n: household(n, phone="07120%05d" % n, national_id="%08d" % (40000000 + n))
            for n in range(30)
        }
        records = self._stage(payloads)
        created, spy = self._bulk_calls()
        with spy:
            counts = records._process()
        self.assertEqual(counts["imported"], 30)
        self.assertEqual(created, [30], "one batch created all 30 households")
        for record in records:
            n = int(record.external_id[1:])
            household_partner = record.household_id
            self.assertTrue(household_partner.is_group and household_partner.registrant_number)
            self.assertEqual(household_partner.name, "Family%s household" % n)
            self.assertEqual(household_partner.city, "Village %s" % n)
            self.assertEqual(household_partner.household_size, 2)
            head = household_partner.head_id
            self.assertEqual(head.name, "Amani Family%s" % n)
            self.assertEqual(head.phone_number_ids.phone_number, "+2547120%05d" % n)
            self.assertTrue(head.phone_number_ids.is_primary)
            self.assertEqual(head.reg_id_ids.value, "%08d" % (40000000 + n))
            self.assertEqual(record.individual_ids, household_partner.group_membership_ids.individual_id)
            self.assertEqual(record.created_partner_ids, household_partner | record.individual_ids)
            self.assertEqual(set(record.member_keys), {"head", "child"})
            self.assertEqual(record.member_keys["head"], head.id)
            self.assertEqual(head.intake_record_count, 1)
        numbers = records.household_id.mapped("registrant_number") + records.individual_ids.mapped(
            "registrant_number"
        )
        self.assertEqual(len(set(numbers)), 90, "every registrant has its own number")
        # Processed again (one by one, as they are applied now): nothing changes.
        registrants = self.env["res.partner"].search_count([("is_registrant", "=", True)])
        with spy:
            counts = records._process()
        self.assertEqual(counts["imported"], 30)
        self.assertEqual(created[1:], [0], "applied records are not created again")
        self.assertEqual(self.env["res.partner"].search_count([("is_registrant", "=", True)]), registrants)

    def test_records_that_may_match_are_applied_one_by_one_as_before(self):
        known = self._stage({"known": household(1, phone="0712300001")})
        known._process()
        registrants = self.env["res.partner"].search_count([("is_registrant", "=", True)])
        records = self._stage(
            {
                "fresh-1": household(2),
                "fresh-2": household(3),
                # The same phone as the household already in the registry: updates it.
                "same-phone": household(1, phone="0712300001", birthdate="1981-02-03"),
                # Two records of the batch with the same ID number: the second matches the first.
                "twin-a": household(4, national_id="55550001"),
                "twin-b": household(4, national_id="55550001"),
                # Someone already in the registry by name and birthdate (with an ID number new to it).
                "same-name": household(1, national_id="55550002"),
            }
        )
        created, spy = self._bulk_calls()
        with spy:
            records._process()
        state = {r.external_id: r.state for r in records}
        self.assertEqual(created, [2], "only the two households that match nothing are created together")
        self.assertEqual(state["fresh-1"], "imported")
        self.assertEqual(state["same-phone"], "imported")
        by_key = {r.external_id: r for r in records}
        self.assertEqual(by_key["same-phone"].household_id, known.household_id)
        self.assertEqual(by_key["twin-b"].household_id, by_key["twin-a"].household_id)
        self.assertEqual(state["same-name"], "imported", by_key["same-name"].error_message)
        self.assertEqual(by_key["same-name"].household_id, known.household_id)
        # 2 fresh households of 2 + the twins' household of 2: 9 registrants more.
        self.assertEqual(
            self.env["res.partner"].search_count([("is_registrant", "=", True)]), registrants + 9
        )

    def test_a_household_the_registry_refuses_does_not_stop_the_batch(self):
        payloads = {"h%s" % n: household(n) for n in range(5)}
        # Both members with the same ID number: the intake reads it, the registry refuses the
        # second (one registrant per ID number) only when it is written.
        payloads["bad"] = household(9, national_id="77770001")
        payloads["bad"]["members"][1]["ids"] = [{"type": "NID_TEST", "value": "77770001"}]
        records = self._stage(payloads)
        created, spy = self._bulk_calls()
        with spy:
            counts = records._process()
        bad = records.filtered(lambda r: r.external_id == "bad")
        self.assertEqual(bad.state, "error")
        self.assertTrue(bad.error_message)
        self.assertEqual(created, ["refused"], "the batch was refused as a whole, then applied one by one")
        self.assertFalse(bad.household_id)
        self.assertEqual(counts["imported"], 5)
        self.assertFalse(
            self.env["res.partner"].search([("family_name", "=", "Family9")]), "nothing of it is kept"
        )
        self.assertEqual(len((records - bad).household_id), 5)

    def test_large_intake_runs_in_jobs_with_progress(self):
        records = self._stage({"h%s" % n: household(n) for n in range(12)})
        with patch("odoo.addons.g2p_intake.models.g2p_intake_run.JOB_CHUNK_SIZE", 5), trap_jobs() as trap:
            run = self.env["g2p.intake.run"].with_user(self.registrar)._start(self.source, "big.csv", records)
            self.assertEqual(run.job_count, 3)
            trap.assert_jobs_count(3)
            self.assertEqual(
                (run.record_count, run.pending_count, run.progress, run.state), (12, 12, 0, "running")
            )
            trap.enqueued_jobs[0].perform()
            run.invalidate_recordset()
            self.assertEqual((run.pending_count, run.imported_count), (7, 5))
            self.assertAlmostEqual(run.progress, 500 / 12)
            # A record processed meanwhile (re-processed by hand) is not processed again by its job.
            records.filtered(lambda r: r.state == "new")[:1].action_reprocess()
            run.invalidate_recordset()
            self.assertEqual(run.pending_count, 6)
            run.with_user(self.registrar).action_process_now()
            run.invalidate_recordset()
            self.assertEqual(
                (run.pending_count, run.imported_count, run.progress, run.state), (0, 12, 100, "done")
            )
            # The jobs left find nothing to do.
            for job in trap.enqueued_jobs[1:]:
                job.perform()
        self.assertEqual(len(records.household_id), 12)
        self.assertEqual(
            run.with_user(self.registrar).action_open_records()["domain"], [("run_id", "=", run.id)]
        )
