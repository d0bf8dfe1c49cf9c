import base64
import csv
import io
from datetime import date

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.g2p_intake_file.const import COLUMN_NAMES
from odoo.addons.g2p_intake_file.controllers.main import template_csv, template_xlsx
from odoo.addons.g2p_registry.tests.common import RegistryCase

HEADER = COLUMN_NAMES


def row(key, head, given, family="Otieno", **values):
    values = {"household_key": key, "head": head, "given_name": given, "family_name": family, **values}
    return [values.get(c, "") for c in HEADER]


def to_csv(rows, header=HEADER, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


@tagged("post_install", "-at_install")
class TestFileImport(RegistryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env.ref("g2p_intake_file.source_files")
        cls.Wizard = cls.env["g2p.intake.file.import"].with_user(cls.registrar)
        cls.Record = cls.env["g2p.intake.record"]

    def _wizard(self, content, filename="households.csv"):
        return self.Wizard.create(
            {"file": base64.b64encode(content), "filename": filename, "source_id": self.source.id}
        )

    def _family(self, key="HH-1", family="Otieno", phone="0712000001", nid="12345678"):
        return [
            row(
                key,
                "yes",
                "Achieng",
                family,
                household_name="%s household" % family,
                village="Kisumu",
                gender="female",
                birthdate="1980-02-03",
                phone=phone,
                id_type="NID_TEST",
                id_number=nid,
            ),
            row(key, "no", "Baraka", family, relationship="child", gender="M", birthdate="06/05/2012"),
        ]

    def _errors(self, wizard):
        return [(line.row, line.column, line.message) for line in wizard.line_ids]

    # ------------------------------------------------------------------ dry run

    def test_dry_run_names_row_and_column_of_each_problem(self):
        rows = [
            *self._family(),
            row("HH-2", "yes", "Bad", phone="12"),  # row 4: bad phone
            row("HH-3", "yes", "Date", birthdate="31/31/1990"),  # 5: bad date
            row("HH-4", "yes", "Idtype", id_type="VOTER_CARD", id_number="1"),  # 6: unknown ID type
            row("HH-5", "yes", "Idnum", id_type="NID_TEST", id_number="12AB"),  # 7: invalid ID
            row("HH-6", "yes", "Gender", gender="unknown"),  # 8: unmapped gender
            row("HH-7", "yes", ""),  # 9: missing name
            row("", "yes", "Nokey"),  # 10: missing household key
            row("HH-8", "yes", "Head1"),  # 11
            row("HH-8", "yes", "Head2"),  # 12: two heads
            row("HH-9", "no", "Nohead"),  # 13: no head
            row("HH-8", "yes", "Head1"),  # 14: duplicate of row 11
            row("HH-10", "maybe", "Headtext"),  # 15: head not yes/no
            row("HH-11", "no", "Rel", relationship="cousin"),  # 16: unknown relationship (and no head)
            row("HH-12", "yes", "Future", birthdate="2999-01-01"),  # 17: birthdate in the future
            row("HH-13", "yes", "Sameid", id_type="NID_TEST", id_number="1234-5678"),  # 18: ID of row 2
        ]
        wizard = self._wizard(to_csv(rows))
        count_before = self.env["res.partner"].search_count([])
        action = wizard.action_check()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("error", action["params"]["message"])
        errors = self._errors(wizard)
        by_row = {}
        for number, column, message in errors:
            by_row.setdefault(number, []).append((column, message))

        def assert_error(number, column, pattern):
            self.assertTrue(
                any(c == column and __import__("re").search(pattern, m) for c, m in by_row.get(number, [])),
                "no error %r on row %s/%s in %s" % (pattern, number, column, errors),
            )

        assert_error(4, "phone", "not a valid phone number")
        assert_error(5, "birthdate", "'31/31/1990' is not a date")
        assert_error(6, "id_type", "Unknown ID type 'VOTER_CARD'")
        assert_error(7, "id_number", "not a valid National ID .eight digits")
        assert_error(8, "gender", "'unknown' is not a gender")
        assert_error(9, "given_name", "given name is missing")
        assert_error(10, "household_key", "household key is missing")
        assert_error(12, "head", "HH-8 has 3 heads .rows 11, 12, 14.")
        assert_error(13, "head", "HH-9 has no head")
        assert_error(14, "", "Duplicate row: the same as row 11")
        assert_error(15, "head", "'maybe' is not yes or no")
        assert_error(16, "relationship", "'cousin' is not a relationship")
        assert_error(17, "birthdate", "in the future")
        assert_error(18, "id_number", "Row 2 has the same National ID")
        self.assertNotIn(2, by_row)
        self.assertNotIn(3, by_row)
        self.assertEqual(wizard.row_count, 17)
        self.assertEqual(wizard.valid_household_count, 1)  # only HH-1
        self.assertEqual(wizard.error_count, len(errors))
        self.assertEqual(wizard.state, "checked")
        # A dry run writes nothing to the registry or the staging.
        self.assertEqual(self.env["res.partner"].search_count([]), count_before)
        self.assertFalse(self.Record.search([("source_id", "=", self.source.id)]))

    def test_file_level_problems(self):
        cases = [
            (b"", "The file is empty"),
            (b"\n\n", "The file is empty"),
            (to_csv([]), "a header but no rows"),
            (
                to_csv([["HH-1", "yes", "A"]], header=["household_key", "head", "first_name"]),
                "missing column.*given_name.*unknown column.*first_name",
            ),
            (b"name;age\nx;1\n", "Wrong header in row 1 .missing column"),
        ]
        for content, pattern in cases:
            with self.subTest(pattern=pattern):
                wizard = self._wizard(content)
                wizard.action_check()
                self.assertEqual(len(wizard.line_ids), 1)
                self.assertRegex(wizard.line_ids.message, pattern)
                self.assertEqual(wizard.valid_household_count, 0)
                with self.assertRaisesRegex(UserError, "Nothing can be imported"):
                    wizard.action_import()
        with self.assertRaisesRegex(UserError, "Choose a CSV or XLSX file first"):
            self.Wizard.create({"source_id": self.source.id}).action_check()
        wizard = self._wizard(b"PK\x03\x04not a zip", "file.xlsx")
        wizard.action_check()
        self.assertRegex(wizard.line_ids.message, "not a readable XLSX")

    # ------------------------------------------------------------------ import and matching

    def test_import_creates_then_reimport_changes_nothing(self):
        content = to_csv(self._family() + self._family("HH-2", "Mwangi", "0712000002", "87654321"))
        wizard = self._wizard(content)
        wizard.action_check()
        self.assertFalse(wizard.line_ids, self._errors(wizard))
        action = wizard.action_import()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertIn("2 household(s) staged: 2 created.", action["params"]["message"])
        records = self.Record.search([("source_id", "=", self.source.id)])
        self.assertEqual(len(records), 2)
        self.assertEqual(set(records.mapped("state")), {"imported"})
        self.assertTrue(all(r.external_id.startswith(wizard.checksum[:16] + "/") for r in records))
        household = records.filtered(lambda r: r.external_id.endswith("/HH-1")).household_id
        self.assertEqual(household.name, "Otieno household")
        self.assertEqual(household.city, "Kisumu")
        head = household.head_id
        self.assertEqual(head.name, "Achieng Otieno")
        self.assertEqual(head.phone_number_ids.phone_number, "+254712000001")
        self.assertEqual(head.reg_id_ids.value, "12345678")
        child = household.group_membership_ids.filtered(lambda m: m.role == "child").individual_id
        self.assertEqual(
            (child.given_name, str(child.birthdate), child.gender), ("Baraka", "2012-05-06", "male")
        )
        self.assertEqual(wizard.action_open_records()["domain"][1][2], wizard.checksum[:16] + "/%")

        # The same file again: nothing staged, nothing written.
        self.env.flush_all()
        partners = self.env["res.partner"].search_count([])
        again = self._wizard(content)
        again.action_check()
        self.assertEqual(again.already_count, 2)
        action = again.action_import()
        self.assertIn("No household staged", action["params"]["message"])
        self.assertIn("2 already imported", action["params"]["message"])
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.Record.search_count([("source_id", "=", self.source.id)]), 2)

    def test_update_and_ambiguous(self):
        # A registrant already known by its ID number: updated, not created.
        known = self._individual("Achieng", "Otieno", birthdate="1980-02-03")
        self.env["g2p.registrant.id"].create(
            {"partner_id": known.id, "id_type_id": self.national_id.id, "value": "12345678"}
        )
        # Two registrants with the same name and birthdate: ambiguous.
        self._individual("Juma", "Kamau", birthdate="1975-01-01")
        self._individual("Juma", "Kamau", birthdate="1975-01-01")
        rows = [
            *self._family(),
            row("HH-2", "yes", "Juma", "Kamau", birthdate="1975-01-01"),
        ]
        wizard = self._wizard(to_csv(rows))
        action = wizard.action_import()  # checks the file itself first
        message = action["params"]["message"]
        self.assertIn("2 household(s) staged: 1 created, 1 possible duplicate(s) to review.", message)
        self.assertEqual(action["params"]["type"], "warning")
        records = self.Record.search([("source_id", "=", self.source.id)])
        updated = records.filtered(lambda r: r.external_id.endswith("/HH-1"))
        self.assertEqual(updated.state, "imported")
        self.assertEqual(updated.household_id.head_id, known)
        self.assertEqual(known.phone_number_ids.phone_number, "+254712000001")
        ambiguous = records.filtered(lambda r: r.external_id.endswith("/HH-2"))
        self.assertEqual(ambiguous.state, "duplicate")
        self.assertEqual(ambiguous.error_field, "row 4")
        self.assertEqual(len(ambiguous.candidate_ids), 2)

        # A file where every household is already in the registry: updated.
        again = self._wizard(to_csv(self._family()), "second.csv")
        message = again.action_import()["params"]["message"]
        self.assertIn("1 household(s) staged: 1 updated.", message)

    # ------------------------------------------------------------------ formats

    def test_xlsx(self):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(HEADER)
        import datetime

        family = self._family()
        family[0][HEADER.index("birthdate")] = datetime.datetime(1980, 2, 3)
        family[0][HEADER.index("id_number")] = 12345678
        family[0][HEADER.index("phone")] = 712000001.0
        for line in family:
            sheet.append(line)
        buffer = io.BytesIO()
        book.save(buffer)
        wizard = self._wizard(buffer.getvalue(), "households.xlsx")
        wizard.action_check()
        self.assertEqual(wizard.encoding, "XLSX")
        self.assertFalse(wizard.line_ids, self._errors(wizard))
        wizard.action_import()
        head = self.Record.search([("source_id", "=", self.source.id)]).household_id.head_id
        self.assertEqual(str(head.birthdate), "1980-02-03")
        self.assertEqual(head.reg_id_ids.value, "12345678")
        self.assertEqual(head.phone_number_ids.phone_number, "+254712000001")

    def test_latin1_and_bom_csv(self):
        for encoding, label, delimiter in (
            ("latin-1", {"WINDOWS-1252", "ISO-8859-1"}, ";"),
            ("utf-8-sig", {"UTF-8 (BOM)"}, ","),
        ):
            with self.subTest(encoding=encoding):
                key = "HH-%s" % encoding
                rows = [
                    row(key, "yes", "Zoé", "Müller-Ñandú", village="Bogotá", gender="Female"),
                    row(key, "no", "José", "Müller-Ñandú"),
                ]
                wizard = self._wizard(to_csv(rows, encoding=encoding, delimiter=delimiter))
                wizard.action_check()
                self.assertIn(wizard.encoding, label)
                self.assertFalse(wizard.line_ids, self._errors(wizard))
                wizard.action_import()
                record = self.Record.search([("external_id", "=", "%s/%s" % (wizard.checksum[:16], key))])
                self.assertEqual(record.state, "imported", record.error_message)
                self.assertEqual(record.household_id.city, "Bogotá")
                self.assertEqual(record.household_id.head_id.name, "Zoé Müller-Ñandú")

    def test_templates_download(self):
        content = template_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertEqual([c.value for c in sheet[1]], HEADER)
        # The templates' example rows are a valid file.
        for content, name in ((content, "template.xlsx"), (template_csv(), "template.csv")):
            wizard = self._wizard(content, name)
            wizard.action_check()
            self.assertFalse(wizard.line_ids, self._errors(wizard))
            self.assertEqual((wizard.row_count, wizard.valid_household_count), (2, 1))
        action = wizard.with_context(template_format="csv").action_download_template()
        self.assertEqual(action["url"], "/g2p_intake_file/template.csv")

    def test_menu_visible_to_registrar(self):
        menu = self.env.ref("g2p_intake_file.menu_g2p_intake_file_import")
        visible = self.env["ir.ui.menu"].with_user(self.registrar)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        employee = new_test_user(self.env, "employee_only", groups="base.group_user")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(employee)._visible_menu_ids())

    def test_dry_run_queries_do_not_grow_with_rows(self):
        """The dry run reads ID types once and checks cells in Python: no query per row."""

        def queries(households):
            rows = []
            for n in range(households):
                rows += self._family("HH-%s" % n, "F%s" % n, "07120%05d" % n, "%08d" % (10000000 + n))
            wizard = self._wizard(to_csv(rows))
            wizard.flush_recordset()
            before = self.env.cr.sql_log_count
            errors, households_ok, _rows, _encoding = wizard._check_file()
            self.assertFalse(errors)
            self.assertEqual(len(households_ok), households)
            return self.env.cr.sql_log_count - before

        queries(1)  # warms the caches (the source, its country…)
        self.assertEqual(queries(5), queries(500))


