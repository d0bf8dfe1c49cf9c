"""The demo as `make demo` builds it: a Kenyan ministry in KES with the Kenyan chart of accounts,
and one demo login per G2P role (documented in README.md) holding exactly its role's group.

Test databases carry no demo data, so these tests skip there; run them on a demo database:
``G2P_TEST_DB=g2p_demo G2P_KEEP_DB=1 scripts/test.sh tests/test_demo_data.py``."""

import re
from pathlib import Path

from odoo.tests import TransactionCase

REPO = Path(__file__).resolve().parent.parent

#: login: (user xmlid, role group xmlid). The README's table of demo logins lists the same.
DEMO_USERS = {
    "registrar": ("g2p_registry.demo_user_registrar", "g2p_registry.group_g2p_registrar"),
    "registrar_kisumu": ("g2p_registry.demo_user_registrar_kisumu", "g2p_registry.group_g2p_registrar"),
    "validator": ("g2p_registry.demo_user_validator", "g2p_registry.group_g2p_registry_validator"),
    "manager": ("g2p_program.demo_user_program_manager", "g2p_program.group_g2p_program_manager"),
    "manager2": ("g2p_program.demo_user_program_manager_2", "g2p_program.group_g2p_program_manager"),
    "approver": ("g2p_payroll.demo_user_payroll_approver", "g2p_payroll.group_g2p_payroll_approver"),
    "finance": ("g2p_payroll.demo_user_finance_officer", "g2p_payroll.group_g2p_finance_officer"),
    "claims": (
        "g2p_insurance_accounting.demo_user_claims_officer",
        "g2p_insurance_accounting.group_g2p_claims_officer",
    ),
    "insurance": (
        "g2p_insurance_accounting.demo_user_insurance_finance",
        "g2p_insurance_accounting.group_g2p_insurance_finance",
    ),
    "g2padmin": ("g2p_registry.demo_user_g2p_admin", "g2p_registry.group_g2p_admin"),
    "agent": ("g2p_voucher.demo_user_pay_point_agent", "g2p_voucher.group_g2p_pay_point_agent"),
}


