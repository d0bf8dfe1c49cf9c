"""ODK Central's CSV export zip (downloaded from the stand-in, exactly as Central writes it) imported
into an ODK source: the same submissions, mapping and registrants as the OData pull."""

import base64
import csv
import io
import zipfile

import requests

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from . import test_odk_pull as pull

household = pull.household


@tagged("post_install", "-at_install")
class TestOdkExport(pull.OdkCase):
    """The stand-in, the ID types and the ODK source of the pull tests (whose tests run there)."""

    def _export(self, **params):
        """The export zip of the form, fetched as a user of Central would download it."""
        user = self.sim.user
        token = requests.post(
            self.sim.url + "/v1/sessions",
            json={"email": user["email"], "password": user["password"]},
            timeout=10,
        ).json()["token"]
        response = requests.get(
            self.sim.url + "/v1/projects/1/forms/household_survey/submissions.csv.zip",
            params=params,
            headers={"Authorization": "Bearer " + token},
            timeout=10,
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.content

    def _import(self, content):
        wizard = (
            self.env["g2p.intake.odk.import"]
            .with_user(self.g2p_admin)
            .create(
                {
                    "odk_source_id": self.odk.id,
                    "export_file": base64.b64encode(content),
                    "export_filename": "household_survey.zip",
                }
            )
        )
        return wizard.action_import()

    def _seed(self):
        """Three households with repeat members, geopoints and photos; the first one edited."""
        ids = self.sim.seed_households(3)
        members = household(1)["members"]
        members[0]["birthdate"] = "1970-06-30"
        edited = self.sim.edit(ids[0], {"household": {"village": "Moved"}, "members": members})
        return ids, edited["currentInstanceId"]

    def _snapshot(self):
        """What the intake built, per submission: the normalised household and the registrants."""
        result = {}
        for record in self._records():
            home = record.household_id
            people = []
            for m in home.group_membership_ids.sorted(lambda m: m.individual_id.given_name or ""):
                person = m.individual_id
                people.append(
                    (
                        m.role,
                        person.given_name,
                        person.family_name,
                        person.gender,
                        str(person.birthdate),
                        tuple(sorted(person.phone_number_ids.mapped("phone_number"))),
                        tuple(sorted(person.reg_id_ids.mapped("value"))),
                    )
                )
            photos = self.env["ir.attachment"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", home.id)]
            )
            result[record.external_id] = {
                "state": record.state,
                "instance_id": record.instance_id,
                "normalised": self.odk._odk_normalise(record),
                "member_keys": sorted(record.member_keys or {}),
                "household": (
                    home.name,
                    home.city,
                    round(home.partner_latitude, 6),
                    round(home.partner_longitude, 6),
                ),
                "people": people,
                "photos": [(p.name, p.raw) for p in photos],
            }
        return result

    def _counts(self):
        return (
            self.Record.search_count([]),
            self.env["res.partner"].search_count([]),
            self.env["ir.attachment"].search_count([]),
        )

    def test_zip_gives_the_same_registrants_as_the_odata_pull(self):
        ids, current = self._seed()
        content = self._export()
        savepoint = self.env.cr.savepoint()
        self._pull()
        by_odata = self._snapshot()
        savepoint.rollback()
        savepoint.close()
        self.env.invalidate_all()
        self.assertFalse(self._records())

        action = self._import(content)
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertIn("3 submission(s) read, 3 new", action["params"]["message"])
        by_zip = self._snapshot()
        self.assertEqual(sorted(by_zip), sorted(ids))
        self.assertEqual({s["state"] for s in by_zip.values()}, {"imported"})
        self.assertEqual(by_zip[ids[0]]["instance_id"], current)
        self.assertEqual(by_zip[ids[0]]["household"][1], "Moved")
        self.assertEqual(len(by_zip[ids[1]]["people"]), len(household(2)["members"]))
        self.assertTrue(by_zip[ids[1]]["photos"][0][1].startswith(b"\x89PNG"))
        self.assertEqual(by_zip, by_odata)
        self.assertIn("CSV export", self.odk.message_ids[0].body)

    def test_zip_after_the_odata_pull_changes_nothing(self):
        self._seed()
        self._pull()
        records = self._records()
        before = self._snapshot()
        written = {r.id: (r.write_date, r.payload) for r in records}
        counts = self._counts()
        for _attempt in range(2):
            stats = self.odk._odk_import_export(self._export())
            self.assertEqual(
                {k: stats[k] for k in ("fetched", "new", "edited", "imported", "error")},
                {"fetched": 3, "new": 0, "edited": 0, "imported": 0, "error": 0},
            )
        self.assertEqual(self._counts(), counts)
        self.assertEqual({r.id: (r.write_date, r.payload) for r in self._records()}, written)
        self.assertEqual(self._snapshot(), before)

    def test_an_edit_in_a_later_zip_updates_the_same_registrants(self):
        [instance_id] = self.sim.seed_households(1)
        self._import(self._export())
        record = self._records()
        home, people = record.household_id, record.individual_ids
        members = household(1)["members"]
        members[1]["birthdate"] = "1990-01-01"
        result = self.sim.edit(instance_id, {"household": {"village": "Moved"}, "members": members})
        stats = self.odk._odk_import_export(self._export())
        self.assertEqual((stats["new"], stats["edited"], stats["imported"]), (0, 1, 1))
        self.assertEqual(self._records(), record)
        self.assertEqual(record.instance_id, result["currentInstanceId"])
        self.assertEqual(record.deprecated_id, instance_id)
        self.assertEqual((record.household_id, record.individual_ids), (home, people))
        self.assertEqual(home.city, "Moved")
        spouse = home.group_membership_ids.filtered(lambda m: m.role == "spouse").individual_id
        self.assertEqual(str(spouse.birthdate), "1990-01-01")
        # The OData pull afterwards sees the same version: nothing new, nothing doubled.
        stats = self._pull()
        self.assertEqual((stats["new"], stats["edited"]), (0, 0))
        self.assertEqual(self._records(), record)

    def test_review_state_setting_applies_to_the_zip(self):
        ids = self.sim.seed_households(2)
        self.sim.set_review_state(ids[1], "rejected")
        stats = self.odk._odk_import_export(self._export())
        self.assertEqual((stats["fetched"], stats["new"], stats["skipped"]), (2, 1, 1))
        self.assertEqual(self._records().mapped("external_id"), [ids[0]])

    def _rewrite(self, content, drop=(), rename=None, column=None):
        """A copy of the export zip without the files ``drop``, with files renamed, or without a column
        of the main CSV."""
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
            for name in src.namelist():
                if name in drop:
                    continue
                data = src.read(name)
                if column and name == "household_survey.csv":
                    rows = list(csv.reader(io.StringIO(data.decode())))
                    index = rows[0].index(column)
                    text = io.StringIO()
                    csv.writer(text, lineterminator="\n").writerows(
                        [r[:index] + r[index + 1 :] for r in rows]
                    )
                    data = text.getvalue().encode()
                dst.writestr((rename or {}).get(name, name), data)
        return out.getvalue()

    def test_a_bad_zip_is_a_clear_error_and_changes_nothing(self):
        self.sim.seed_households(2)
        content = self._export()
        flat = self._export(groupPaths="false")
        counts = self._counts()
        messages = len(self.odk.message_ids)
        cases = [
            (b"name,phone\nAmina,+254700000000\n", "not a zip"),
            (
                self._rewrite(content, rename={"household_survey.csv": "market_survey.csv"}),
                "it has no household_survey.csv (found: household_survey-members.csv, market_survey.csv)",
            ),
            (
                self._rewrite(content, drop={"household_survey-members.csv"}),
                "has no household_survey-members.csv",
            ),
            (self._rewrite(content, column="household-phone"), "no column for household/phone,"),
            (self._rewrite(content, column="KEY"), "lacks the columns Central always writes: KEY"),
            (flat, "no column for household/household_name, household/village, household/phone"),
        ]
        for zipped, expected in cases:
            with self.subTest(expected=expected), self.assertRaises(UserError) as caught:
                self._import(zipped)
            self.assertIn(expected, str(caught.exception))
        self.assertEqual(self._counts(), counts)
        self.assertFalse(self._records())
        self.assertEqual(len(self.odk.message_ids), messages)

    def test_download_export_through_pyodk(self):
        ids = self.sim.seed_households(2)
        path = "/v1/projects/1/forms/household_survey/submissions.csv.zip"
        asked = len(self.sim.control("received", path_prefix=path))
        with mute_logger("pyodk"):
            action = self.odk.action_download_export()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertEqual(sorted(self._records().mapped("external_id")), sorted(ids))
        log = self.sim.control("received", path_prefix=path)[asked:]
        self.assertEqual([r["method"] for r in log], ["GET"])
        self.assertTrue(log[0]["headers"]["Authorization"].startswith("Bearer "))

    def test_import_is_for_admins(self):
        with self.assertRaises(UserError):
            self.odk.with_user(self.registrar)._odk_import_export(b"")
