"""Pulls from the ODK Central stand-in (tests/simulators/odk_central.py), run as its own process and
reached over real HTTP through pyodk, as a real Central would be."""

import json
import sys
from pathlib import Path

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.g2p_registry.const import SECRET_GROUPS
from odoo.addons.g2p_registry.tests.common import RegistryCase

# tests/ of the repository is a folder, not an addon: put it on the path for the stand-in.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from simulators.odk_central import household, run_odk_central


class OdkCase(RegistryCase):
    """The stand-in as its own process, the ID types and an ODK source of its household survey."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls.enterClassContext(run_odk_central())
        IdType = cls.env["g2p.id.type"]
        for code, name in (("NATIONAL_ID", "National ID"), ("BIRTH_CERTIFICATE", "Birth certificate")):
            if not IdType.search([("code", "=", code)]):
                IdType.create({"name": name, "code": code})
        # PASSPORT stays unknown: a submission with a passport is an 'unknown ID type' error.
        IdType.search([("code", "=", "PASSPORT")]).active = False
        user = cls.sim.user
        cls.odk = (
            cls.env["g2p.intake.odk.source"]
            .with_user(cls.g2p_admin)
            .create(
                {
                    "name": "Household survey",
                    "odk_base_url": cls.sim.url,
                    "odk_project_id": 1,
                    "odk_form_id": "household_survey",
                    "odk_email": user["email"],
                    "odk_password": user["password"],
                    "odk_page_size": 2,
                }
            )
            .sudo(False)
        )
        cls.odk = cls.odk.with_user(cls.g2p_admin)
        cls.Record = cls.env["g2p.intake.record"]

    def setUp(self):
        super().setUp()
        self.sim.control("reset")
        self.logged = 0
        self.logged = len(self._odata_requests())

    def _records(self):
        return self.Record.search([("source_id", "=", self.odk.source_id.id)], order="external_id")

    def _pull(self):
        with mute_logger("pyodk", "odoo.addons.g2p_intake_odk.models.g2p_intake_odk_source"):
            return self.odk._pull()

    def _odata_requests(self):
        """The OData table requests of this test (the stand-in's log survives a reset)."""
        log = self.sim.control("received", path_prefix=self.sim.odata_path + "/Submissions")
        return log[self.logged :]


@tagged("post_install", "-at_install")
class TestOdkPull(OdkCase):
    def test_full_pull_households_members_geopoint_photo(self):
        ids = self.sim.seed_households(3)
        action = self.odk.action_pull()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        records = self._records()
        self.assertEqual(sorted(records.mapped("external_id")), sorted(ids))
        self.assertEqual(set(records.mapped("state")), {"imported"}, records.mapped("error_message"))
        self.assertEqual(self.odk.last_pull_status, "done")
        self.assertEqual(self.odk.source_id.action_open_odk_source()["res_id"], self.odk.id)
        for n, instance_id in enumerate(ids, 1):
            record = records.filtered(lambda r, i=instance_id: r.external_id == i)
            expected = household(n)
            home = record.household_id
            self.assertEqual(home.name, expected["household"]["household_name"])
            self.assertEqual(home.city, expected["household"]["village"])
            lat, lon = expected["location"][:2]
            self.assertAlmostEqual(home.partner_latitude, lat, places=6)
            self.assertAlmostEqual(home.partner_longitude, lon, places=6)
            self.assertEqual(home.household_size, len(expected["members"]))
            self.assertEqual(home.head_id.given_name, expected["members"][0]["given_name"])
            self.assertEqual(home.head_id.phone_number_ids.phone_number, expected["members"][0]["phone"])
            self.assertEqual(
                home.head_id.reg_id_ids.value, expected["members"][0]["id_number"].replace("-", "")
            )
            self.assertEqual(str(home.head_id.birthdate), expected["members"][0]["birthdate"])
            self.assertEqual(record.form_version, "2024110101")
            self.assertEqual(record.submitter, "Enumerator Amina")
            photo = self.env["ir.attachment"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", home.id)]
            )
            self.assertEqual(photo.name, expected["consent_photo"])
            self.assertEqual(photo.mimetype, "image/png")
            self.assertTrue(photo.raw.startswith(b"\x89PNG"))
            self.assertEqual(record.attachment_ids.raw, photo.raw)
        # The incremental filter and the review state both go to Central; pages follow nextLink.
        odata = self._odata_requests()
        self.assertEqual(len(odata), 2)  # 3 submissions, pages of 2
        self.assertIn("$skiptoken", odata[1]["query"])
        self.assertEqual(odata[0]["query"]["$filter"], "__system/reviewState ne 'rejected'")
        self.assertEqual((odata[0]["query"]["$expand"], odata[0]["query"]["$top"]), ("*", "2"))

    def test_incremental_pull_and_repull_change_nothing(self):
        self.sim.seed_households(2)
        self._pull()
        watermark = self.odk.last_pull_watermark
        self.assertTrue(watermark)
        new = self.sim.seed_households(2, start=10)
        stats = self._pull()
        self.assertEqual((stats["fetched"], stats["new"], stats["imported"]), (2, 2, 2))
        self.assertEqual(
            self._odata_requests()[-1]["query"]["$filter"],
            f"(__system/submissionDate gt {watermark} or __system/updatedAt gt {watermark})"
            " and __system/reviewState ne 'rejected'",
        )
        self.assertEqual(len(self._records()), 4)
        self.assertTrue(set(new) <= set(self._records().mapped("external_id")))
        # Nothing new: nothing read.
        self.assertEqual(self._pull()["fetched"], 0)
        # Pulling everything again from the start changes nothing either.
        partners = self.env["res.partner"].search([("is_registrant", "=", True)])
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = '2000-01-01' WHERE id IN %s", [tuple(partners.ids)]
        )
        self.env.cr.execute(
            "UPDATE g2p_intake_record SET write_date = '2000-01-01' WHERE id IN %s",
            [tuple(self._records().ids)],
        )
        self.env.invalidate_all()
        self.odk.sudo().last_pull_watermark = False
        stats = self._pull()
        self.assertEqual((stats["fetched"], stats["new"], stats["edited"], stats["imported"]), (4, 0, 0, 0))
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(self.env["res.partner"].search([("is_registrant", "=", True)]), partners)
        self.assertEqual({str(d) for d in partners.mapped("write_date")}, {"2000-01-01 00:00:00"})
        self.assertEqual({str(d) for d in self._records().mapped("write_date")}, {"2000-01-01 00:00:00"})

    def test_edited_submission_updates_the_registrants(self):
        [instance_id] = self.sim.seed_households(1)
        self._pull()
        record = self._records()
        home = record.household_id
        people = record.individual_ids
        members = household(1)["members"]
        members[1]["birthdate"] = "1990-01-01"  # corrected by the supervisor in Central
        result = self.sim.edit(instance_id, {"household": {"village": "Moved"}, "members": members})
        stats = self._pull()
        self.assertEqual((stats["fetched"], stats["edited"], stats["new"]), (1, 1, 0))
        self.assertEqual(self._records(), record)
        self.assertEqual(record.state, "imported", record.error_message)
        self.assertEqual(record.instance_id, result["currentInstanceId"])
        self.assertEqual(record.deprecated_id, instance_id)  # read from the submission XML
        self.assertEqual(json.loads(record.payload_history)[0]["instance_id"], instance_id)
        self.assertEqual(record.household_id, home)
        self.assertEqual(record.individual_ids, people)
        self.assertEqual(home.city, "Moved")
        spouse = home.group_membership_ids.filtered(lambda m: m.role == "spouse").individual_id
        self.assertEqual(str(spouse.birthdate), "1990-01-01")

    def test_bad_rows_become_errors_and_the_rest_imports(self):
        def bad(n, index, **changes):
            data = household(n)
            data["members"][index].update(changes)
            return {"data": data}

        no_head = household(4)
        for person in no_head["members"]:
            person["relationship"] = "child"
        ids = self.sim.seed(
            {"data": household(1)},
            bad(2, 0, phone="+25412"),
            {"data": no_head},
            bad(5, 1, id_type="passport", id_number="A1234567"),
            bad(6, 1, relationship="cousin"),
            {"data": household(7)},
        )
        stats = self._pull()
        self.assertEqual((stats["imported"], stats["error"]), (2, 4))
        by_id = {r.external_id: r for r in self._records()}
        expected = {
            ids[1]: ("members[1]/phone", "not a valid phone number"),
            ids[2]: ("members", "No member is the head"),
            ids[3]: ("members[2]/id_type", "Unknown ID type 'PASSPORT'"),
            ids[4]: ("members[2]/relationship", "'cousin' is not in this field's value map"),
        }
        for instance_id, (field, message) in expected.items():
            record = by_id[instance_id]
            self.assertEqual((record.state, record.error_field), ("error", field), record.error_message)
            self.assertIn(message, record.error_message)
            self.assertFalse(record.household_id)
        self.assertEqual({by_id[ids[0]].state, by_id[ids[5]].state}, {"imported"})
        # The registrar corrects the raw payload and re-processes.
        record = by_id[ids[1]].with_user(self.registrar)
        payload = json.loads(record.payload)
        payload["members"][0]["phone"] = "+254700020000"
        record.payload = json.dumps(payload)
        record.action_reprocess()
        self.assertEqual(record.state, "imported", record.error_message)
        # An unmapped choice is fixed in the mapping, then the record is re-processed.
        relationship = self.odk.mapping_ids.filtered(lambda m: m.form_path == "relationship")
        relationship.value_map += "\ncousin = other"
        by_id[ids[4]].with_user(self.registrar).action_reprocess()
        self.assertEqual(by_id[ids[4]].state, "imported", by_id[ids[4]].error_message)
        # The registrar finds the errors left with the list's filter.
        errors = self.Record.with_user(self.registrar).search([("state", "=", "error")])
        self.assertEqual(errors, by_id[ids[2]] | by_id[ids[3]])

    def test_server_error_mid_pull_then_resume(self):
        ids = self.sim.seed_households(5)
        self.sim.fail_odata_page(2)
        action = self.odk.with_context(mute=True)
        with mute_logger("pyodk", "odoo.addons.g2p_intake_odk.models.g2p_intake_odk_source"):
            notification = action.action_pull()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertIn("HTTP 500", notification["params"]["message"])
        self.assertEqual(self.odk.last_pull_status, "interrupted")
        self.assertFalse(self.odk.last_pull_watermark)  # the next pull starts from the same point
        self.assertEqual(len(self._records()), 2)  # the first page is kept
        stats = self._pull()
        self.assertEqual(self.odk.last_pull_status, "done")
        self.assertEqual((stats["fetched"], stats["new"]), (5, 3))
        records = self._records()
        self.assertEqual(sorted(records.mapped("external_id")), sorted(ids))
        self.assertEqual(set(records.mapped("state")), {"imported"})
        households = self.env["res.partner"].search(
            [("is_group", "=", True), ("id", "in", records.household_id.ids)]
        )
        self.assertEqual(len(households), 5)
        self.assertEqual(len(records.individual_ids), sum(len(household(n)["members"]) for n in range(1, 6)))

    def test_failure_while_fetching_files_then_resume(self):
        ids = self.sim.seed_households(2)
        submissions = "/v1/projects/1/forms/household_survey/submissions/"
        self.sim.control("faults", {"kind": "error", "status": 500, "count": 1, "path_prefix": submissions})
        with mute_logger("pyodk", "odoo.addons.g2p_intake_odk.models.g2p_intake_odk_source"):
            self.odk.action_pull()
        self.assertEqual(self.odk.last_pull_status, "interrupted")
        self.assertEqual(set(self._records().mapped("state")), {"new"})  # staged, not applied yet
        stats = self._pull()
        self.assertEqual((stats["new"], stats["imported"]), (0, 2))
        records = self._records()
        self.assertEqual(sorted(records.mapped("external_id")), sorted(ids))
        self.assertEqual(set(records.mapped("state")), {"imported"}, records.mapped("error_message"))
        self.assertEqual(len(records.attachment_ids), 2)

    def test_wrong_password_is_a_clear_error_and_changes_nothing(self):
        self.sim.seed_households(2)
        self.sim.set_password(self.sim.user["email"], "changed-in-central")
        with (
            mute_logger("pyodk"),
            self.assertRefused(UserError, "refused the e-mail or password of Household survey"),
        ):
            self.odk.action_pull()
        self.assertFalse(self._records())
        self.assertFalse(self.odk.last_pull_date)
        self.assertFalse(self._odata_requests())

    def test_review_state_setting_and_credentials_are_for_admins(self):
        first, second = self.sim.seed_households(2)
        self.sim.set_review_state(first, "approved")
        self.sim.set_review_state(second, "rejected")
        self.odk.odk_review_filter = "approved"
        self._pull()
        self.assertEqual(self._records().mapped("external_id"), [first])
        for name in ("odk_email", "odk_password"):
            self.assertEqual(self.odk._fields[name].groups, SECRET_GROUPS)
        registrar_record = self._records().with_user(self.registrar)
        self.assertEqual(registrar_record.source_id.name, "Household survey")  # staging is theirs
        with self.assertRefused(AccessError, "ODK Central Intake Source"):
            self.env["g2p.intake.odk.source"].with_user(self.registrar).search([])
        with self.assertRefused(AccessError, "odk_password"):
            self.env["g2p.intake.odk.source"].with_user(self.validator).browse(self.odk.id).read(
                ["odk_password"]
            )
        viewer = new_test_user(self.env, "viewer_no_g2p", groups="base.group_user")
        with self.assertRefused(AccessError, "Staging Record"):
            self.Record.with_user(viewer).search([])

    def test_cron_pulls_and_a_refused_source_does_not_stop_it(self):
        self.sim.seed_households(1)
        broken = self.env["g2p.intake.odk.source"].create(
            {
                "name": "Old form",
                "odk_base_url": self.sim.url,
                "odk_project_id": 1,
                "odk_form_id": "household_survey",
                "odk_email": "someone@example.org",
                "odk_password": "wrong",
            }
        )
        with mute_logger("pyodk", "odoo.addons.g2p_intake_odk.models.g2p_intake_odk_source"):
            self.env["g2p.intake.odk.source"]._cron_pull()
        self.assertIn("refused the e-mail or password", broken.last_pull_message)
        self.assertFalse(broken.record_count)
        self.assertEqual(self.odk.last_pull_status, "done")
        self.assertEqual(self.odk.record_count, 1)


