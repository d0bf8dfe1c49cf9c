"""Area-scoped access: a registrar limited to Kisumu County reads, counts, groups and changes
only Kisumu's registrants (its wards included, and its households' members), through every ORM
entry point the web client uses and through the registrant's own records."""

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user
from odoo.tools import mute_logger

from .common_area import AreaCase


class TestAreaAccess(AreaCase):
    def _partners(self, user):
        return self.env["res.partner"].with_user(user)

    def test_search_sees_only_own_county_wards_and_members(self):
        Partner = self._partners(self.registrar_ksm)
        seen = Partner.search([("id", "in", self.ours.ids)])
        self.assertEqual(seen, self.kisumu_registrants)
        self.assertIn(self.ward_household, seen, "a ward of the county is inside the county")
        self.assertIn(self.ksm_member, seen, "a member is seen through the household's area")
        self.assertEqual(Partner.search_count([("id", "in", self.ours.ids)]), 3)
        self.assertEqual(
            Partner.search_count([("is_registrant", "=", True), ("area_id", "=", self.westlands.id)]), 0
        )

    def test_read_of_another_county_is_refused(self):
        Partner = self._partners(self.registrar_ksm)
        with self.assertRaises(AccessError):
            Partner.browse(self.nbi_household.id).read(["name"])
        with self.assertRaises(AccessError):
            Partner.browse(self.no_area_household.id).read(["name"])
        self.assertEqual(
            Partner.browse(self.ksm_household.id).read(["name"])[0]["name"], "Odhiambo Household"
        )

    def test_web_client_entry_points(self):
        Partner = self._partners(self.registrar_ksm)
        result = Partner.web_search_read([("id", "in", self.ours.ids)], {"name": {}, "area_id": {}})
        self.assertEqual(result["length"], 3)
        self.assertEqual({r["id"] for r in result["records"]}, set(self.kisumu_registrants.ids))
        groups = Partner.formatted_read_group([("id", "in", self.ours.ids)], ["area_id"], ["__count"])
        counts = {g["area_id"][0] if g["area_id"] else False: g["__count"] for g in groups}
        self.assertEqual(counts, {self.kisumu.id: 1, self.railways.id: 1, False: 1})
        self.assertFalse(Partner.name_search("Kamau Household"))
        self.assertEqual([r[0] for r in Partner.name_search("Odhiambo Household")], self.ksm_household.ids)
        read_groups = Partner._read_group([("id", "in", self.ours.ids)], [], ["__count"])
        self.assertEqual(read_groups[0][0], 3)

    def test_registrant_records_follow_the_registrant(self):
        user = self.registrar_ksm
        self.assertFalse(self.env["g2p.registrant.id"].with_user(user).search([("value", "=", "47000001")]))
        self.assertFalse(
            self.env["g2p.phone.number"].with_user(user).search([("phone_number", "=", "+254712000047")])
        )
        self.assertFalse(
            self.env["g2p.payment.account"].with_user(user).search([("id", "=", self.nbi_account.id)])
        )
        memberships = (
            self.env["g2p.group.membership"].with_user(user).search([("group_id", "in", self.ours.ids)])
        )
        self.assertEqual(memberships, self.ksm_household.group_membership_ids)
        for record in (
            self.nbi_id,
            self.nbi_phone,
            self.nbi_account,
            self.nbi_household.group_membership_ids,
        ):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(user).read(["display_name"])
        # Searching through a related path does not reveal the other county either.
        self.assertFalse(
            self._partners(user).search([("reg_id_ids.value", "=", "47000001")]),
        )

    def test_cannot_write_another_county(self):
        with self.assertRaises(AccessError):
            self.nbi_household.with_user(self.registrar_ksm).write({"name": "Renamed"})
        self.assertEqual(self.nbi_household.name, "Kamau Household")

    def test_user_without_areas_sees_all(self):
        for user in (self.registrar, self.validator):
            with self.subTest(user=user.login):
                self.assertEqual(self._partners(user).search([("id", "in", self.ours.ids)]), self.ours)

    def test_changing_areas_takes_effect_at_once(self):
        Partner = self._partners(self.registrar_ksm)
        self.assertEqual(Partner.search([("id", "in", self.ours.ids)]), self.kisumu_registrants)
        self.registrar_ksm.g2p_area_ids = self.nairobi
        self.assertEqual(Partner.search([("id", "in", self.ours.ids)]), self.nbi_member | self.nbi_household)
        self.registrar_ksm.g2p_area_ids = False
        self.assertEqual(Partner.search([("id", "in", self.ours.ids)]), self.ours)

    def test_archived_area_still_limits(self):
        self.kisumu.active = False
        self.assertEqual(self.registrar_ksm.sudo().g2p_area_ids, self.kisumu)
        self.assertEqual(
            self._partners(self.registrar_ksm).search([("id", "in", self.ours.ids)]), self.kisumu_registrants
        )

    def test_new_ward_is_inside_at_once(self):
        ward = self.env["g2p.area"].create(
            {"name": "Nyalenda T", "code": "T-042-1-2", "level": "ward", "parent_id": self.kisumu_central.id}
        )
        household = self._household("Later Household", area_id=ward.id)
        self.assertEqual(self._partners(self.registrar_ksm).search([("id", "=", household.id)]), household)

    def test_moving_a_sub_area_moves_its_registrants(self):
        self.kisumu_central.parent_id = self.nairobi
        Partner = self._partners(self.registrar_ksm)
        self.assertEqual(Partner.search([("id", "in", self.ours.ids)]), self.ksm_member | self.ksm_household)

    def test_other_contacts_stay_visible(self):
        Partner = self._partners(self.registrar_ksm)
        company_partner = self.env.company.partner_id
        self.assertEqual(
            Partner.search([("id", "in", [company_partner.id, self.mobile_psp.id])]),
            company_partner | self.mobile_psp,
        )
        self.assertEqual(
            self.registrar_ksm.partner_id.with_user(self.registrar_ksm).name, self.registrar_ksm.name
        )

    def test_admin_creates_user_while_areas_exist(self):
        user_admin = new_test_user(
            self.env, "area_user_admin", groups="base.group_erp_manager,g2p_registry.group_g2p_admin"
        )
        Users = self.env["res.users"].with_user(user_admin)
        user = Users.create(
            {
                "name": "Otieno Field",
                "login": "otieno_field",
                "group_ids": [(4, self.ref("g2p_registry.group_g2p_registrar"))],
                "g2p_area_ids": [(6, 0, self.nairobi.ids)],
            }
        )
        self.assertEqual(user.sudo().g2p_area_ids, self.nairobi)
        user.write({"email": "otieno@ministry.example.com"})
        self.assertEqual(user.partner_id.email, "otieno@ministry.example.com")
        # The new user's own contact is not a registrant: visible to them although limited.
        self.assertEqual(
            user.partner_id.with_user(user).read(["email"])[0]["email"], "otieno@ministry.example.com"
        )
        self.assertEqual(
            self._partners(user).search([("id", "in", self.ours.ids)]), self.nbi_member | self.nbi_household
        )

    def test_user_form_shows_areas_to_g2p_admin_only(self):
        view = self.env.ref("base.view_users_form").id
        erp = new_test_user(self.env, "erp_only_admin", groups="base.group_erp_manager")
        g2p = new_test_user(
            self.env, "erp_g2p_admin", groups="base.group_erp_manager,g2p_registry.group_g2p_admin"
        )
        for user, shown in ((g2p, True), (erp, False)):
            arch = self.env["res.users"].with_user(user).get_views([(view, "form")])["views"]["form"]["arch"]
            self.assertEqual('name="g2p_area_ids"' in arch, shown, user.login)

    def test_only_g2p_admin_sets_areas(self):
        # The field is the G2P administrator's: others do not even read it.
        user_admin = new_test_user(self.env, "plain_user_admin", groups="base.group_erp_manager")
        with self.assertRaises(AccessError):
            self.registrar_ksm.with_user(user_admin).write({"g2p_area_ids": [(5, 0, 0)]})
        with self.assertRaises(AccessError):
            self.registrar_ksm.with_user(self.registrar_ksm).write({"g2p_area_ids": [(5, 0, 0)]})
        self.assertEqual(self.registrar_ksm.sudo().g2p_area_ids, self.kisumu)


