"""Rights per role: the G2P app and its menus, contacts each role may create or change, read-only
programs and cycles for finance, and maker-checker flags on payrolls and cycles."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from odoo.addons.g2p_payroll.tests.common import PayrollCase

ROOT = "g2p_registry.menu_g2p_root"
REGISTRY = "g2p_registry.menu_g2p_registry"
PROGRAMS = "g2p_program.menu_g2p_programs"
MEMBERSHIPS = "g2p_program.menu_g2p_program_membership"
PAYROLL = "g2p_payroll.menu_g2p_payroll"
PAYMENTS = "g2p_payment_hub.menu_g2p_payment_hub"
INSURANCE = "g2p_insurance_accounting.menu_g2p_insurance"
CONFIG = "g2p_registry.menu_g2p_configuration"
ALL = {ROOT, REGISTRY, PROGRAMS, MEMBERSHIPS, PAYROLL, PAYMENTS, INSURANCE, CONFIG}

# role group -> menus it must see (every other menu of ALL must be hidden)
MENUS = {
    "g2p_registry.group_g2p_registrar": {ROOT, REGISTRY, PROGRAMS, MEMBERSHIPS},
    "g2p_registry.group_g2p_registry_validator": {ROOT, REGISTRY, PROGRAMS, MEMBERSHIPS},
    "g2p_program.group_g2p_program_manager": {ROOT, PROGRAMS, MEMBERSHIPS, PAYROLL},
    "g2p_payroll.group_g2p_payroll_approver": {ROOT, PROGRAMS, PAYROLL},
    "g2p_payroll.group_g2p_finance_officer": {ROOT, PROGRAMS, PAYROLL, PAYMENTS, CONFIG},
    "g2p_insurance_accounting.group_g2p_claims_officer": {ROOT, INSURANCE},
    "g2p_insurance_accounting.group_g2p_insurance_finance": {ROOT, INSURANCE},
    "g2p_registry.group_g2p_admin": ALL,
    "g2p_fhir.group_g2p_api_integration": set(),
}


class TestRights(PayrollCase):
    def _user(self, login, groups):
        return new_test_user(self.env, login, groups=groups)

    def test_menus_per_role(self):
        for i, (group, expected) in enumerate(MENUS.items()):
            user = self._user("menu_role_%s" % i, group)
            visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            for xmlid in ALL:
                with self.subTest(group=group, menu=xmlid):
                    self.assertEqual(self.env.ref(xmlid).id in visible, xmlid in expected)

    def test_contacts(self):
        Partner = self.env["res.partner"]
        # A G2P administrator who is also a Settings administrator creates a user with a G2P role.
        admin = self._user("rights_admin", "base.group_system,g2p_registry.group_g2p_admin")
        user = (
            self.env["res.users"]
            .with_user(admin)
            .create(
                {
                    "name": "New Clerk",
                    "login": "new_clerk",
                    "group_ids": [(4, self.ref("g2p_registry.group_g2p_registrar"))],
                }
            )
        )
        self.assertTrue(user.has_group("g2p_registry.group_g2p_registrar"))
        # A registrar who may also create contacts creates an ordinary company contact.
        clerk = self._user("rights_clerk", "base.group_partner_manager,g2p_registry.group_g2p_registrar")
        employer = Partner.with_user(clerk).create({"name": "Employer Ltd", "is_company": True})
        employer.with_user(clerk).write({"phone": "+254700000000"})
        # A registrar changes registrants and its own contact, not PSPs nor other contacts.
        self.registrar.partner_id.with_user(self.registrar).write({"function": "Registrar"})
        with self.assertRaises(AccessError):
            self.mobile_psp.with_user(self.registrar).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            employer.with_user(self.registrar).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            Partner.with_user(self.registrar).create(
                {"name": "Fake PSP", "is_registrant": True, "is_psp": True}
            )
        # Claims officers pick hospitals; creating one needs Odoo's "Contact Creation" right.
        claims = self._user("rights_claims", "g2p_insurance_accounting.group_g2p_claims_officer")
        with self.assertRaises(AccessError):
            Partner.with_user(claims).create({"name": "Hospital A", "is_company": True})
        claims_plus = self._user(
            "rights_claims2", "base.group_partner_manager,g2p_insurance_accounting.group_g2p_claims_officer"
        )
        Partner.with_user(claims_plus).create({"name": "Hospital B", "is_company": True})

    def test_finance_reads_programs_and_cycles(self):
        cycle = self._approved_cycle()
        for user in (self.finance, self.approver):
            for record in (self.program, cycle):
                views = record.with_user(user).get_views([(False, "form"), (False, "list")])
                for view in views["views"].values():
                    fields = list(views["models"][record._name]["fields"])
                    record.with_user(user).read(fields)
                    self.assertTrue(view["arch"])
                with self.assertRaises(AccessError):
                    record.with_user(user).write({"name": "Renamed"})
            self.assertIn(self.program, self.env["g2p.program"].with_user(user).search([]))

    def test_an_agent_who_is_also_claims_officer_reads_registrants(self):
        household = self._family("Agent Test Family", [40, 8])
        agent = self._user("agent_only", "g2p_voucher.group_g2p_pay_point_agent")
        both = self._user(
            "agent_and_claims",
            "g2p_voucher.group_g2p_pay_point_agent,g2p_insurance_accounting.group_g2p_claims_officer",
        )
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.with_user(agent).search([("id", "=", household.id)]), "agents read none")
        self.assertEqual(Partner.with_user(both).search([("id", "=", household.id)]), household)
        self.assertEqual(household.with_user(both).read(["name"])[0]["name"], "Agent Test Family")

    def test_cycle_maker_checker(self):
        checker = self._user("cycle_checker2", "g2p_program.group_g2p_program_manager")
        cycle = self.program.with_user(self.manager)._create_next_cycle()
        self.assertEqual(cycle.create_uid, self.manager)
        cycle.with_user(checker).action_submit()
        for maker in (self.manager, checker):
            self.assertFalse(cycle.with_user(maker).can_approve)
            with self.assertRefused(UserError, "Maker-checker"):
                cycle.with_user(maker).action_approve()
        third = self._user("cycle_checker3", "g2p_program.group_g2p_program_manager")
        self.assertTrue(cycle.with_user(third).can_approve)
        cycle.with_user(third).action_approve()
        self.assertEqual(cycle.state, "approved")

    def test_payroll_can_approve(self):
        self._paid_household("Rights", [40, 5], number="+254711000001")
        self.program.with_user(self.manager)._enrol_eligible()
        self._fund(100000)
        payroll = self._payroll(self._approved_cycle(), user=self.manager)
        payroll.with_user(self.manager).action_submit()
        maker_approver = self._user("maker_appr", "g2p_payroll.group_g2p_payroll_approver")
        self.assertFalse(payroll.with_user(self.manager).can_approve, "not an approver")
        self.assertTrue(payroll.with_user(self.approver).can_approve)
        self.assertTrue(payroll.with_user(maker_approver).can_approve)
        payroll.sudo().submitted_by_id = maker_approver
        payroll.invalidate_recordset(["can_approve"])
        self.assertFalse(payroll.with_user(maker_approver).can_approve, "the submitter is the maker")
        with self.assertRefused(UserError, "Maker-checker"):
            payroll.with_user(maker_approver).action_approve()
        payroll.with_user(self.approver).action_approve()
        self.assertEqual(payroll.state, "approved")
        self.assertFalse(payroll.with_user(self.approver).can_approve)
