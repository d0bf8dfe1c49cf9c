from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.g2p_intake_file.const import COLUMN_NAMES


@tagged("post_install", "-at_install")
class TestFileTours(HttpCase):
    """The file import in the browser, as a registrar (the role that imports)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.ke")
        cls.registrar = new_test_user(
            cls.env,
            "tour_file_registrar",
            groups="g2p_registry.group_g2p_registrar",
            password="tour_file_registrar",
            name="Tour Registrar",
        )
        new_test_user(cls.env, "tour_employee", groups="base.group_user", password="tour_employee")

    def test_registrar_imports_a_file(self):
        self.start_tour(
            "/odoo/action-g2p_intake.action_g2p_intake_record",
            "g2p_intake_file_import_tour",
            login="tour_file_registrar",
        )
        source = self.env.ref("g2p_intake_file.source_files")
        records = self.env["g2p.intake.record"].search([("source_id", "=", source.id)])
        self.assertEqual(records.mapped("state"), ["imported"])
        self.assertEqual(records.household_id.name, "Tour household")
        self.assertEqual(records.create_uid, self.registrar)
        self.assertEqual(records.household_id.household_size, 2)

    def test_templates(self):
        self.authenticate("tour_file_registrar", "tour_file_registrar")
        response = self.url_open("/g2p_intake_file/template.csv")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"\xef\xbb\xbf" + ",".join(COLUMN_NAMES).encode()))
        self.assertIn("g2p_household_import.csv", response.headers["Content-Disposition"])
        response = self.url_open("/g2p_intake_file/template.xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"))
        self.assertEqual(self.url_open("/g2p_intake_file/template.pdf").status_code, 404)
        # Only registrars get it.
        self.authenticate("tour_employee", "tour_employee")
        self.assertEqual(self.url_open("/g2p_intake_file/template.csv").status_code, 404)