class TestDemoData(TransactionCase):
    # Outside odoo.addons, Odoo does not tag test classes by itself.
    test_tags = {"standard", "at_install"}
    test_module = "g2p_suite"

    def setUp(self):
        super().setUp()
        with_demo = self.env["ir.module.module"].search([("name", "=", "g2p_registry")]).demo
        if not with_demo:
            self.skipTest("no demo data in this database")

    def test_demo_users_one_per_role(self):
        g2p = self.env.ref("g2p_registry.module_category_g2p")
        for login, (user_xmlid, group_xmlid) in DEMO_USERS.items():
            with self.subTest(login=login):
                user = self.env.ref(user_xmlid)
                group = self.env.ref(group_xmlid)
                self.assertEqual(user.login, login)
                self.assertTrue(user.active and user._is_internal(), "an internal user")
                self.assertEqual(
                    user.group_ids.filtered(lambda g, c=g2p: g.privilege_id.category_id == c),
                    group,
                    "exactly its role's G2P group",
                )
                self.assertEqual(user.company_id, self.env.ref("base.main_company"))
                # The documented password (= login) is the user's: AccessDenied otherwise.
                user.with_user(user)._check_credentials(
                    {"type": "password", "login": login, "password": login}, {"interactive": False}
                )

    def test_new_users_get_no_accounting_rights_by_default(self):
        user = self.env["res.users"].create({"name": "New Clerk", "login": "new_clerk_demo"})
        self.assertFalse(user.has_group("account.group_account_manager"))

    def test_demo_logins_documented(self):
        readme = (REPO / "README.md").read_text()
        documented = set(re.findall(r"^\| `([a-z0-9_]+)` \| `\1` \|", readme, re.MULTILINE))
        self.assertEqual(documented, set(DEMO_USERS), "README.md lists each demo login with its password")

    def test_demo_area_tree_and_kisumu_registrar(self):
        """Counties with their sub-counties; households, their members and pay points in them; the
        Kisumu registrar sees Kisumu County's registrants only, and other contacts as before."""
        Area = self.env["g2p.area"]
        kisumu = self.env.ref("g2p_registry.demo_area_ke_042")
        self.assertEqual(kisumu.level, "county")
        self.assertFalse(Area.search([("level", "=", "county"), ("parent_id", "!=", False)]))
        self.assertGreaterEqual(Area.search_count([("level", "=", "county")]), 10)
        self.assertTrue(
            all(a.parent_id.level == "county" for a in Area.search([("level", "=", "sub_county")]))
        )
        self.assertEqual(kisumu.child_ids.mapped("name"), ["Kisumu Central", "Kisumu East", "Nyando"])
        households = self.env["res.partner"].search([("is_registrant", "=", True), ("is_group", "=", True)])
        # The registry generator's households ("… Household (Town)"); intake demos bring their own.
        demo = households.filtered(lambda h: h.city and h.name.endswith("(%s)" % h.city))
        self.assertTrue(demo and all(h.area_id.level == "sub_county" for h in demo))
        self.assertEqual(
            demo.filtered(lambda h: h.city == "Kisumu"),
            demo.filtered(lambda h: h.area_id.parent_id == kisumu),
            "a household's sub-county is in its town's county",
        )
        self.assertTrue(self.env["g2p.pay.point"].search([("area_id", "child_of", kisumu.id)]))

        user = self.env.ref("g2p_registry.demo_user_registrar_kisumu")
        self.assertEqual(user.g2p_area_ids, kisumu)
        Partner = self.env["res.partner"].with_user(user)
        seen = Partner.search([("is_registrant", "=", True)])
        all_registrants = self.env["res.partner"].search([("is_registrant", "=", True)])
        kisumu_areas = Area.search([("id", "child_of", kisumu.id)])
        in_kisumu = all_registrants.filtered(
            lambda p: p.area_id in kisumu_areas or p.individual_membership_ids.group_id.area_id & kisumu_areas
        )
        self.assertTrue(seen.filtered("is_group"), "Kisumu has demo households")
        self.assertEqual(seen, in_kisumu)
        self.assertLess(len(seen), len(all_registrants))
        self.assertEqual(Partner.search_count([("is_registrant", "=", True)]), len(in_kisumu))
        self.assertFalse(seen.filtered(lambda p: p.is_group and p.city != "Kisumu"))
        # Not registrants: the company, the PSPs and the registrar's own contact stay visible.
        self.assertTrue(Partner.search([("is_psp", "=", True)]))
        self.assertIn(
            self.env.ref("base.main_company").partner_id, Partner.search([("is_company", "=", True)])
        )

    def test_demo_company_is_a_kenyan_ministry(self):
        company = self.env.ref("base.main_company")
        self.assertEqual(company.name, "Ministry of Labour and Social Protection")
        self.assertEqual(company.country_id, self.env.ref("base.ke"))
        self.assertEqual(company.currency_id, self.env.ref("base.KES"))
        self.assertEqual(company.chart_template, "ke", "the Kenyan chart of accounts (l10n_ke)")
        program = self.env.ref("g2p_program.demo_program_child_grant")
        self.assertEqual(program.currency_id, company.currency_id)
        entries = self.env["account.move"].search(
            [("g2p_event", "!=", False), ("company_id", "=", company.id)]
        )
        self.assertTrue(entries, "the demo payroll and insurance posted entries")
        self.assertEqual(entries.currency_id, company.currency_id, "every G2P demo entry is in KES")
        heads = program.membership_ids.partner_id.head_id
        self.assertTrue(heads.phone_number_ids)
        self.assertTrue(
            all(p.startswith(("+2547", "+2541")) for p in heads.phone_number_ids.mapped("phone_number")),
            "Kenyan mobile numbers",
        )

    def test_demo_shows_money_in_and_out_beyond_the_payroll(self):
        """A provider payment run (a provider and a reimbursed member paid, one awaiting), a premium
        collected by mobile money, a pay-point voucher list and a notice sent."""
        run = self.env["g2p.provider.payment.run"].search([], limit=1)
        self.assertEqual(run.state, "in_payment")
        self.assertEqual(sorted(run.line_ids.mapped("state")), ["paid", "paid", "sent"])
        self.assertTrue(run.line_ids.filtered("payee_id.is_registrant"), "a member reimbursed")
        self.assertTrue(all(run.line_ids.filtered(lambda line: line.state == "paid").mapped("move_id")))
        self.assertTrue(run.approved_by_id.has_group("g2p_insurance_accounting.group_g2p_insurance_finance"))
        self.assertTrue(self.env["g2p.payment.collection"].search([("state", "=", "paid")]))
        self.assertTrue(self.env["g2p.voucher"].search([]))
        self.assertTrue(self.env["g2p.notice"].search([("state", "=", "sent")]))

    def test_demo_shows_civil_registry_verification(self):
        service = self.env.ref("g2p_registry_verification.action_g2p_verification_service") and self.env[
            "g2p.verification.service"
        ].search([("name", "=", "National Registration Bureau (demo)")])
        self.assertTrue(service.xroad, "the demo service goes through X-Road")
        ids = self.env["g2p.registrant.id"].search([("verification_service_id", "=", service.id)])
        self.assertEqual(sorted(ids.mapped("verification_state")), ["mismatch", "verified"])
        mismatch = ids.filtered(lambda r: r.verification_state == "mismatch")
        self.assertIn("registry “", mismatch.verification_note)

    def test_demo_shows_a_change_request_to_approve(self):
        request = self.env.ref("g2p_registry.demo_change_request")
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.proposed_by_id, self.env.ref("g2p_registry.demo_user_registrar"))
        self.assertEqual(request.partner_id.registrant_state, "active")
        phone_line = request.line_ids.filtered(lambda line: line.section == "Phone Numbers")
        self.assertNotEqual(phone_line.old_value, phone_line.new_value)
        self.assertIn(phone_line.old_value, request.partner_id.phone_number_ids.mapped("phone_number"))
        validator = self.env.ref("g2p_registry.demo_user_validator")
        self.assertTrue(request.with_user(validator).can_decide, "the demo validator can approve it")

    def test_demo_shows_a_duplicate_pair_to_review(self):
        again = self.env.ref("g2p_registry.demo_duplicate_person")
        pair = self.env["g2p.duplicate"].search([("duplicate_id", "=", again.id), ("state", "=", "pending")])
        self.assertEqual(pair.reason, "similar_name")
        self.assertEqual(pair.registrant_id.birthdate, again.birthdate)
