import json
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.g2p_registry.tests.common import RegistryCase


def household(n, size=2):
    """A household of ``size`` members with a national ID each: its head and children."""
    members = [
        {
            "key": "m%s" % i,
            "role": "head" if i == 0 else "child",
            "vals": {
                "given_name": "Member%s" % i,
                "family_name": "Proposal%s" % n,
                "birthdate": "1980-05-0%s" % (i + 1) if i == 0 else "2015-05-0%s" % (i + 1),
            },
            "ids": [{"type": "NID_TEST", "value": "%08d" % (71000000 + n * 10 + i)}],
        }
        for i in range(size)
    ]
    return {"household": {"vals": {"city": "Village %s" % n}}, "members": members}


@tagged("post_install", "-at_install")
class TestIntakeProgram(RegistryCase):
    """Households (or people) an intake source applies are proposed to the source's program as
    draft members, once, and never enrolled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Program = cls.env["g2p.program"]
        cls.household_program = Program.create({"name": "Household Grant", "target_type": "group"})
        cls.individual_program = Program.create({"name": "Disability Grant", "target_type": "individual"})
        (cls.household_program | cls.individual_program).action_activate()
        cls.Source = cls.env["g2p.intake.source"]
        cls.Record = cls.env["g2p.intake.record"]
        cls.Membership = cls.env["g2p.program.membership"]

    def _import(self, source, households, user=None):
        """Stage and process ``households`` ({external id: payload}) as the registrar."""
        records = self.Record._stage(
            source, [{"external_id": key, "payload": json.dumps(data)} for key, data in households.items()]
        )
        counts = records.with_user(user or self.registrar)._process()
        self.assertEqual(counts["imported"], len(households), counts)
        return records

    def _members(self, program, partners):
        return self.Membership.search([("program_id", "=", program.id), ("partner_id", "in", partners.ids)])

    def test_households_are_proposed_as_drafts(self):
        source = self.Source.create({"name": "County survey", "program_id": self.household_program.id})
        records = self._import(source, {"h1": household(1), "h2": household(2, size=3)})
        members = self._members(self.household_program, records.household_id)
        self.assertEqual(members.partner_id, records.household_id, "one proposal per household")
        self.assertEqual(set(members.mapped("state")), {"draft"}, "proposed, never enrolled")
        self.assertFalse(
            self._members(self.household_program, records.individual_ids), "the members are not proposed"
        )
        self.assertEqual(members.create_uid, self.registrar, "who applied the records proposed them")
        for member in members:
            record = records.filtered(lambda r, m=member: r.household_id == m.partner_id)
            self.assertEqual(member.intake_record_id, record)
            self.assertEqual(member.intake_origin, "County survey / %s" % record.display_label)
            self.assertFalse(member.message_ids, "no message per membership")
        note = self.household_program.message_ids[:1]
        self.assertIn("2 registrants proposed for enrolment by County survey", note.body)
        self.assertEqual(note.author_id, self.registrar.partner_id)
        # What a program manager (not a registrar) reads of a proposal.
        manager = new_test_user(self.env, "pm_reader", groups="g2p_program.group_g2p_program_manager")
        view = self.env.ref("g2p_program.view_g2p_program_membership_form").id
        arch = self.Membership.with_user(manager).get_views([(view, "form")])["views"]["form"]["arch"]
        self.assertIn('name="intake_origin"', arch)
        self.assertNotIn('name="intake_record_id"', arch, "staging records are the registrars'")
        self.assertEqual(members.with_user(manager).mapped("intake_origin"), members.mapped("intake_origin"))
        self.assertFalse(self._members(self.individual_program, records.individual_ids))

    def test_individuals_are_proposed_to_a_program_of_individuals(self):
        source = self.Source.create({"name": "Disability survey", "program_id": self.individual_program.id})
        records = self._import(source, {"i1": household(3), "i2": household(4, size=3)})
        self.assertEqual(len(records.individual_ids), 5)
        members = self._members(self.individual_program, records.individual_ids | records.household_id)
        self.assertEqual(members.partner_id, records.individual_ids, "each person, not the households")
        self.assertEqual(set(members.mapped("state")), {"draft"})

    def test_one_create_per_program_for_a_batch(self):
        source = self.Source.create({"name": "Big file", "program_id": self.household_program.id})
        Membership = type(self.Membership)
        calls = []
        original = Membership.create

        def spy(model, vals_list):
            calls.append(len(vals_list))
            return original(model, vals_list)

        with patch.object(Membership, "create", spy):
            records = self._import(source, {"b%s" % n: household(100 + n) for n in range(40)})
        self.assertEqual(calls, [40], "one batched create for the whole batch")
        self.assertEqual(len(self._members(self.household_program, records.household_id)), 40)

    def test_not_proposed_twice_on_reprocess_reimport_or_edit(self):
        source = self.Source.create({"name": "Repeated feed", "program_id": self.household_program.id})
        items = {"r1": household(5), "r2": household(6)}
        records = self._import(source, items)
        members = self._members(self.household_program, records.household_id)
        self.assertEqual(len(members), 2)
        # Re-processed: applied again, nothing new proposed.
        records.with_user(self.registrar).action_reprocess()
        # Re-imported: the same records staged again change nothing.
        staged = [{"external_id": k, "payload": json.dumps(v)} for k, v in items.items()]
        self.assertFalse(self.Record._stage(source, staged))
        # The same households in another source of the same program (another file).
        other = self.Source.create({"name": "Second file", "program_id": self.household_program.id})
        again = self._import(other, {"again-" + k: v for k, v in items.items()})
        self.assertEqual(again.household_id, records.household_id, "matched to the same households")
        # Edited at the source: a new version, applied again.
        edited = household(5)
        edited["household"]["vals"]["city"] = "New Village"
        changed = self.Record._stage(
            source, [{"external_id": "r1", "instance_id": "v2", "payload": json.dumps(edited)}]
        )
        changed.with_user(self.registrar)._process()
        self.assertEqual(changed.state, "imported")
        self.assertEqual(changed.household_id.city, "New Village")
        self.assertEqual(self._members(self.household_program, records.household_id), members)
        self.assertEqual(members.intake_record_id, records, "still the records that proposed them first")

    def test_members_in_any_state_are_left_alone(self):
        source = self.Source.create({"name": "No program yet"})
        records = self._import(source, {"k1": household(7), "k2": household(8), "k3": household(9)})
        self.assertFalse(self._members(self.household_program, records.household_id), "no program")
        first, second, third = records.household_id
        exited = self.Membership.create({"program_id": self.household_program.id, "partner_id": first.id})
        exited.action_exit()
        self.Membership.create(
            {"program_id": self.household_program.id, "partner_id": second.id, "state": "not_eligible"}
        )
        source.program_id = self.household_program
        records.with_user(self.registrar)._process()
        members = self._members(self.household_program, records.household_id)
        self.assertEqual(len(members), 3)
        by_partner = {m.partner_id: m.state for m in members}
        self.assertEqual(by_partner, {first: "exited", second: "not_eligible", third: "draft"})

    def test_disabled_duplicate_and_other_company_registrants_are_not_proposed(self):
        source = self.Source.create({"name": "Mixed"})
        records = self._import(source, {"d1": household(10), "d2": household(11), "d3": household(13)})
        disabled, elsewhere, duplicate = records.household_id
        disabled.write({"registrant_state": "disabled", "disabled_reason": "Moved abroad"})
        elsewhere.company_id = self.env["res.company"].create({"name": "County Office"})
        duplicate.duplicate_of_id = self._household("The original")
        source.program_id = self.household_program
        self.assertFalse(records.with_user(self.registrar)._intake_propose_enrolment())
        self.assertFalse(self._members(self.household_program, records.household_id))
        duplicate.duplicate_of_id = False
        proposed = records.with_user(self.registrar)._intake_propose_enrolment()
        self.assertEqual(proposed.partner_id, duplicate)

    def test_program_of_another_company_or_not_active_is_refused(self):
        other_company = self.env["res.company"].create({"name": "Other Ministry"})
        foreign = self.env["g2p.program"].create({"name": "Foreign Grant", "company_id": other_company.id})
        foreign.action_activate()
        source = self.Source.create({"name": "Checked source"})
        with self.assertRefused(ValidationError, "Foreign Grant: the program belongs to Other Ministry"):
            source.program_id = foreign
        self.assertFalse(source.program_id)
        draft = self.env["g2p.program"].create({"name": "Future Grant"})
        with self.assertRefused(ValidationError, "Future Grant: the program is Draft"):
            self.Source.create({"name": "Too early", "program_id": draft.id})
        # The source moving to another company while it proposes to this company's program.
        source.program_id = self.household_program
        with self.assertRefused(ValidationError, "the program belongs to"):
            source.company_id = other_company
        self.assertEqual(source.company_id, self.env.company)

    def test_a_program_ended_since_gets_no_proposal(self):
        program = self.env["g2p.program"].create({"name": "Short Grant"})
        program.action_activate()
        source = self.Source.create({"name": "Late file", "program_id": program.id})
        program.action_end()
        with self.assertRefused(ValidationError, "Short Grant: the program is Ended"):
            source.write({"program_id": program.id})
        records = self._import(source, {"e1": household(12)})
        self.assertFalse(self._members(program, records.household_id))

    def test_registrars_cannot_make_memberships_themselves(self):
        """Why the proposal runs as superuser: the registrar has no right to create one."""
        partner = self._household("Plain household")
        with self.assertRefused(AccessError, "not allowed to create"):
            self.Membership.with_user(self.registrar).create(
                {"program_id": self.household_program.id, "partner_id": partner.id}
            )
        with self.assertRefused(AccessError, "not allowed to modify"):
            self.Source.with_user(self.registrar).browse(
                self.Source.create({"name": "Admin's source"}).id
            ).program_id = self.household_program

    def test_the_source_form_shows_the_program(self):
        Source = self.Source.with_user(self.g2p_admin)
        fields = Source.fields_get(["program_id"], ["string", "type", "relation", "help"])
        self.assertEqual(fields["program_id"]["string"], "Propose Enrolment In")
        self.assertEqual(fields["program_id"]["relation"], "g2p.program")
        self.assertTrue(fields["program_id"]["help"])
        views = Source.get_views([(self.env.ref("g2p_intake.view_g2p_intake_source_form").id, "form")])
        arch = views["views"]["form"]["arch"]
        self.assertIn('name="program_id"', arch)
        self.assertIn("program_id", views["models"]["g2p.intake.source"]["fields"])
        # The admin picks among active programs of the source's company only.
        source = Source.create({"name": "Admin's file", "program_id": self.household_program.id})
        self.assertEqual(source.program_id, self.household_program)
