"""What a program manager reads: the preview lists households in household columns, and
enrolment and re-verification end with a notification saying how many changed."""

from lxml import etree

from .common import ProgramCase


class TestProgramScreens(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.with_child = cls._family("PS-CHILD", [31, 3])
        cls.childless = cls._family("PS-NONE", [45])
        cls.program = cls._program(name="Screens Grant")
        cls.program.env["g2p.program.eligibility.rule"].create(
            {"program_id": cls.program.id, "name": "Has a child", "domain": "[('g2p_child_count', '>=', 1)]"}
        )

    def test_preview_lists_households_with_household_columns(self):
        action = self.program.with_user(self.manager).action_preview_eligibility()
        views = {mode: view for view, mode in action["views"]}
        self.assertEqual(views["list"], self.env.ref("g2p_program.view_g2p_eligibility_preview_list").id)
        self.assertEqual(views["form"], self.env.ref("g2p_registry.view_household_form").id)
        self.assertEqual(action["context"]["g2p_target_type"], "group")
        self.assertIn("o_view_nocontent_smiling_face", action["help"])
        arch = self.env["res.partner"].get_view(views["list"], "list")["arch"]
        columns = etree.fromstring(arch).xpath("//list/field/@name")
        for column in ("head_id", "household_size", "g2p_child_count", "city", "registrant_state"):
            self.assertIn(column, columns)
        for contact_column in ("email", "phone", "activity_ids"):
            self.assertNotIn(contact_column, columns)
        found = self.env["res.partner"].search(action["domain"])
        self.assertIn(self.with_child, found)
        self.assertNotIn(self.childless, found)

    def test_enrol_and_reverify_notify_counts(self):
        program = self.program.with_user(self.manager)
        program.action_activate()
        action = program.action_enrol_eligible()
        self.assertEqual(action["tag"], "display_notification")
        enrolled = program.enrolled_count
        self.assertGreaterEqual(enrolled, 1)
        self.assertIn(
            "%s registrants newly enrolled; %s members enrolled in all." % (enrolled, enrolled),
            action["params"]["message"],
        )
        again = program.action_enrol_eligible()["params"]
        self.assertIn("Nobody new to enrol", again["message"])
        self.assertEqual(program.action_verify_eligibility()["params"]["type"], "success")
        self.with_child.sudo()._disable("Moved")
        params = program.action_verify_eligibility()["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("1 member no longer qualifies and left the program", params["message"])
        self.assertIn("%s remain enrolled" % (enrolled - 1), params["message"])
