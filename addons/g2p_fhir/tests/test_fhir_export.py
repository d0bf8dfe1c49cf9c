"""FHIR Bulk Data $export over real HTTP: kick-off, the export jobs, status, manifest, NDJSON files."""

import json
from contextlib import contextmanager

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import API_GROUP, FhirHttpCase
from odoo.addons.queue_job.tests.common import trap_jobs

PROGRAM_MANAGER = "g2p_program.group_g2p_program_manager"
REGISTRAR = "g2p_registry.group_g2p_registrar"
ASYNC = {"Prefer": "respond-async"}
NDJSON = "application/fhir+ndjson"


@tagged("post_install", "-at_install")
class TestFhirExport(FhirHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            "fhir_export_manager",
            groups=",".join([API_GROUP, REGISTRAR, PROGRAM_MANAGER]),
        )
        cls.keys["manager"] = cls._make_key(cls.manager)
        # One chunk per job, so that the tests see an export in progress (see test_chunks_per_job).
        cls.env["ir.config_parameter"].sudo().set_param("g2p_fhir.export_job_seconds", "0")
        cls.users["manager"] = cls.manager
        Partner = cls.env["res.partner"]
        cls.households = []
        for h in range(4):
            members = Partner.create(
                [
                    {
                        "given_name": "Export%s" % h,
                        "family_name": "Member%s" % k,
                        "is_registrant": True,
                        "company_id": cls.company.id,
                        "gender": "female" if k % 2 else "male",
                        "birthdate": "19%02d-03-0%s" % (70 + h, k + 1),
                    }
                    for k in range(3)
                ]
            )
            household = Partner.create(
                {
                    "name": "Export Household %s" % h,
                    "is_registrant": True,
                    "is_group": True,
                    "company_id": cls.company.id,
                }
            )
            cls.env["g2p.group.membership"].create(
                [
                    {
                        "group_id": household.id,
                        "individual_id": person.id,
                        "role": "head" if k == 0 else "child",
                    }
                    for k, person in enumerate(members)
                ]
            )
            (members | household).sudo().action_approve()
            cls.households.append((household, members))
        cls.program = cls.env["g2p.program"].create({"name": "Export Program", "target_type": "group"})
        # Households 0 and 1 are beneficiaries; 2 was enrolled and exited; 3 is in no program.
        cls.env["g2p.program.membership"].create(
            [
                {"program_id": cls.program.id, "partner_id": cls.households[h][0].id, "state": state}
                for h, state in ((0, "enrolled"), (1, "enrolled"), (2, "exited"))
            ]
        )
        # A member who left household 1 is no longer one of its current members.
        cls.former_member = cls.households[1][1][2]
        departure = cls.env["g2p.group.membership"].search([("individual_id", "=", cls.former_member.id)])
        departure.end_date = departure.start_date

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _trapped(self):
        with trap_jobs() as trap:
            yield trap

    def _run_jobs(self, trap):
        """Run the export's chunk jobs, each queued by the previous one, on the test's cursor (the
        kick-off queued the first from its HTTP request, whose cursor is closed since)."""
        rounds = 0
        while trap.enqueued_jobs:
            for job in trap.enqueued_jobs:
                job.recordset = job.recordset.with_env(job.env(cr=self.env.cr))
            trap.perform_enqueued_jobs()
            rounds += 1
            self.assertLess(rounds, 500, "the export does not end")
        return rounds

    def _kick_off(self, path="/$export", params=None, key="manager"):
        response = self.fhir_request("GET", path, key=key, headers=ASYNC, params=params)
        self.assertEqual(response.status_code, 202, response.text)
        status_url = response.headers["Content-Location"]
        self.assertIn("/fhir/R4/$export-status/", status_url)
        return status_url

    def _export(self, path="/$export", params=None, key="manager"):
        """Kick off, run the jobs, and return (manifest, {type: [resources]})."""
        with self._trapped() as trap:
            status_url = self._kick_off(path, params, key)
            self._run_jobs(trap)
        response = self.fhir_request("GET", status_url, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        manifest = response.json()
        return manifest, self._download(manifest, key)

    def _download(self, manifest, key="manager"):
        """Every output file, each line parsed and validated with fhir.resources (R4B)."""
        by_type = {}
        for output in manifest["output"]:
            # As Bulk Data clients ask for it.
            response = self.fhir_request("GET", output["url"], key=key, headers={"Accept": NDJSON})
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/fhir+ndjson")
            lines = response.content.decode().splitlines()
            self.assertEqual(len(lines), output["count"], output)
            for line in lines:
                resource = json.loads(line)
                self.assertEqual(resource["resourceType"], output["type"])
                self.assertFhirValid(resource)
                self.assertTrue(resource["meta"]["versionId"] and resource["meta"]["lastUpdated"])
                by_type.setdefault(output["type"], []).append(resource)
        return by_type

    def _ids(self, resources):
        return sorted(int(r["id"]) for r in resources)

    def _db_ids(self, fhir_type, user, extra=()):
        """Ids of the records of ``fhir_type`` ``user`` may read, straight from the database."""
        type_model = self.env["g2p.fhir.resource"].with_user(user)._fhir_type_model(fhir_type)
        return sorted(type_model._fhir_records().search([*type_model._fhir_domain(), *extra]).ids)

    def _set_chunk_size(self, size):
        self.env["ir.config_parameter"].sudo().set_param("g2p_fhir.export_chunk_size", str(size))

    # ------------------------------------------------------------------ end to end

    def test_whole_registry_export_end_to_end(self):
        patients = self._db_ids("Patient", self.manager)
        groups = self._db_ids("Group", self.manager)
        self.assertGreaterEqual(len(patients), 12)
        # Chunks small enough that each type spans several files (keyset pagination across jobs).
        self._set_chunk_size(max(2, len(patients) // 3))
        with self._trapped() as trap:
            status_url = self._kick_off()
            # Nothing ran yet: in progress, with the progress in X-Progress and no file.
            response = self.fhir_request("GET", status_url, key="manager")
            self.assertEqual(response.status_code, 202)
            self.assertIn("0 of %s" % (len(patients) + len(groups)), response.headers["X-Progress"])
            self.assertTrue(response.headers["Retry-After"])
            # One chunk: still in progress, progress moved.
            for job in trap.enqueued_jobs:
                job.recordset = job.recordset.with_env(job.env(cr=self.env.cr))
            trap.perform_enqueued_jobs()
            response = self.fhir_request("GET", status_url, key="manager")
            self.assertEqual(response.status_code, 202)
            self.assertIn("%s of" % max(2, len(patients) // 3), response.headers["X-Progress"])
            self._run_jobs(trap)
        response = self.fhir_request("GET", status_url, key="manager")
        self.assertEqual(response.status_code, 200, response.text)
        manifest = response.json()
        self.assertEqual(
            set(manifest),
            {"transactionTime", "request", "requiresAccessToken", "output", "error"},
        )
        self.assertTrue(manifest["requiresAccessToken"])
        self.assertIn("/fhir/R4/$export", manifest["request"])
        self.assertEqual(manifest["error"], [])
        self.assertEqual(
            [o["type"] for o in manifest["output"]],
            sorted((o["type"] for o in manifest["output"]), key=["Patient", "Group"].index),
        )
        self.assertGreater(len([o for o in manifest["output"] if o["type"] == "Patient"]), 1)
        by_type = self._download(manifest)
        self.assertEqual(set(by_type), {"Patient", "Group"})
        self.assertEqual(self._ids(by_type["Patient"]), patients)
        self.assertEqual(self._ids(by_type["Group"]), groups)
        self.assertEqual(sum(o["count"] for o in manifest["output"] if o["type"] == "Patient"), len(patients))
        # The files are not readable without the key.
        response = self.fhir_request("GET", manifest["output"][0]["url"], key=None)
        self.assertEqual(response.status_code, 401)

    def test_chunks_per_job(self):
        """A job goes on with the next chunks while its time lasts: one job, several files."""
        self._set_chunk_size(2)
        self.env["ir.config_parameter"].sudo().set_param("g2p_fhir.export_job_seconds", "600")
        with self._trapped() as trap:
            status_url = self._kick_off("/Group/program-%s/$export" % self.program.id)
            self.assertEqual(self._run_jobs(trap), 1)
        manifest = self.fhir_request("GET", status_url, key="manager").json()
        self.assertGreater(len(manifest["output"]), 3)
        self.assertEqual(sum(o["count"] for o in manifest["output"]), 2 + 5)

    def test_whole_registry_export_of_other_types(self):
        # Any registered type through _type; here Organization (PSPs, hospitals, employers …).
        self.env["res.partner"].create({"name": "Export Hospital", "is_company": True})
        organizations = self._db_ids("Organization", self.manager)
        self.assertTrue(organizations)
        manifest, by_type = self._export("/$export", {"_type": "Organization,Patient"})
        self.assertEqual(manifest["output"][0]["type"], "Organization")
        self.assertEqual(self._ids(by_type["Organization"]), organizations)
        self.assertEqual(self._ids(by_type["Patient"]), self._db_ids("Patient", self.manager))
        self.assertNotIn("Group", by_type)

    def test_program_export_holds_exactly_its_beneficiaries(self):
        manifest, by_type = self._export("/Group/program-%s/$export" % self.program.id)
        expected_groups = sorted(h.id for h, _m in self.households[:2])
        expected_patients = sorted(
            p.id for _h, members in self.households[:2] for p in members if p != self.former_member
        )
        self.assertEqual(self._ids(by_type["Group"]), expected_groups)
        self.assertEqual(self._ids(by_type["Patient"]), expected_patients)
        self.assertEqual(
            sum(o["count"] for o in manifest["output"]), len(expected_groups) + len(expected_patients)
        )
        # Only Patients, through _type.
        _manifest, by_type = self._export("/Group/program-%s/$export" % self.program.id, {"_type": "Patient"})
        self.assertEqual(set(by_type), {"Patient"})
        self.assertEqual(self._ids(by_type["Patient"]), expected_patients)
        # The same in chunks of 1, 2 and 3: every chunk boundary between enrolled households and
        # their members gives the same resources, each once.
        for size in (1, 2, 3):
            self._set_chunk_size(size)
            _manifest, by_type = self._export("/Group/program-%s/$export" % self.program.id)
            self.assertEqual(self._ids(by_type["Group"]), expected_groups, size)
            self.assertEqual(self._ids(by_type["Patient"]), expected_patients, size)
        self._set_chunk_size(5000)
        # A repeated _type adds up; another repeated parameter is refused.
        path = "/Group/program-%s/$export" % self.program.id
        _manifest, by_type = self._export(path, [("_type", "Group"), ("_type", "Patient")])
        self.assertEqual(self._ids(by_type["Group"]), expected_groups)
        self.assertEqual(self._ids(by_type["Patient"]), expected_patients)
        params = [("_since", "2020-01-01"), ("_since", "2021-01-01")]
        response = self.fhir_request("GET", path, key="manager", headers=ASYNC, params=params)
        self.assertOutcome(response.status_code, response.json(), 400, "_since")

    def test_individual_program_export(self):
        person = self.households[3][1][1]
        program = self.env["g2p.program"].create({"name": "Export Pension", "target_type": "individual"})
        self.env["g2p.program.membership"].create(
            {"program_id": program.id, "partner_id": person.id, "state": "enrolled"}
        )
        _manifest, by_type = self._export("/Group/program-%s/$export" % program.id)
        self.assertEqual(self._ids(by_type["Patient"]), [person.id])
        self.assertNotIn("Group", by_type)

    def test_failed_export_and_old_exports(self):
        with self._trapped() as trap:
            status_url = self._kick_off("/Group/program-%s/$export" % self.program.id)
            export = self.env["g2p.fhir.export"].search([("name", "=", status_url.rpartition("/")[2])])
            # What queue_job calls when a chunk fails for good.
            export._on_export_failed(exc_name="ValueError", exc_message="disk full")
            self._run_jobs(trap)  # the queued chunk sees the failure and does nothing
        self.assertFalse(export.file_ids)
        status, body = self.fhir_get(status_url, key="manager")
        self.assertOutcome(status, body, 500)
        self.assertIn("disk full", body["issue"][0]["diagnostics"])
        # A complete export's manifest says until when its files stay; then the cron deletes them.
        with self._trapped() as trap:
            status_url = self._kick_off("/Group/program-%s/$export" % self.program.id)
            self._run_jobs(trap)
        response = self.fhir_request("GET", status_url, key="manager")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Expires"])
        done = self.env["g2p.fhir.export"].search([("name", "=", status_url.rpartition("/")[2])])
        attachments = done.file_ids.attachment_id
        self.assertTrue(attachments)
        Export = self.env["g2p.fhir.export"]
        self.assertEqual(Export._cron_delete_old_exports(), 0, "recent exports stay")
        self.env.cr.execute(
            "UPDATE g2p_fhir_export SET date_done = date_done - interval '8 days', "
            "write_date = write_date - interval '8 days' WHERE id IN %s",
            [(export.id, done.id)],
        )
        Export.invalidate_model()
        self.assertEqual(Export._cron_delete_old_exports(), 2)
        self.assertFalse(attachments.exists())
        status, body = self.fhir_get(status_url, key="manager")
        self.assertOutcome(status, body, 404)

    def test_household_export(self):
        household, members = self.households[3]
        _manifest, by_type = self._export("/Group/%s/$export" % household.id)
        self.assertEqual(self._ids(by_type["Group"]), [household.id])
        self.assertEqual(self._ids(by_type["Patient"]), sorted(members.ids))

    def test_since_filters(self):
        household, members = self.households[0]
        old = members[1:] | self.households[1][0] | self.households[1][1]
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET write_date = '2020-06-01' WHERE id = ANY(%s)", [old.ids])
        self.env.invalidate_all()
        manifest, by_type = self._export(
            "/Group/program-%s/$export" % self.program.id, {"_since": "2021-01-01T00:00:00Z"}
        )
        self.assertEqual(self._ids(by_type["Patient"]), [members[0].id])
        self.assertEqual(self._ids(by_type["Group"]), [household.id])
        # Nothing changed after now: an export since then is empty.
        later = manifest["transactionTime"]
        manifest, by_type = self._export("/Group/program-%s/$export" % self.program.id, {"_since": later})
        self.assertEqual(manifest["output"], [])
        self.assertEqual(by_type, {})

    def test_cancel(self):
        self._set_chunk_size(2)
        with self._trapped() as trap:
            status_url = self._kick_off("/Group/program-%s/$export" % self.program.id)
            for job in trap.enqueued_jobs:
                job.recordset = job.recordset.with_env(job.env(cr=self.env.cr))
            trap.perform_enqueued_jobs()
            export = self.env["g2p.fhir.export"].search([("name", "=", status_url.rpartition("/")[2])])
            self.assertTrue(export.file_ids)
            attachments = export.file_ids.attachment_id
            response = self.fhir_request("DELETE", status_url, key="manager")
            self.assertEqual(response.status_code, 202, response.text)
            self.assertEqual(export.state, "cancelled")
            self.assertFalse(attachments.exists())
            # The queued chunk does nothing.
            rounds = self._run_jobs(trap)
            self.assertEqual(rounds, 1)
            self.assertFalse(export.file_ids)
        status, body = self.fhir_get(status_url, key="manager")
        self.assertOutcome(status, body, 404)

    # ------------------------------------------------------------------ who sees what

    def test_another_user_cannot_read_an_export(self):
        with self._trapped() as trap:
            status_url = self._kick_off("/Group/program-%s/$export" % self.program.id)
            self._run_jobs(trap)
        manifest = self.fhir_request("GET", status_url, key="manager").json()
        self.assertTrue(manifest["output"])
        for method in ("GET", "DELETE"):
            response = self.fhir_request(method, status_url, key="registrar")
            self.assertEqual(response.status_code, 404, response.text)
            self.assertEqual(response.json()["resourceType"], "OperationOutcome")
        for output in manifest["output"]:
            response = self.fhir_request("GET", output["url"], key="registrar")
            self.assertOutcome(response.status_code, response.json(), 404)
        # Through the ORM too: the registrar sees none of the manager's exports or their files.
        Export = self.env["g2p.fhir.export"].with_user(self.users["registrar"])
        self.assertFalse(Export.search([]))
        self.assertFalse(self.env["g2p.fhir.export.file"].with_user(self.users["registrar"]).search([]))
        # A G2P administrator sees every export.
        response = self.fhir_request("GET", status_url, key="admin")
        self.assertEqual(response.status_code, 200, response.text)
        # The requester cannot rewrite their export (bookkeeping belongs to the job).
        with self.assertRaises(AccessError):
            self.env["g2p.fhir.export"].with_user(self.manager).search([], limit=1).write({"state": "done"})

    def test_the_export_follows_the_users_record_rules(self):
        # A user of another company reads none of this company's registrants: their export neither.
        other = self.users["other_company"]
        visible = self._db_ids("Patient", other)
        _manifest, by_type = self._export("/$export", {"_type": "Patient"}, key="other_company")
        self.assertEqual(self._ids(by_type.get("Patient", [])), visible)
        self.assertFalse(set(visible) & {p.id for _h, m in self.households for p in m})

    # ------------------------------------------------------------------ refusals

    def test_refusals(self):
        Export = self.env["g2p.fhir.export"].sudo()
        before = Export.search_count([])
        cases = [
            # (path, params, headers, key, status, expression)
            ("/$export", None, {}, "manager", 400, "Prefer"),
            ("/$export", {"_type": "Patient,Spaceship"}, ASYNC, "manager", 400, "_type"),
            ("/$export", {"_type": ""}, ASYNC, "manager", 400, "_type"),
            ("/$export", {"_since": "yesterday"}, ASYNC, "manager", 400, "_since"),
            ("/$export", {"_outputFormat": "text/csv"}, ASYNC, "manager", 400, "_outputFormat"),
            ("/$export", {"_elements": "id"}, ASYNC, "manager", 400, "_elements"),
            ("/Group/program-999999999/$export", None, ASYNC, "manager", 404, None),
            ("/Group/nonsense/$export", None, ASYNC, "manager", 404, None),
            ("/Group/999999999/$export", None, ASYNC, "manager", 404, None),
            ("/$export", None, ASYNC, None, 401, None),
            ("/$export", None, ASYNC, "not-a-valid-key-at-all-0123456789", 401, None),
            ("/$export", {"_type": "Patient"}, ASYNC, "api_only", 403, None),
            ("/$export-status/does-not-exist", None, {}, "manager", 404, None),
            ("/$export-status/%00", None, {}, "manager", 404, None),
            ("/$export-file/%00/1", None, {}, "manager", 404, None),
            ("/$export-file/00000000-0000-0000-0000-000000000000/1", None, {}, "manager", 404, None),
            ("/Group/%00/$export", None, ASYNC, "manager", 404, None),
            ("/Group/program-%00/$export", None, ASYNC, "manager", 404, None),
        ]
        for path, params, headers, key, expected, expression in cases:
            with self.subTest(path=path, params=params, key=key):
                response = self.fhir_request("GET", path, key=key, headers=headers, params=params)
                body = response.json()
                self.assertOutcome(response.status_code, body, expected, expression)
        # Prefer: handling=lenient leaves an unsupported parameter out (as the search does).
        lenient = {"Prefer": "respond-async, handling=lenient"}
        response = self.fhir_request(
            "GET", "/$export", key="manager", headers=lenient, params={"_elements": "id"}
        )
        self.assertEqual(response.status_code, 202, response.text)
        before += 1
        # A program export names no other type than Patient and Group.
        registered = self.env["g2p.fhir.resource"]._fhir_types()
        other_types = [t for t in registered if t not in ("Patient", "Group")]
        if other_types:
            response = self.fhir_request(
                "GET",
                "/Group/program-%s/$export" % self.program.id,
                key="manager",
                headers=ASYNC,
                params={"_type": other_types[0]},
            )
            self.assertOutcome(response.status_code, response.json(), 400, "_type")
        self.assertEqual(Export.search_count([]), before, "a refused kick-off queues nothing")
