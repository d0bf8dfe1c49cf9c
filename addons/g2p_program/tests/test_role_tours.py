"""A program manager's and a second program manager's day, clicked through in the browser: preview,
activate, enrol, open and submit a cycle; the other manager approves it (maker-checker)."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import ProgramCase

MANAGER_GROUP = "g2p_program.group_g2p_program_manager"


@tagged("post_install", "-at_install")
class TestProgramRoleTours(HttpCase, ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Demo-like users: exactly the program manager's group, nothing more.
        cls.tour_manager = new_test_user(cls.env, "tour_manager", groups=MANAGER_GROUP, name="Tour Manager")
        cls.tour_checker = new_test_user(cls.env, "tour_checker", groups=MANAGER_GROUP, name="Tour Checker")
        cls.households = cls.env["res.partner"]
        for name, ages in (("Tourville Otieno", [38, 9, 4]), ("Tourville Wanjiru", [52, 15])):
            cls.households |= cls._family(name, ages)
        cls.pending = cls._family("Tourville Pending", [29, 1], approve=False)
        (cls.households | cls.pending).city = "Tourville"
        cls.program = cls._program(name="Tourville Grant", base_amount=1500)
        cls.env["g2p.program.eligibility.rule"].create(
            {
                "program_id": cls.program.id,
                "name": "Lives in Tourville",
                "domain": "[('city', '=', 'Tourville')]",
            }
        )

    def _cycle(self):
        return self.env["g2p.cycle"].search([("program_id", "=", self.program.id)])

    def test_manager_then_checker(self):
        self.start_tour("/odoo", "g2p_program_manager_tour", login="tour_manager")
        self.assertEqual(self.program.state, "active")
        self.assertEqual(self.program.preview_count, 2)
        enrolled = self._members(self.program)
        self.assertEqual(enrolled.partner_id, self.households)
        self.assertEqual(enrolled.create_uid, self.tour_manager)
        cycle = self._cycle()
        self.assertEqual(len(cycle), 1)
        self.assertEqual(cycle.state, "to_approve")
        self.assertEqual(cycle.create_uid, self.tour_manager)
        self.assertEqual(cycle.submitted_by_id, self.tour_manager)
        self.assertFalse(cycle.with_user(self.tour_manager).can_approve)

        self.start_tour("/odoo", "g2p_program_checker_tour", login="tour_checker")
        self.assertEqual(cycle.state, "approved")
        self.assertEqual(cycle.approved_by_id, self.tour_checker)