@tagged("post_install", "-at_install")
class TestOdkDemo(RegistryCase):
    def test_demo_source_has_imported_edited_and_error_submissions(self):
        source = self.env["g2p.intake.odk.source"]._demo_load()
        records = self.env["g2p.intake.record"].search([("source_id", "=", source.source_id.id)])
        by_label = {r.label: r for r in records}
        self.assertEqual(sorted(records.mapped("state")), ["error", "imported", "imported"])
        edited = by_label["Wanjiru household"]
        self.assertEqual((edited.state, edited.household_id.city), ("imported", "Thika Road"))
        self.assertEqual(len(json.loads(edited.payload_history)), 1)
        self.assertEqual(str(edited.household_id.head_id.birthdate), "1985-03-12")
        self.assertEqual(by_label["Mutua household"].error_field, "household/phone")
        self.assertFalse(source.sudo().odk_password)
        self.assertFalse(source.auto_pull)


@tagged("post_install", "-at_install")
class TestOdkLargePull(OdkCase):
    def test_a_large_pull_is_applied_by_an_intake_run(self):
        """Beyond INLINE_RECORDS staged submissions, the pull stages them and leaves their
        application to an intake run's queue jobs; the jobs import them as a small pull would."""
        from unittest.mock import patch

        from odoo.addons.queue_job.tests.common import trap_jobs

        ids = self.sim.seed_households(5)
        module = "odoo.addons.g2p_intake_odk.models.g2p_intake_odk_source"
        with patch(module + ".INLINE_RECORDS", 3), trap_jobs() as trap:
            action = self.odk.action_pull()
            records = self._records()
            self.assertEqual(sorted(records.mapped("external_id")), sorted(ids))
            self.assertEqual(set(records.mapped("state")), {"new"}, "nothing applied in the request")
            run = records.run_id
            self.assertEqual(len(run), 1)
            self.assertEqual((run.record_count, run.pending_count, run.state), (5, 5, "running"))
            self.assertIn(run.name, action["params"]["message"])
            self.assertIn("5 records are applied in the background", self.odk.last_pull_message)
            trap.assert_jobs_count(run.job_count)
            for job in trap.enqueued_jobs:
                job.perform()
        run.invalidate_recordset()
        self.assertEqual((run.pending_count, run.imported_count, run.state), (0, 5, "done"))
        self.assertEqual(set(records.mapped("state")), {"imported"}, records.mapped("error_message"))
        # A second pull finds nothing new and starts no run.
        with patch(module + ".INLINE_RECORDS", 3):
            stats = self._pull()
        self.assertEqual((stats["new"], stats["queued"]), (0, 0))
        self.assertEqual(self.Record.search([("source_id", "=", self.odk.source_id.id)]).run_id, run)
