from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .common import ProgramCase


class TestCycles(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program(start_date=date(2026, 1, 31), frequency="monthly")
        cls.program.action_activate()

    def _walk(self, cycle):
        cycle.action_submit()
        cycle.action_approve()
        cycle.action_mark_distributed()
        cycle.action_close()

    def test_dates_from_frequency(self):
        c1 = self.program._create_next_cycle()
        self.assertEqual((c1.start_date, c1.end_date, c1.sequence), (date(2026, 1, 31), date(2026, 2, 27), 1))
        self._walk(c1)
        c2 = self.program._create_next_cycle()
        self.assertEqual((c2.start_date, c2.end_date, c2.sequence), (date(2026, 2, 28), date(2026, 3, 27), 2))
        quarterly = self._program(start_date=date(2026, 4, 1), frequency="quarterly")
        quarterly.action_activate()
        q1 = quarterly._create_next_cycle()
        self.assertEqual((q1.start_date, q1.end_date), (date(2026, 4, 1), date(2026, 6, 30)))
        custom = self._program(
            start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 20),
            frequency="custom",
            custom_interval_days=14,
        )
        custom.action_activate()
        k1 = custom._create_next_cycle()
        self.assertEqual((k1.start_date, k1.end_date), (date(2026, 1, 1), date(2026, 1, 14)))
        self._walk(k1)
        k2 = custom._create_next_cycle()
        self.assertEqual(k2.end_date, date(2026, 1, 20), "the last cycle stops at the program's end")
        self._walk(k2)
        with self.assertRefused(UserError, "no cycle can start after it"):
            custom._create_next_cycle()
        self.assertEqual(len(custom.cycle_ids), 2)

    def test_state_machine_and_payroll_guard(self):
        cycle = self.program._create_next_cycle()
        with self.assertRefused(UserError, "a payroll needs an approved cycle"):
            cycle._ensure_payroll_allowed()
        with self.assertRefused(UserError, "cannot become Approved"):
            cycle.action_approve()
        self.assertEqual(cycle.state, "draft")
        cycle.with_user(self.manager).action_submit()
        self.assertEqual((cycle.state, cycle.submitted_by_id), ("to_approve", self.manager))
        cycle.action_submit()  # repeating is a no-op
        # Maker-checker: the submitter cannot approve; a second program manager can.
        checker = new_test_user(self.env, "cycle_checker", groups="g2p_program.group_g2p_program_manager")
        self.assertFalse(cycle.with_user(self.manager).can_approve)
        self.assertTrue(cycle.with_user(checker).can_approve)
        with self.assertRefused(UserError, "Maker-checker: you created or submitted cycle"):
            cycle.with_user(self.manager).action_approve()
        self.assertEqual(cycle.state, "to_approve")
        cycle.with_user(checker).action_approve()
        self.assertEqual((cycle.state, cycle.approved_by_id), ("approved", checker))
        self.assertFalse(cycle.with_user(checker).can_approve, "nothing left to approve")
        self.assertTrue(cycle._ensure_payroll_allowed())
        with self.assertRefused(UserError, "cannot become Closed"):
            cycle.action_close()
        cycle.action_mark_distributed()
        with self.assertRefused(UserError, "a payroll needs an approved cycle"):
            cycle._ensure_payroll_allowed()
        cycle.action_close()
        self.assertEqual(cycle.state, "closed")

    def test_draft_program_cannot_open_cycle(self):
        program = self._program()
        with self.assertRefused(UserError, "needs an active program"):
            program._create_next_cycle()
        self.assertFalse(program.cycle_ids)

    def test_one_open_cycle(self):
        self.program._create_next_cycle()
        with self.assertRefused(ValidationError, "already has an open cycle"):
            self.program._create_next_cycle()
        self.assertEqual(len(self.program.cycle_ids), 1)
        self.program.allow_overlapping_cycles = True
        self.program._create_next_cycle()
        self.assertEqual(len(self.program.cycle_ids), 2)

    def test_approver_groups(self):
        finance = self.env["res.groups"].create({"name": "Test Cycle Approvers"})
        approver = new_test_user(self.env, "cycle_approver", groups="g2p_registry.group_g2p_registrar")
        approver.group_ids |= finance
        self.program.approver_group_ids = finance
        cycle = self.program._create_next_cycle()
        cycle.action_submit()
        with self.assertRefused(AccessError, "not an approver"):
            cycle.with_user(self.manager).action_approve()
        self.assertEqual(cycle.state, "to_approve")
        cycle.with_user(approver).action_approve()
        self.assertEqual((cycle.state, cycle.approved_by_id), ("approved", approver))

    def test_end_program_needs_closed_cycles(self):
        cycle = self.program._create_next_cycle()
        with self.assertRefused(UserError, "Close these cycles"):
            self.program.action_end()
        self._walk(cycle)
        self.program.action_end()
        self.assertEqual(self.program.state, "ended")
        with self.assertRefused(UserError, "needs an active program"):
            self.program._enrol_eligible()

    def test_state_tracked(self):
        cycle = self.program._create_next_cycle()
        self.env.flush_all()
        self.env.cr.precommit.run()
        cycle.action_submit()
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = cycle.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "state")
        self.assertEqual(values.mapped("new_value_char"), ["To Approve"])

    def test_demo_cycle_made_and_approved_by_two_managers(self):
        """The demo's first cycle: created and submitted by one program manager, approved by
        another (the cycle's maker-checker), after enrolling the eligible."""
        second = new_test_user(self.env, "program_manager_2", groups="g2p_program.group_g2p_program_manager")
        program = self._program(name="Demo Grant")
        self._rule(program, [("g2p_child_count", ">=", 1)])
        family = self._family("Demo", [34, 4])
        self.env["g2p.program"]._demo_activate_enrol_and_approve_cycle(program.id, self.manager.id, second.id)
        self.assertEqual(program.state, "active")
        self.assertIn(family, self._members(program).partner_id)
        cycle = program.cycle_ids
        self.assertEqual(len(cycle), 1)
        self.assertEqual(cycle.state, "approved")
        self.assertEqual(
            (cycle.create_uid, cycle.submitted_by_id, cycle.approved_by_id),
            (self.manager, self.manager, second),
        )
        self.env["g2p.program"]._demo_activate_enrol_and_approve_cycle(program.id, self.manager.id, second.id)
        self.assertEqual(program.cycle_ids, cycle, "runs once: a program with a cycle keeps it")
