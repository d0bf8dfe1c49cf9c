"""Contacts and the registry's record rules: G2P administrators with Settings access rights create
users and contacts; registrars register members as registrants and touch nothing else.
(tests/test_rights.py covers the Settings administrator and the "Contact Creation" registrar.)"""

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user

from .common import RegistryCase


class TestContactRights(RegistryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # As the demo login g2padmin: Settings → Access Rights and the G2P administrator role.
        cls.user_admin = new_test_user(
            cls.env, "g2p_user_admin", groups="base.group_erp_manager,g2p_registry.group_g2p_admin"
        )

    def test_g2p_admin_with_access_rights_creates_users_and_contacts(self):
        Users = self.env["res.users"].with_user(self.user_admin)
        user = Users.create(
            {
                "name": "Mercy Chebet",
                "login": "mercy",
                "group_ids": [(4, self.ref("g2p_registry.group_g2p_registry_validator"))],
            }
        )
        self.assertTrue(user.has_group("g2p_registry.group_g2p_registry_validator"))
        self.assertFalse(user.partner_id.is_registrant)
        # Fixing the new user's details writes its contact.
        user.write({"email": "mercy@ministry.example.com", "phone": "+254700000001"})
        self.assertEqual(user.partner_id.email, "mercy@ministry.example.com")
        # An ordinary contact (the PSP's account manager, say) and a PSP.
        Partner = self.env["res.partner"].with_user(self.user_admin)
        contact = Partner.create({"name": "Account Manager", "parent_id": self.mobile_psp.id})
        contact.write({"function": "Relationship manager"})
        psp = Partner.create({"name": "Another PSP", "is_company": True, "is_psp": True})
        self.assertTrue(psp.is_psp)

    def test_access_rights_alone_give_no_contact_rights(self):
        """The permissive rule of user administrators adds no access of its own."""
        plain = new_test_user(self.env, "plain_user_admin", groups="base.group_erp_manager")
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(plain).create({"name": "Some Contact"})

    def test_g2p_admin_without_access_rights_keeps_to_psps_and_registrants(self):
        with self.assertRaises(AccessError):
            self.env["res.users"].with_user(self.g2p_admin).create({"name": "X", "login": "x_user"})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.g2p_admin).create({"name": "Some Contact"})

    def test_registrar_cannot_create_or_edit_plain_contacts(self):
        Partner = self.env["res.partner"].with_user(self.registrar)
        # What the generic contact form of a household member used to create.
        with self.assertRaises(AccessError):
            Partner.create({"name": "Jane Wanjiru"})
        someone = self.env["res.partner"].create({"name": "Someone Else", "email": "someone@example.com"})
        with self.assertRaises(AccessError):
            someone.with_user(self.registrar).write({"email": "hijacked@example.com"})
        with self.assertRaises(AccessError):
            self.mobile_psp.with_user(self.registrar).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            self.mobile_psp.with_user(self.registrar).unlink()
        self.assertEqual(someone.email, "someone@example.com")
        self.assertEqual(self.mobile_psp.name, "Wallet Co")

    def test_member_created_from_household_form_is_a_registrant(self):
        """ "Create and edit…" in a household's member field: the individual form, with the typed
        name split into given, additional and family names, saved as a draft registrant."""
        household_context = {"default_is_registrant": True, "default_is_group": True}
        member_field_context = {
            "form_view_ref": "g2p_registry.view_individual_form",
            "default_is_registrant": True,
            "default_is_group": False,
            "default_name": "Jane Wairimu Wanjiru",
        }
        Partner = self.env["res.partner"].with_user(self.registrar)
        form = Form(
            Partner.with_context({**household_context, **member_field_context}),
            view="g2p_registry.view_individual_form",
        )
        self.assertEqual((form.given_name, form.addl_name, form.family_name), ("Jane", "Wairimu", "Wanjiru"))
        form.given_name = "Janet"
        self.assertEqual(form.name, "Janet Wairimu Wanjiru", "the name follows the names typed")
        member = form.save()
        self.assertTrue(member.is_registrant)
        self.assertFalse(member.is_group)
        self.assertEqual(member.registrant_state, "draft")
        self.assertEqual(member.name, "Janet Wairimu Wanjiru")

    def test_registrants_and_psps_open_in_registry_forms(self):
        person = self._individual("Wangari")
        household = self._household("Wangari Household", [(person, "head")])
        someone = self.env["res.partner"].create({"name": "Someone"})
        for partner, xmlid in [
            (person, "g2p_registry.view_individual_form"),
            (household, "g2p_registry.view_household_form"),
            (self.mobile_psp, "g2p_registry.view_psp_form"),
        ]:
            with self.subTest(partner=partner.name):
                action = partner.with_user(self.registrar).get_formview_action()
                self.assertEqual(action["views"], [(self.ref(xmlid), "form")])
        self.assertFalse(someone.get_formview_id(), "other contacts keep Odoo's contact form")

    def test_registry_roles_do_not_manage_contacts(self):
        """Registrars and validators get no "Contact Creation" right through their role, nor do the
        demo logins (when the database has the demo data)."""
        manager = self.env.ref("base.group_partner_manager")
        for xmlid in ("g2p_registry.group_g2p_registrar", "g2p_registry.group_g2p_registry_validator"):
            with self.subTest(group=xmlid):
                self.assertNotIn(manager, self.env.ref(xmlid).all_implied_ids)
        self.assertFalse(self.registrar.has_group("base.group_partner_manager"))
        for xmlid in ("g2p_registry.demo_user_registrar", "g2p_registry.demo_user_validator"):
            demo_user = self.env.ref(xmlid, raise_if_not_found=False)
            if demo_user:
                self.assertFalse(demo_user.has_group("base.group_partner_manager"), xmlid)
