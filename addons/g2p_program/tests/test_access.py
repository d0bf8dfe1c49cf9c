from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import ProgramCase


class TestProgramAccess(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.household = cls._family("Access HH", [30, 2])
        cls.program = cls._program(name="Access Program")
        cls.program.action_activate()
        cls.program._enrol_eligible()
        cls.plain = new_test_user(cls.env, "plain_user", groups="base.group_user")

    def test_manager_runs_programs(self):
        program = (
            self.env["g2p.program"]
            .with_user(self.manager)
            .create({"name": "Manager's program", "start_date": self.today})
        )
        self.env["g2p.program.eligibility.rule"].with_user(self.manager).create(
            {"program_id": program.id, "name": "kids", "domain": "[('g2p_child_count', '>=', 1)]"}
        )
        program.action_activate()
        program.action_enrol_eligible()
        self.assertIn(self.household, program.membership_ids.partner_id)
        program.action_new_cycle()
        self.assertEqual(len(program.cycle_ids), 1)

    def test_registrar_reads_only(self):
        program = self.program.with_user(self.registrar)
        self.assertEqual(program.name, "Access Program")
        self.assertTrue(program.membership_ids.partner_id)
        with self.assertRefused(AccessError, "not allowed to modify"):
            program.write({"name": "Renamed"})
        with self.assertRefused(AccessError, "not allowed to create"):
            self.env["g2p.program"].with_user(self.registrar).create({"name": "X", "start_date": self.today})
        with self.assertRefused(AccessError, "Only program managers"):
            program.action_enrol_eligible()
        with self.assertRefused(AccessError, "not allowed to modify"):
            program.membership_ids[:1].write({"state": "paused"})
        self.assertEqual(self.program.name, "Access Program")

    def test_plain_user_has_no_access(self):
        with self.assertRefused(AccessError, "not allowed to access"):
            self.program.with_user(self.plain).read(["name"])
        with self.assertRefused(AccessError, "not allowed to access"):
            self.env["g2p.program.membership"].with_user(self.plain).search([])

    def test_multi_company(self):
        other = self.env["res.company"].create({"name": "Other Country Agency"})
        manager2 = new_test_user(
            self.env,
            "manager_other",
            groups="g2p_program.group_g2p_program_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        Program = self.env["g2p.program"].with_user(manager2)
        self.assertFalse(Program.search([("id", "=", self.program.id)]))
        self.assertFalse(
            self.env["g2p.program.membership"]
            .with_user(manager2)
            .search([("program_id", "=", self.program.id)])
        )
        theirs = Program.create({"name": "Other program", "start_date": self.today})
        self.assertEqual(theirs.company_id, other)
        theirs.action_activate()
        self.household.company_id = self.env.company  # registrants without a company are shared
        theirs._enrol_eligible()
        self.assertNotIn(
            self.household,
            theirs.sudo().membership_ids.partner_id,
            "registrants of another company are not eligible",
        )