@tagged("post_install", "-at_install")
class TestLargeFileImport(RegistryCase):
    """A file of more households than are applied at once is staged, then applied by jobs."""

    def test_large_file_is_applied_by_jobs_of_a_run(self):
        from unittest.mock import patch

        from odoo.addons.queue_job.tests.common import trap_jobs

        rows = []
        for n in range(7):
            rows += [
                row(
                    "BIG-%s" % n,
                    "yes",
                    "Amina",
                    "Family%s" % n,
                    phone="07124%05d" % n,
                    birthdate="1985-01-01",
                ),
                row("BIG-%s" % n, "no", "Juma", "Family%s" % n, relationship="child", birthdate="2015-01-01"),
            ]
        wizard = (
            self.env["g2p.intake.file.import"]
            .with_user(self.registrar)
            .create({"file": base64.b64encode(to_csv(rows)), "filename": "big.csv"})
        )
        with (
            patch("odoo.addons.g2p_intake_file.wizard.g2p_intake_file_import.INLINE_RECORDS", 5),
            patch("odoo.addons.g2p_intake.models.g2p_intake_run.JOB_CHUNK_SIZE", 4),
            trap_jobs() as trap,
        ):
            action = wizard.action_import()
            run = self.env["g2p.intake.run"].browse(action["params"]["next"]["res_id"])
            self.assertEqual(run.name, "big.csv")
            self.assertEqual((run.record_count, run.pending_count, run.job_count), (7, 7, 2))
            self.assertIn("2 background jobs", action["params"]["message"])
            trap.assert_jobs_count(2)
            self.assertFalse(self.env["res.partner"].search([("family_name", "=like", "Family%")]))
            trap.perform_enqueued_jobs()
        run.invalidate_recordset()
        self.assertEqual((run.pending_count, run.imported_count, run.state), (0, 7, "done"))
        self.assertEqual(len(self.env["res.partner"].search([("family_name", "=like", "Family%")])), 14)
        # The same file again: already staged, nothing to do.
        again = (
            self.env["g2p.intake.file.import"]
            .with_user(self.registrar)
            .create({"file": base64.b64encode(to_csv(rows)), "filename": "big.csv"})
        )
        with trap_jobs() as trap:
            action = again.action_import()
            trap.assert_jobs_count(0)
        self.assertIn("7 already imported", action["params"]["message"])
        self.assertEqual(len(self.env["res.partner"].search([("family_name", "=like", "Family%")])), 14)


