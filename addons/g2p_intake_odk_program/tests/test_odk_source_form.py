from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.g2p_registry.tests.common import RegistryCase


@tagged("post_install", "-at_install")
class TestOdkSourceProgram(RegistryCase):
    """The ODK source form sets the program its submissions are proposed to."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.env["g2p.program"].create({"name": "Household Grant", "target_type": "group"})
        cls.program.action_activate()
        cls.OdkSource = cls.env["g2p.intake.odk.source"].with_user(cls.g2p_admin)

    def _odk_vals(self, **vals):
        return {
            "name": "County survey",
            "odk_base_url": "https://central.example.org",
            "odk_project_id": 1,
            "odk_form_id": "household_survey",
            **vals,
        }

    def test_the_odk_form_shows_the_program(self):
        fields = self.OdkSource.fields_get(["program_id"], ["string", "relation", "help"])
        self.assertEqual(fields["program_id"]["string"], "Propose Enrolment In")
        self.assertEqual(fields["program_id"]["relation"], "g2p.program")
        form = self.env.ref("g2p_intake_odk.view_g2p_intake_odk_source_form")
        views = self.OdkSource.get_views([(form.id, "form")])
        self.assertIn('name="program_id"', views["views"]["form"]["arch"])
        self.assertIn("program_id", views["models"]["g2p.intake.odk.source"]["fields"])

    def test_the_program_set_on_the_odk_source_is_the_intake_source_s(self):
        odk = self.OdkSource.create(self._odk_vals(program_id=self.program.id))
        self.assertEqual(odk.source_id.program_id, self.program, "staging records read it on their source")
        other = self.env["res.company"].create({"name": "Other Ministry"})
        foreign = self.env["g2p.program"].create({"name": "Foreign Grant", "company_id": other.id})
        foreign.action_activate()
        with self.assertRefused(ValidationError, "Foreign Grant: the program belongs to Other Ministry"):
            odk.program_id = foreign
        self.assertEqual(odk.program_id, self.program)
