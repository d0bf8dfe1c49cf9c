"""A program that requires a verified ID enrols only registrants whose ID (for a household, its
head's) the civil registry verified; other states, other types and other members do not count."""

from odoo.addons.g2p_program.tests.common import ProgramCase


class TestProgramVerification(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.verified_family = cls._family("Verified", [40, 5])
        cls.mismatch_family = cls._family("Mismatch", [41, 6])
        cls.member_verified_family = cls._family("MemberOnly", [42, 30])
        cls.passport_family = cls._family("Passport", [43])
        cls.ours = (
            cls.verified_family | cls.mismatch_family | cls.member_verified_family | cls.passport_family
        )
        number = iter(range(30000001, 30000099))

        def give_id(person, state, id_type=None):
            cls.env["g2p.registrant.id"].create(
                {
                    "partner_id": person.id,
                    "id_type_id": (id_type or cls.national_id).id,
                    "value": (id_type and "P%s" % next(number)) or str(next(number)),
                    "verification_state": state,
                }
            )

        give_id(cls.verified_family.head_id, "verified")
        give_id(cls.mismatch_family.head_id, "mismatch")
        spouse = (
            cls.member_verified_family.group_membership_ids.individual_id - cls.member_verified_family.head_id
        )
        give_id(spouse, "verified")
        give_id(cls.passport_family.head_id, "verified", cls.passport)

    def _enrolled(self, **vals):
        program = self._program(**vals)
        program.action_activate()
        program.with_user(self.manager)._enrol_eligible()
        return self._members(program).partner_id & self.ours

    def test_without_the_requirement_everyone_is_eligible(self):
        self.assertEqual(self._enrolled(), self.ours)

    def test_households_by_their_heads_verified_id(self):
        self.assertEqual(
            self._enrolled(require_verified_id=True), self.verified_family | self.passport_family
        )

    def test_only_the_chosen_id_types_count(self):
        enrolled = self._enrolled(
            require_verified_id=True, verified_id_type_ids=[(6, 0, self.national_id.ids)]
        )
        self.assertEqual(enrolled, self.verified_family)

    def test_individual_programs_by_their_own_id(self):
        program = self._program(target_type="individual", require_verified_id=True)
        program.action_activate()
        program.with_user(self.manager)._enrol_eligible()
        people = self.ours.group_membership_ids.individual_id
        enrolled = self._members(program).partner_id & people
        verified = (
            self.env["g2p.registrant.id"]
            .search([("partner_id", "in", people.ids), ("verification_state", "=", "verified")])
            .partner_id
        )
        self.assertEqual(enrolled, verified)
        self.assertEqual(len(verified), 3)