class TestAreaDefaults(AreaCase):
    def test_new_registrant_gets_the_users_area(self):
        Partner = self.env["res.partner"].with_user(self.registrar_ksm)
        household = Partner.create({"name": "Created Household", "is_registrant": True, "is_group": True})
        self.assertEqual(household.area_id, self.kisumu)
        self.assertEqual(
            Partner.search([("id", "=", household.id)]), household, "still visible to its author"
        )
        person = Partner.create({"given_name": "Baraka", "family_name": "Ouma", "is_registrant": True})
        self.assertEqual(person.area_id, self.kisumu)
        # A contact that is not a registrant gets no area and stays visible ("Contact Creation").
        clerk = new_test_user(
            self.env,
            "contact_clerk_ksm",
            groups="g2p_registry.group_g2p_registrar,base.group_partner_manager",
        )
        clerk.g2p_area_ids = self.kisumu
        contact = (
            self.env["res.partner"].with_user(clerk).create({"name": "Kisumu Hospital", "is_company": True})
        )
        self.assertFalse(contact.area_id)
        self.assertEqual(contact.with_user(clerk).read(["name"])[0]["name"], "Kisumu Hospital")

    def test_form_shows_the_default_area(self):
        form = Form(
            self.env["res.partner"]
            .with_user(self.registrar_ksm)
            .with_context(default_is_registrant=True, default_is_group=True),
            view="g2p_registry.view_household_form",
        )
        self.assertEqual(form.area_id, self.kisumu)
        form.name = "Form Household"
        form.area_id = self.railways
        household = form.save()
        self.assertEqual(household.area_id, self.railways)

    def test_unlimited_user_gets_no_default(self):
        household = (
            self.env["res.partner"]
            .with_user(self.registrar)
            .create({"name": "Free Household", "is_registrant": True, "is_group": True})
        )
        self.assertFalse(household.area_id)

    def test_area_outside_the_users_areas_is_refused(self):
        Partner = self.env["res.partner"].with_user(self.registrar_ksm)
        with self.assertRefused(ValidationError, "Westlands T is outside your areas"):
            Partner.create(
                {"name": "Elsewhere", "is_registrant": True, "is_group": True, "area_id": self.westlands.id}
            )
        household = self.ksm_household.with_user(self.registrar_ksm)
        with self.assertRefused(ValidationError, "outside your areas \\(Kisumu T\\)"):
            household.write({"area_id": self.nairobi.id})
        with self.assertRefused(ValidationError, "Give this registrant one of your areas"):
            household.write({"area_id": False})
        household.write({"area_id": self.railways.id})
        self.assertEqual(self.ksm_household.area_id, self.railways)

    def test_member_without_area_takes_the_households(self):
        person = self._individual("Juma", "Barasa")
        self.assertFalse(person.area_id)
        self._household("Barasa Household", [(person, "head")], area_id=self.kisumu_central.id)
        self.assertEqual(person.area_id, self.kisumu_central)
        # A person with an area of their own keeps it.
        other = self._individual("Halima", "Abdi", area_id=self.westlands.id)
        self._household("Abdi Household", [(other, "head")], area_id=self.kisumu.id)
        self.assertEqual(other.area_id, self.westlands)

    def test_area_counts(self):
        self.assertEqual(self.kisumu.household_count, 2)
        self.assertEqual(self.kisumu.individual_count, 0, "the Kisumu member has no area of their own")
        self.assertEqual(self.nairobi.household_count, 1)
        self.assertEqual(self.nairobi.individual_count, 1)
        self.assertEqual(self.railways.household_count, 1)
        action = self.kisumu.action_open_households()
        self.assertEqual(
            self.env["res.partner"].search(action["domain"]), self.ksm_household | self.ward_household
        )
        # Counts are what the user may see (in their own request, with its own cache).
        self.env.invalidate_all()
        self.assertEqual(self.nairobi.with_user(self.registrar_ksm).household_count, 0)
        self.assertEqual(self.kisumu.with_user(self.registrar_ksm).household_count, 2)

    def test_area_tree(self):
        self.assertEqual(self.railways.complete_name, "Kisumu T / Kisumu Central T / Railways T")
        self.assertEqual(self.railways.display_name, "Kisumu T / Kisumu Central T / Railways T")
        self.assertEqual(
            self.env["g2p.area"].search([("id", "child_of", self.kisumu.id)]),
            self.kisumu | self.kisumu_central | self.railways,
        )
        self.kisumu.name = "Kisumu County T"
        self.assertEqual(self.railways.complete_name, "Kisumu County T / Kisumu Central T / Railways T")
        with self.assertRefused(UserError, "Recursion"):
            self.kisumu.parent_id = self.railways
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["g2p.area"].create({"name": "Copy", "code": "T-042", "level": "county"})
        # Only the G2P administrator changes areas; every G2P role reads them.
        self.assertEqual(self.kisumu.with_user(self.registrar).read(["code"])[0]["code"], "T-042")
        with self.assertRaises(AccessError):
            self.kisumu.with_user(self.validator).write({"name": "Renamed"})
        self.kisumu.with_user(self.g2p_admin).write({"name": "Kisumu"})
        self.assertEqual(self.kisumu.name, "Kisumu")
