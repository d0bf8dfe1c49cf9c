"""A day in the back office of the registry roles, in the browser.

Each tour runs as a demo-like user holding exactly the groups of the role's demo login
(``demo/g2p_registry_demo.xml``); the test then checks what the clicks stored. Odoo saves a
screenshot when a tour fails."""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import G2PCaseMixin

REGISTRAR = "g2p_registry.group_g2p_registrar"
VALIDATOR = "g2p_registry.group_g2p_registry_validator"
ADMIN = "g2p_registry.group_g2p_admin"


@tagged("post_install", "-at_install")
class TestRoleTours(G2PCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.ke")
        cls.national_id = cls.env["g2p.id.type"].create(
            {
                "name": "National ID",
                "code": "NID_TOUR",
                "validation_regex": r"^[0-9]{8}$",
                "validation_hint": "eight digits",
            }
        )
        cls.wallet_psp = cls.env["res.partner"].create(
            {
                "name": "Tour Wallet",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": [
                    (6, 0, cls.env["g2p.payment.mechanism"].search([("code", "=", "mobile_wallet")]).ids)
                ],
            }
        )

    def _role_user(self, login, groups):
        return new_test_user(self.env, login, groups=groups, password=login, tz="Africa/Nairobi")

    def test_registrar_registers_household_with_members(self):
        registrar = self._role_user("tour_registrar", REGISTRAR)
        self.start_tour("/odoo", "g2p_registrar_household_members_tour", login=registrar.login)

        household = self.env["res.partner"].search([("name", "=", "Otieno Household")])
        self.assertEqual(len(household), 1)
        self.assertTrue(household.is_registrant and household.is_group)
        self.assertEqual(household.registrant_state, "draft")
        self.assertEqual(household.create_uid, registrar)
        memberships = household.group_membership_ids
        self.assertEqual(len(memberships), 3)
        self.assertEqual(
            sorted(
                (m.individual_id.name, m.role, m.individual_id.gender, str(m.individual_id.birthdate))
                for m in memberships
            ),
            [
                ("Achieng Otieno", "head", "female", "1984-03-14"),
                ("Akinyi Otieno", "child", "female", "2012-11-20"),
                ("Ouma Otieno", "spouse", "male", "1981-07-02"),
            ],
        )
        members = memberships.individual_id
        self.assertTrue(all(m.is_registrant and not m.is_group for m in members), "members are registrants")
        self.assertEqual(set(members.mapped("registrant_state")), {"draft"})
        self.assertEqual(members.mapped("create_uid"), registrar)
        head = household.head_id
        self.assertEqual(head.name, "Achieng Otieno")
        self.assertEqual((head.given_name, head.family_name), ("Achieng", "Otieno"))
        # IDs, as typed (spaces dropped), each with the national ID type.
        self.assertEqual(
            sorted(members.reg_id_ids.mapped(lambda i: (i.partner_id.given_name, i.id_type_id, i.value))),
            sorted(
                [
                    ("Achieng", self.national_id, "23456781"),
                    ("Ouma", self.national_id, "23456782"),
                    ("Akinyi", self.national_id, "23456783"),
                ]
            ),
        )
        # The phone typed in local format is stored in E.164, read in the company's country.
        self.assertEqual(head.phone_number_ids.mapped("phone_number"), ["+254712345678"])
        self.assertEqual(head.phone_number_ids.country_id, self.env.ref("base.ke"))
        wallet = head.payment_account_ids
        self.assertEqual(len(wallet), 1)
        self.assertEqual(
            (wallet.account_type, wallet.provider_id, wallet.msisdn, wallet.is_default),
            ("mobile_wallet", self.wallet_psp, "+254712345678", True),
        )
        self.assertEqual(head.default_payment_account_id, wallet)

    def test_validator_approves_household_and_members(self):
        registrar = self._role_user("tour_registrar2", REGISTRAR)
        validator = self._role_user("tour_validator", VALIDATOR)
        Partner = self.env["res.partner"].with_user(registrar)
        household = Partner.create({"name": "Otieno Household", "is_registrant": True, "is_group": True})
        members = Partner.create(
            [
                {"given_name": given, "family_name": "Otieno", "is_registrant": True}
                for given in ("Achieng", "Ouma", "Akinyi")
            ]
        )
        self.env["g2p.group.membership"].with_user(registrar).create(
            [
                {"group_id": household.id, "individual_id": person.id, "role": role}
                for person, role in zip(members, ("head", "spouse", "child"), strict=True)
            ]
        )
        other = Partner.create({"name": "Other Household", "is_registrant": True, "is_group": True})

        self.start_tour("/odoo", "g2p_validator_approves_household_tour", login=validator.login)

        for registrant in household | members:
            with self.subTest(registrant=registrant.name):
                self.assertEqual(registrant.registrant_state, "active")
                self.assertEqual(registrant.approved_by_id, validator)
        self.assertEqual(other.registrant_state, "draft", "only what the validator opened is approved")

    def test_admin_creates_registrar_user(self):
        # The demo G2P administrator also holds Settings → Access Rights (base.group_erp_manager).
        admin = self._role_user("tour_g2p_admin", "base.group_erp_manager," + ADMIN)
        self.start_tour("/odoo", "g2p_admin_creates_registrar_tour", login=admin.login)

        user = self.env["res.users"].search([("login", "=", "grace.njeri@ministry.example.com")])
        self.assertEqual(len(user), 1)
        self.assertEqual(user.name, "Grace Njeri")
        self.assertTrue(user._is_internal())
        self.assertTrue(user.has_group(REGISTRAR))
        self.assertFalse(user.has_group(VALIDATOR), "the role chosen, not a higher one")
        self.assertFalse(user.has_group("base.group_partner_manager"), "no contact creation right")
        self.assertEqual(user.create_uid, admin)
        self.assertFalse(user.partner_id.is_registrant, "a user's contact is not a registrant")
