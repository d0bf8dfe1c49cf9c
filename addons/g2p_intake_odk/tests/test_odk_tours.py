import sys
from pathlib import Path

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from simulators.odk_central import household, run_odk_central


@tagged("post_install", "-at_install")
class TestOdkTours(HttpCase):
    """The intake screens in the browser, as a G2P administrator and as a registrar."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls.enterClassContext(run_odk_central())
        cls.env.company.country_id = cls.env.ref("base.ke")
        IdType = cls.env["g2p.id.type"]
        for code in ("NATIONAL_ID", "BIRTH_CERTIFICATE"):
            if not IdType.search([("code", "=", code)]):
                IdType.create({"name": code.title(), "code": code})
        cls.admin_user = new_test_user(
            cls.env, "tour_g2p_admin", groups="g2p_registry.group_g2p_admin", password="tour_g2p_admin"
        )
        cls.registrar = new_test_user(
            cls.env,
            "tour_registrar",
            groups="g2p_registry.group_g2p_registrar",
            password="tour_registrar",
            name="Tour Registrar",
        )
        cls.odk = cls.env["g2p.intake.odk.source"].create(
            {
                "name": "Household survey",
                "odk_base_url": cls.sim.url,
                "odk_project_id": 1,
                "odk_form_id": "household_survey",
                "odk_email": cls.sim.user["email"],
                "odk_password": cls.sim.user["password"],
            }
        )

    def setUp(self):
        super().setUp()
        self.sim.control("reset")
        bad = household(2)
        bad["members"][0]["phone"] = "+25412"
        self.sim.seed({"data": household(1)}, {"data": bad}, {"data": household(3)})

    def test_admin_pulls_from_central(self):
        with mute_logger("pyodk"):
            self.start_tour(
                "/odoo/action-g2p_intake_odk.action_g2p_intake_odk_source",
                "g2p_intake_odk_pull_tour",
                login="tour_g2p_admin",
            )
        records = self.env["g2p.intake.record"].search([("source_id", "=", self.odk.source_id.id)])
        self.assertEqual(sorted(records.mapped("state")), ["error", "imported", "imported"])

    def test_registrar_reviews_and_rejects(self):
        with mute_logger("pyodk"):
            self.odk._pull()
        self.start_tour(
            "/odoo/action-g2p_intake.action_g2p_intake_record",
            "g2p_intake_odk_review_tour",
            login="tour_registrar",
        )
        record = self.env["g2p.intake.record"].search([("state", "=", "rejected")])
        self.assertEqual(record.rejected_by_id, self.registrar)
        self.assertEqual(record.reject_reason, "Training submission, not a real household")

    def test_admin_imports_a_csv_export(self):
        # The zip the person downloaded from Central, on their disk (served to the tour's browser).
        content = self.odk._odk_download_export()
        attachment = self.env["ir.attachment"].create(
            {"name": "household_survey.zip", "raw": content, "mimetype": "application/zip", "public": True}
        )
        self.env["ir.model.data"].create(
            {
                "module": "g2p_intake_odk",
                "name": "tour_export_zip",
                "model": "ir.attachment",
                "res_id": attachment.id,
            }
        )
        self.start_tour(
            "/odoo/action-g2p_intake_odk.action_g2p_intake_odk_source",
            "g2p_intake_odk_export_tour",
            login="tour_g2p_admin",
        )
        records = self.env["g2p.intake.record"].search([("source_id", "=", self.odk.source_id.id)])
        self.assertEqual(sorted(records.mapped("state")), ["error", "imported", "imported"])
        self.assertEqual(len(records.attachment_ids), 3)  # the consent photos from the zip's media/