@tagged("post_install", "-at_install")
class TestFileDemo(RegistryCase):
    def test_demo_file_is_checked_and_imported(self):
        national_id = self.env["g2p.registry.demo"]._demo_id_type()
        head = self._individual("Wanjiru", "Kinoti", gender="female", birthdate=date(1985, 3, 1))
        household = self._household("Kinoti household", [(head, "head")], city="Kisumu")
        self.env["g2p.registrant.id"].create(
            {"partner_id": head.id, "id_type_id": national_id.id, "value": "24681357"}
        )
        registrants = self.env["res.partner"].search_count([("is_registrant", "=", True)])
        wizard = self.env["g2p.intake.file.import"]._demo_load()
        self.assertEqual(
            (wizard.household_count, wizard.valid_household_count, wizard.error_count), (5, 4, 1)
        )
        self.assertEqual(wizard.line_ids.household_key, "KSM-004")
        records = self.env["g2p.intake.record"].search(
            [("external_id", "=like", wizard.checksum[:16] + "/%")]
        )
        by_key = {r.external_id.split("/")[1]: r for r in records}
        self.assertEqual(sorted(by_key), ["KSM-001", "KSM-002", "KSM-003", "KSM-005"])
        self.assertEqual(set(records.mapped("state")), {"imported"})
        self.assertEqual(by_key["KSM-005"].household_id, household, "the known household is updated")
        self.assertEqual(household.city, "Kondele")
        # Three new households: 3 + 2 + 2 members and the households themselves.
        self.assertEqual(
            self.env["res.partner"].search_count([("is_registrant", "=", True)]), registrants + 10
        )
