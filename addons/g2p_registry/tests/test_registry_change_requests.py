"""Changes to an approved registrant's key data are proposed as change requests and applied only
when a registry validator who did not propose them approves them (maker-checker)."""

from datetime import date

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .common import RegistryCase


class TestChangeRequests(RegistryCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.validator_2 = new_test_user(
            cls.env, "validator_2", groups="g2p_registry.group_g2p_registry_validator"
        )
        cls.person = cls._individual(
            "Achieng", "Otieno", birthdate=date(1990, 3, 14), gender="female", registrant_state="active"
        )
        cls.person_id = cls.env["g2p.registrant.id"].create(
            {"partner_id": cls.person.id, "id_type_id": cls.national_id.id, "value": "20000001"}
        )
        cls.phone = cls.env["g2p.phone.number"].create(
            {"partner_id": cls.person.id, "phone_number": "+254712000001"}
        )
        cls.account = cls.env["g2p.payment.account"].create(
            {
                "partner_id": cls.person.id,
                "account_type": "mobile_wallet",
                "provider_id": cls.mobile_psp.id,
                "msisdn": "+254712000001",
            }
        )
        Request = cls.env["g2p.change.request"]
        cls.Request = Request

    def _requests(self, partner=None):
        return self.Request.search([("partner_id", "=", (partner or self.person).id)])

    def _propose(self, vals, user=None, partner=None):
        (partner or self.person).with_user(user or self.registrar).write(vals)
        return self._requests(partner)[:1]

    # ------------------------------------------------------------------ proposing

    def test_saving_key_data_of_an_approved_registrant_proposes_it(self):
        request = self._propose({"given_name": "Akinyi", "birthdate": "1990-03-15", "city": "Kisumu"})

        self.assertEqual(self.person.given_name, "Achieng", "the key data waits for a validator")
        self.assertEqual(self.person.birthdate, date(1990, 3, 14))
        self.assertEqual(self.person.city, "Kisumu", "the rest of the form is saved")
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.proposed_by_id, self.registrar)
        self.assertRegex(request.name, r"^CR/\d{4}/\d{5}$")
        lines = {line.label: (line.old_value, line.new_value) for line in request.line_ids}
        self.assertEqual(lines["Given Name"], ("Achieng", "Akinyi"))
        self.assertEqual(lines["Date of Birth"][0], "03/14/1990")
        self.assertEqual(lines["Date of Birth"][1], "03/15/1990")
        self.assertEqual(self.person.pending_change_request_count, 1)
        self.assertIn(request.name, self.person.message_ids[0].body)

    def test_the_same_change_saved_again_is_proposed_once(self):
        first = self._propose({"given_name": "Akinyi"})
        self.person.with_user(self.validator).write({"given_name": "Akinyi"})
        self.assertEqual(self._requests(), first)
        self.person.with_user(self.registrar).write({"given_name": "Adhiambo"})
        self.assertEqual(len(self._requests()), 2, "another change is another request")

    def test_draft_registrant_is_edited_directly(self):
        draft = self._individual("Baraka", "Mwangi")
        draft.with_user(self.registrar).write(
            {
                "given_name": "Barack",
                "reg_id_ids": [Command.create({"id_type_id": self.national_id.id, "value": "20000099"})],
            }
        )
        self.assertEqual(draft.name, "Barack Mwangi")
        self.assertEqual(draft.reg_id_ids.value, "20000099")
        self.assertFalse(self._requests(draft))

    def test_unchanged_values_propose_nothing(self):
        self.person.with_user(self.registrar).write({"given_name": "Achieng", "gender": "female"})
        self.assertFalse(self._requests())

    def test_invalid_value_refused_when_proposed(self):
        with self.assertRefused(ValidationError, "eight digits"):
            self._propose({"reg_id_ids": [Command.update(self.person_id.id, {"value": "12AB"})]})
        self.assertFalse(self._requests(), "nothing is stored")
        self.assertEqual(self.person_id.value, "20000001")

    def test_request_created_over_rpc_cannot_choose_its_state_or_author(self):
        request = self.Request.with_user(self.registrar).create(
            {
                "partner_id": self.person.id,
                "changes": {"family_name": "Odhiambo"},
                "state": "applied",
                "proposed_by_id": self.validator.id,
            }
        )
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.proposed_by_id, self.registrar)
        self.assertEqual(self.person.family_name, "Otieno")
        with self.assertRefused(AccessError, "buttons"):
            request.with_user(self.registrar).write({"state": "applied"})
        with self.assertRefused(UserError, "history"):
            request.with_user(self.validator).unlink()
        with self.assertRefused(ValidationError, "changes nothing"):
            self.Request.with_user(self.registrar).create(
                {"partner_id": self.person.id, "changes": {"city": "Kisumu"}}
            )

    # ------------------------------------------------------------------ deciding

    def test_maker_checker_and_history(self):
        request = self._propose({"family_name": "Odhiambo"}, user=self.validator)

        with self.assertRefused(AccessError, "Only registry validators"):
            request.with_user(self.registrar).action_approve()
        with self.assertRefused(AccessError, "you proposed this change"):
            request.with_user(self.validator).action_approve()
        self.assertFalse(request.with_user(self.validator).can_decide)
        self.assertTrue(request.with_user(self.validator_2).can_decide)

        result = request.with_user(self.validator_2).action_approve()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(request.state, "applied")
        self.assertEqual(request.decided_by_id, self.validator_2)
        self.assertEqual(self.person.family_name, "Odhiambo")
        self.assertEqual(self.person.name, "Achieng Odhiambo")
        history = self.person.message_ids.filtered(lambda m: "applied" in (m.body or ""))[:1]
        self.assertTrue(history, "the registrant's history records the applied change")
        for text in ("validator", "validator_2", "Otieno", "Odhiambo", request.name):
            self.assertIn(text, history.body)
        self.env.cr.precommit.run()  # tracking is written when the transaction commits
        tracked = self.person.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "family_name"
        )
        self.assertEqual((tracked.old_value_char, tracked.new_value_char), ("Otieno", "Odhiambo"))
        with self.assertRefused(UserError, "no longer awaiting"):
            request.with_user(self.validator_2).action_approve()

    def test_a_selection_is_approved_at_once_but_not_ones_own(self):
        first = self._propose({"gender": "male"})
        other = self._individual("Juma", "Owino", registrant_state="active")
        second = self._propose({"given_name": "Jumaa"}, partner=other)
        own = self._propose({"family_name": "Ouma"}, user=self.validator, partner=other)
        with self.assertRefused(AccessError, own.name):
            (first | second | own).with_user(self.validator).action_approve()
        self.assertEqual((first | second).mapped("state"), ["pending", "pending"], "all or nothing")
        result = (first | second).with_user(self.validator).action_approve()
        self.assertIn("2 change requests are applied", result["params"]["message"])
        self.assertEqual((self.person.gender, other.given_name), ("male", "Jumaa"))

    def test_rejection_keeps_the_reason_and_the_data(self):
        request = self._propose({"gender": "male"})
        Wizard = self.env["g2p.change.request.reject.wizard"].with_user(self.validator)
        with self.assertRefused(UserError, "Give the reason"):
            Wizard.create({"request_ids": [Command.set(request.ids)], "reason": "  "}).action_reject()
        wizard = Wizard.create({"request_ids": [Command.set(request.ids)], "reason": "  No document shown  "})
        wizard.action_reject()
        self.assertEqual(request.state, "rejected")
        self.assertEqual(request.rejection_reason, "No document shown")
        self.assertEqual(request.decided_by_id, self.validator)
        self.assertEqual(self.person.gender, "female")
        self.assertIn("No document shown", self.person.message_ids[0].body)

    def test_proposer_withdraws_others_cannot(self):
        request = self._propose({"gender": "male"})
        other_registrar = new_test_user(self.env, "registrar_2", groups="g2p_registry.group_g2p_registrar")
        for other in (other_registrar, self.validator):
            with self.assertRefused(AccessError, "Only the proposer"):
                request.with_user(other).action_cancel()
        request.with_user(self.registrar).action_cancel()
        self.assertEqual(request.state, "cancelled")
        self.assertEqual(self.person.gender, "female")

    def test_ids_phones_and_accounts_are_applied_together(self):
        request = self._propose(
            {
                "reg_id_ids": [Command.create({"id_type_id": self.passport.id, "value": "ak 123456"})],
                "phone_number_ids": [Command.update(self.phone.id, {"phone_number": "0722 000 002"})],
                "payment_account_ids": [
                    Command.delete(self.account.id),
                    Command.create(
                        {
                            "account_type": "bank",
                            "provider_id": self.bank_psp.id,
                            "account_number": "0123456789",
                        }
                    ),
                ],
            }
        )
        described = [
            (line.section, line.label, line.old_value or "", line.new_value or "")
            for line in request.line_ids
        ]
        self.assertIn(("Identity Documents", "Added", "", "Passport, AK123456"), described)
        self.assertIn(
            ("Phone Numbers", "Phone Number (+254712000001)", "+254712000001", "+254722000002"), described
        )
        self.assertIn("Removed", [line.label for line in request.line_ids])
        self.assertEqual(self.person.phone_number_ids.phone_number, "+254712000001", "nothing applied yet")

        request.with_user(self.validator).action_approve()
        self.assertEqual(sorted(self.person.reg_id_ids.mapped("value")), ["20000001", "AK123456"])
        self.assertEqual(self.person.phone_number_ids.phone_number, "+254722000002")
        self.assertFalse(self.account.exists())
        self.assertEqual(self.person.payment_account_ids.account_number, "0123456789")
        self.assertTrue(self.person.payment_account_ids.is_default)

    def test_setting_the_default_account_is_proposed(self):
        second = self.env["g2p.payment.account"].create(
            {
                "partner_id": self.person.id,
                "account_type": "bank",
                "provider_id": self.bank_psp.id,
                "account_number": "555",
            }
        )
        second.with_user(self.registrar).action_set_default()
        self.assertTrue(self.account.is_default, "the money goes where it went until approved")
        self._requests().with_user(self.validator).action_approve()
        self.assertTrue(second.is_default)
        self.assertFalse(self.account.is_default)

    def test_an_id_used_by_another_registrant_is_refused_naming_them(self):
        other = self._individual("Otieno", "Owino", registrant_state="active")
        self.env["g2p.registrant.id"].create(
            {"partner_id": other.id, "id_type_id": self.national_id.id, "value": "20000002"}
        )
        with self.assertRefused(ValidationError, "Otieno Owino \\(IND-"):
            self._propose({"reg_id_ids": [Command.update(self.person_id.id, {"value": "2000-0002"})]})
        self.assertFalse(self._requests())

        # Proposed while free, taken before the approval: refused at approval too.
        request = self._propose({"reg_id_ids": [Command.update(self.person_id.id, {"value": "20000003"})]})
        self.env["g2p.registrant.id"].create(
            {"partner_id": other.id, "id_type_id": self.national_id.id, "value": "20000003"}
        )
        with self.assertRefused(ValidationError, "Otieno Owino"):
            request.with_user(self.validator).action_approve()
        self.assertEqual(request.state, "pending")
        self.assertEqual(self.person_id.value, "20000001")

    def test_a_value_changed_since_the_proposal_is_not_overwritten(self):
        first = self._propose({"given_name": "Akinyi"})
        second = self.Request.with_user(self.registrar).create(
            {"partner_id": self.person.id, "changes": {"given_name": "Adhiambo"}}
        )
        first.with_user(self.validator).action_approve()
        with self.assertRefused(UserError, "changed since the request was proposed"):
            second.with_user(self.validator).action_approve()
        self.assertEqual(self.person.given_name, "Akinyi")
        self.assertEqual(second.state, "pending")

    def test_records_of_an_approved_registrant_are_not_changed_directly(self):
        for user in (self.registrar, self.validator):
            with self.assertRefused(UserError, "change request"):
                self.person_id.with_user(user).write({"value": "20000055"})
            with self.assertRefused(UserError, "change request"):
                self.env["g2p.phone.number"].with_user(user).create(
                    {"partner_id": self.person.id, "phone_number": "+254712000077"}
                )
            with self.assertRefused(UserError, "change request"):
                self.account.with_user(user).write({"msisdn": "+254712000078"})
        with self.assertRefused(UserError, "change request"):
            self.person_id.with_user(self.validator).unlink()
        # What is not key data is changed directly.
        self.phone.with_user(self.registrar).write({"disabled": True})
        self.assertTrue(self.phone.disabled)

    def test_household_members_and_head_are_proposed(self):
        newcomer = self._individual("Juma", "Otieno")
        household = self._household("Otieno Household", [(self.person, "head")], registrant_state="active")
        household.with_user(self.registrar).write(
            {"group_membership_ids": [Command.create({"individual_id": newcomer.id, "role": "child"})]}
        )
        self.assertEqual(household.household_size, 1)
        request = self._requests(household)
        self.assertEqual(request.line_ids.mapped("new_value"), ["Juma Otieno, Child"])

        # From the person's side, joining an approved household is proposed too, for the person.
        other_household = self._household("Other Household", registrant_state="active")
        newcomer.with_user(self.registrar).write(
            {"individual_membership_ids": [Command.create({"group_id": other_household.id, "role": "head"})]}
        )
        self.assertFalse(newcomer.individual_membership_ids)
        self.assertEqual(self._requests(newcomer).state, "pending")
        with self.assertRefused(UserError, "change request"):
            self.env["g2p.group.membership"].with_user(self.registrar).create(
                {"group_id": household.id, "individual_id": newcomer.id, "role": "child"}
            )

        request.with_user(self.validator).action_approve()
        self.assertEqual(household.household_size, 2)
        head = household.group_membership_ids.filtered(lambda m: m.role == "head")
        household.with_user(self.registrar).write(
            {
                "group_membership_ids": [
                    Command.update(head.id, {"end_date": fields.Date.to_string(fields.Date.today())})
                ]
            }
        )
        self.assertEqual(household.head_id, self.person, "the head stays until approved")
        self._requests(household)[:1].with_user(self.validator_2).action_approve()
        self.assertFalse(household.head_id)

    def test_household_name_is_key_data(self):
        household = self._household("Otieno Household", registrant_state="active")
        household.with_user(self.registrar).write({"name": "Otieno-Owino Household"})
        self.assertEqual(household.name, "Otieno Household")
        request = self._requests(household)
        self.assertEqual(request.line_ids.mapped("new_value"), ["Otieno-Owino Household"])
