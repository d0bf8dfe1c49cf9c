import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.g2p_registry.tests.common import RegistryCase


def member(given, family="Otieno", role="other", **extra):
    data = {"key": given, "role": role, "vals": {"given_name": given, "family_name": family}}
    data["vals"].update(extra.pop("vals", {}))
    data.update(extra)
    return data


@tagged("post_install", "-at_install")
class TestIntakeService(RegistryCase):
    """The apply service through staging records of a 'normalised households' source."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["g2p.intake.source"].create({"name": "Test feed"})
        cls.Record = cls.env["g2p.intake.record"]

    def _stage(self, external_id, household, members):
        payload = json.dumps({"household": household, "members": members})
        records = self.Record._stage(self.source, [{"external_id": external_id, "payload": payload}])
        records._process()
        return self.Record.search([("source_id", "=", self.source.id), ("external_id", "=", external_id)])

    def _family(self):
        return [
            member(
                "Achieng",
                role="head",
                vals={"birthdate": "1980-02-03", "gender": "female"},
                phones=["0712000001"],
                ids=[{"type": "NID_TEST", "value": "1234-5678"}],
                payment_accounts=[
                    {"account_type": "mobile_wallet", "provider": "Wallet Co", "msisdn": "0712000001"}
                ],
            ),
            member("Baraka", role="child", vals={"birthdate": "2012-05-06", "gender": "male"}),
        ]

    def test_creates_household_and_reprocessing_changes_nothing(self):
        record = self._stage(
            "r1",
            {"vals": {"name": "Otieno household"}, "latitude": -1.2345678912, "longitude": 36.8123456789},
            self._family(),
        )
        self.assertEqual(record.state, "imported", record.error_message)
        household = record.household_id
        self.assertEqual(household.name, "Otieno household")
        # Stored with the field's 7 decimals; re-processing below does not see a change in the 8th.
        self.assertEqual((household.partner_latitude, household.partner_longitude), (-1.2345679, 36.8123457))
        self.assertEqual(household.head_id.name, "Achieng Otieno")
        self.assertEqual(household.household_size, 2)
        head = household.head_id
        self.assertEqual(head.phone_number_ids.phone_number, "+254712000001")
        self.assertEqual(head.reg_id_ids.value, "12345678")
        self.assertEqual(head.payment_account_ids.msisdn, "+254712000001")
        self.assertEqual(set(record.created_partner_ids.ids), set((household | record.individual_ids).ids))
        self.assertEqual(head.intake_record_count, 1)
        self.assertEqual(head.action_open_intake_records()["res_id"], record.id)
        action = record.action_open_registrants()
        self.assertEqual(action["res_id"], household.id)
        self.assertEqual(action["views"], [(self.env.ref("g2p_registry.view_household_form").id, "form")])
        # Re-processing the same record writes nothing and creates nothing.
        partners = household | record.individual_ids
        stamps = {p.id: p.write_date for p in partners}
        self.env.flush_all()
        count = self.env["res.partner"].search_count([("is_registrant", "=", True)])
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = '2000-01-01' WHERE id IN %s", [tuple(partners.ids)]
        )
        self.env.invalidate_all()
        record.action_reprocess()
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(record.state, "imported")
        self.assertEqual(self.env["res.partner"].search_count([("is_registrant", "=", True)]), count)
        self.assertEqual({str(p.write_date) for p in partners}, {"2000-01-01 00:00:00"}, stamps)
        self.assertEqual((len(head.phone_number_ids), len(head.reg_id_ids)), (1, 1))
        self.assertEqual(len(head.payment_account_ids), 1)
        # Staged again from the source, unchanged: nothing happens either.
        self.assertFalse(self.Record._stage(self.source, [{"external_id": "r1", "payload": record.payload}]))

    def test_matches_by_id_then_phone_then_name_and_birthdate(self):
        by_id = self._individual("Achieng", "Otieno", birthdate="1980-02-03")
        self.env["g2p.registrant.id"].create(
            {"partner_id": by_id.id, "id_type_id": self.national_id.id, "value": "12345678"}
        )
        by_name = self._individual("Baraka", "Otieno", birthdate="2012-05-06")
        by_phone = self._individual("Cheru", "Otieno")
        self.env["g2p.phone.number"].create({"partner_id": by_phone.id, "phone_number": "+254712000009"})
        members = [*self._family(), member("Cheru", role="spouse", phones=["0712 000 009"])]
        record = self._stage("r2", {}, members)
        self.assertEqual(record.state, "imported", record.error_message)
        self.assertEqual(record.individual_ids, by_id | by_name | by_phone)
        self.assertEqual(record.created_partner_ids, record.household_id)  # only the household is new
        self.assertEqual(record.household_id.name, "Otieno household")  # named after the head
        self.assertEqual(by_id.gender, "female")  # the empty field was filled in
        self.assertEqual(by_id.phone_number_ids.phone_number, "+254712000001")

    def test_ambiguous_and_conflicting_matches_are_not_applied(self):
        first = self._individual("Achieng", "Otieno")
        second = self._individual("Akinyi", "Otieno")
        for person in first | second:
            self.env["g2p.phone.number"].create({"partner_id": person.id, "phone_number": "+254712000001"})
        count = self.env["res.partner"].search_count([])
        record = self._stage("r3", {}, self._family())
        self.assertEqual(record.state, "duplicate")
        self.assertEqual(record.error_field, "members[1]/phone")
        self.assertEqual(record.candidate_ids, first | second)
        self.assertIn("several registrants", record.error_message)
        action = record.action_open_candidates()
        self.assertEqual(
            (action["res_model"], action["domain"]), ("res.partner", [("id", "in", (first | second).ids)])
        )
        self.assertIn((self.env.ref("g2p_registry.view_individual_list").id, "list"), action["views"])
        self.assertEqual(self.env["res.partner"].search_count([]), count)  # nothing written
        # Same ID number but another birthdate: a person decides.
        (first | second).phone_number_ids.unlink()
        self.env["g2p.registrant.id"].create(
            {"partner_id": first.id, "id_type_id": self.national_id.id, "value": "12345678"}
        )
        first.birthdate = "1979-01-01"
        record.action_reprocess()
        self.assertEqual(record.state, "duplicate")
        self.assertEqual(record.error_field, "members[1]/birthdate")
        self.assertEqual(record.candidate_ids, first)
        self.assertIn("born 1979-01-01", record.error_message)

    def test_bad_values_name_the_field(self):
        cases = [
            ([member("Achieng", role="head", phones=["071200"])], "members[1]/phone", "not a valid phone"),
            ([member("Achieng", role="child")], "members", "No member is the head"),
            (
                [member("Achieng", role="head", ids=[{"type": "VOTER", "value": "1"}])],
                "members[1]/id_type",
                "Unknown ID type 'VOTER'",
            ),
            (
                [member("Achieng", role="head", ids=[{"type": "NID_TEST", "value": "12"}])],
                "members[1]/id_number",
                "eight digits",
            ),
            ([member("Achieng", role="cousin")], "members[1]/role", "not a household role"),
            (
                [member("Achieng", role="head", vals={"birthdate": "31/02/1980"})],
                "members[1]/birthdate",
                "cannot be read",
            ),
            ([member("Achieng", role="head", vals={"gender": "f"})], "members[1]/gender", "not one of"),
            (
                [member("Achieng", role="head", vals={"registrant_state": "active"})],
                "members[1]/registrant_state",
                "a source can set",
            ),
        ]
        for index, (members, field, message) in enumerate(cases):
            with self.subTest(field=field):
                record = self._stage("bad%s" % index, {}, members)
                self.assertEqual((record.state, record.error_field), ("error", field), record.error_message)
                self.assertIn(message, record.error_message)
                self.assertFalse(record.household_id)
        # Corrected in the payload, then re-processed.
        record = self.Record.search([("external_id", "=", "bad0")])
        payload = json.loads(record.payload)
        payload["members"][0]["phones"] = ["+254712000077"]
        record.with_user(self.registrar).payload = json.dumps(payload)
        notification = record.with_user(self.registrar).action_reprocess()
        self.assertEqual(record.state, "imported", record.error_message)
        self.assertEqual(notification["params"]["type"], "success")
        self.assertEqual(record.household_id.head_id.phone_number_ids.phone_number, "+254712000077")

    def test_edit_updates_the_registrants_it_made(self):
        record = self._stage("r4", {"vals": {"name": "Otieno household"}}, self._family())
        head = record.household_id.head_id
        family = self._family()
        family[0]["vals"]["birthdate"] = "1981-02-03"  # corrected at the source
        family[1]["role"] = "dependant"
        payload = json.dumps(
            {"household": {"vals": {"name": "Otieno family"}}, "members": family[:1] + [family[1]]}
        )
        edited = self.Record._stage(
            self.source, [{"external_id": "r4", "instance_id": "v2", "payload": payload}]
        )
        self.assertEqual(edited, record)
        self.assertEqual(record.state, "new")
        self.assertEqual(len(json.loads(record.payload_history)), 1)
        record._process()
        self.assertEqual(record.state, "imported", record.error_message)
        self.assertEqual(record.household_id.name, "Otieno family")
        self.assertEqual(record.household_id.head_id, head)
        self.assertEqual(str(head.birthdate), "1981-02-03")
        roles = record.household_id.group_membership_ids.mapped("role")
        self.assertEqual(sorted(roles), ["dependant", "head"])
        # A member the edited record leaves out has left the household (not deleted).
        payload = json.dumps({"household": {"vals": {"name": "Otieno family"}}, "members": family[:1]})
        self.Record._stage(
            self.source, [{"external_id": "r4", "instance_id": "v3", "payload": payload}]
        )._process()
        self.assertEqual(record.household_id.household_size, 1)
        self.assertEqual(len(record.household_id.group_membership_ids), 2)

    def test_edit_removing_a_member_before_others_keeps_each_person(self):
        people = [
            member("Achieng", role="head", key="1", ids=[{"type": "NID_TEST", "value": "11111111"}]),
            member("Baraka", role="child", key="2", ids=[{"type": "NID_TEST", "value": "22222222"}]),
            member("Cheru", role="child", key="3", ids=[{"type": "NID_TEST", "value": "33333333"}]),
        ]
        record = self._stage("r6", {}, people)
        by_name = {p.given_name: p for p in record.individual_ids}
        # Baraka is removed in the edit: Cheru is now the second entry and takes Baraka's key.
        edited = [people[0], {**people[2], "key": "2"}]
        payload = json.dumps({"household": {}, "members": edited})
        self.Record._stage(
            self.source, [{"external_id": "r6", "instance_id": "v2", "payload": payload}]
        )._process()
        self.assertEqual(record.state, "imported", record.error_message)
        self.assertEqual(record.individual_ids, by_name["Achieng"] | by_name["Cheru"])
        self.assertEqual(by_name["Cheru"].given_name, "Cheru")
        self.assertEqual(by_name["Baraka"].given_name, "Baraka")  # not overwritten with Cheru's data
        current = record.household_id.group_membership_ids.filtered("is_current").individual_id
        self.assertEqual(current, by_name["Achieng"] | by_name["Cheru"])

    def test_reject_needs_a_reason_and_nothing_is_deleted(self):
        record = self._stage("r5", {}, [member("Achieng", role="child")])
        self.assertEqual(record.state, "error")
        registrar_record = record.with_user(self.registrar)
        with self.assertRefused(UserError, "Rejection Reason"):
            registrar_record.action_reject()
        registrar_record.reject_reason = "Test submission from training"
        registrar_record.action_reject()
        self.assertEqual((record.state, record.rejected_by_id), ("rejected", self.registrar))
        self.assertTrue(record.rejected_date)
        with self.assertRefused(UserError, "rejected"):
            registrar_record.action_reprocess()
        with self.assertRefused(AccessError, ""):
            registrar_record.unlink()
        with self.assertRefused(UserError, "never deleted"):
            record.unlink()

    def test_menus_per_role(self):
        Menu = self.env["ir.ui.menu"]
        staging = self.env.ref("g2p_intake.menu_g2p_intake_records")
        sources = self.env.ref("g2p_intake.menu_g2p_intake_sources")
        registrar_menus = Menu.with_user(self.registrar)._visible_menu_ids()
        admin_menus = Menu.with_user(self.g2p_admin)._visible_menu_ids()
        self.assertIn(staging.id, registrar_menus)
        self.assertNotIn(sources.id, registrar_menus)
        self.assertIn(sources.id, admin_menus)


@tagged("post_install", "-at_install")
class TestIntakeChangeRequests(RegistryCase):
    """An edit of a record whose registrants were approved since: what it changes of their key
    data is proposed to a registry validator, not applied by the intake."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["g2p.intake.source"].create({"name": "Test feed"})
        cls.Record = cls.env["g2p.intake.record"]

    _stage = TestIntakeService._stage
    _family = TestIntakeService._family

    def test_edit_of_approved_registrants_is_proposed(self):
        record = self._stage("r9", {"vals": {"name": "Otieno household"}}, self._family())
        household = record.household_id
        head = household.head_id
        (household | record.individual_ids).registrant_state = "active"
        family = self._family()
        family[0]["vals"]["birthdate"] = "1981-02-03"
        family[0]["phones"] = ["0712000001", "0733000002"]
        family[1]["role"] = "dependant"
        payload = json.dumps({"household": {"vals": {"name": "Otieno family"}}, "members": family})
        edited = self.Record._stage(
            self.source, [{"external_id": "r9", "instance_id": "v2", "payload": payload}]
        )
        edited.with_user(self.registrar)._process()

        self.assertEqual(record.state, "imported", record.error_message)
        self.assertEqual(str(head.birthdate), "1980-02-03", "the approved person keeps their data")
        self.assertEqual(household.name, "Otieno household")
        Request = self.env["g2p.change.request"]
        head_request = Request.search([("partner_id", "=", head.id)])
        household_requests = Request.search([("partner_id", "=", household.id)])
        self.assertEqual(len(head_request), 1, "one request for all of the person's changes")
        self.assertEqual(head_request.proposed_by_id, self.registrar)
        self.assertEqual(sorted(head_request.line_ids.mapped("section")), ["Person", "Phone Numbers"])
        self.assertEqual(len(household_requests), 2, "the name, then the members")
        self.assertIn(head_request.name, record.message_ids[0].body)

        record.with_user(self.registrar).action_reprocess()
        self.assertEqual(
            Request.search_count([("partner_id", "in", (household | head).ids)]), 3, "not proposed twice"
        )

        (head_request | household_requests).with_user(self.validator).action_approve()
        self.assertEqual(str(head.birthdate), "1981-02-03")
        self.assertEqual(
            sorted(head.phone_number_ids.mapped("phone_number")), ["+254712000001", "+254733000002"]
        )
        self.assertEqual(household.name, "Otieno family")
        self.assertEqual(sorted(household.group_membership_ids.mapped("role")), ["dependant", "head"])
        # Processed again, the record proposes nothing more: it is what the registry holds.
        record.with_user(self.registrar).action_reprocess()
        self.assertEqual(Request.search_count([("partner_id", "in", (household | head).ids)]), 3)
