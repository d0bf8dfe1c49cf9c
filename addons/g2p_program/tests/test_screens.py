"""What a program manager reads: the preview lists households in household columns, and
enrolment and re-verification end with a notification saying how many changed."""

from lxml import etree

from odoo.tests import new_test_user
from odoo.tools import html2plaintext

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

    def _chatter(self, record):
        # Tracking values are written when the transaction commits.
        self.env.flush_all()
        self.env.cr.precommit.run()
        record.invalidate_recordset(["message_ids"])
        return record.sudo().message_ids

    def _tracked(self, record):
        """Names of the fields tracked in the chatter of ``record``."""
        values = (
            self.env["mail.tracking.value"]
            .sudo()
            .search([("mail_message_id", "in", self._chatter(record).ids)])
        )
        return values.field_id.mapped("name")

    def test_chatter_reads_naturally(self):
        # Records created in the transaction are not tracked until it commits: commit-like first.
        self._chatter(self.program)
        program = self.program.with_user(self.manager)
        program.action_activate()
        program.action_verify_eligibility()
        program.action_enrol_eligible()
        program.action_enrol_eligible()
        program.write({"end_date": "2031-06-30"})
        program.write({"end_date": False})
        bodies = [html2plaintext(m.body) for m in self._chatter(program)]
        self.assertIn("Re-verification: every member still qualifies.", bodies)
        self.assertIn("Enrolment: nobody new to enrol.", bodies)
        self.assertTrue(any(b.startswith("The program now ends on") for b in bodies), bodies)
        self.assertIn("End date removed: the program is open-ended.", bodies)
        self.assertFalse(any(" 0 " in " %s " % b for b in bodies), bodies)
        tracked = self._tracked(program)
        self.assertIn("state", tracked)
        self.assertNotIn("end_date", tracked, "no 'None → date' line")
        # Memberships: the state change is tracked, not the dates that come with it.
        member = self._members(program)[:1]
        member.action_pause()
        member.action_exit()
        tracked = self._tracked(member)
        self.assertIn("state", tracked)
        self.assertNotIn("exit_date", tracked)
        self.assertNotIn("enrolment_date", tracked)

    def test_cycle_actions_notify(self):
        program = self.program.with_user(self.manager)
        program.action_activate()
        action = program.action_new_cycle()
        self.assertEqual(action["tag"], "display_notification")
        cycle = self.env["g2p.cycle"].browse(action["params"]["next"]["res_id"])
        self.assertEqual((cycle.program_id, cycle.state), (self.program, "draft"))
        self.assertIn("%s (" % cycle.name, action["params"]["message"])
        params = cycle.with_user(self.manager).action_submit()["params"]
        self.assertIn("sent for approval", params["message"])
        checker = new_test_user(self.env, "screens_checker", groups="g2p_program.group_g2p_program_manager")
        params = cycle.with_user(checker).action_approve()["params"]
        self.assertEqual(params["title"], "Cycle approved")
        self.assertEqual(cycle.approved_by_id, checker)
