"""A merged duplicate's program memberships go to the registrant kept, or become Duplicate where
the kept one is already a member."""

from .common import ProgramCase


class TestDuplicateMergePrograms(ProgramCase):
    def test_program_memberships_follow_the_merge(self):
        kept = self._family("Kept", [40])
        duplicate = self._family("Dup", [41])
        both = self._program(name="Both")
        only_duplicate = self._program(name="Only the duplicate")
        Membership = self.env["g2p.program.membership"]
        Membership.create(
            [
                {"program_id": both.id, "partner_id": kept.id, "company_id": self.env.company.id},
                {"program_id": both.id, "partner_id": duplicate.id, "company_id": self.env.company.id},
                {
                    "program_id": only_duplicate.id,
                    "partner_id": duplicate.id,
                    "company_id": self.env.company.id,
                },
            ]
        )
        duplicate.with_user(self.validator)._merge_into(kept)
        self.assertEqual(Membership.search([("partner_id", "=", kept.id)]).program_id, both | only_duplicate)
        left = Membership.search([("partner_id", "=", duplicate.id)])
        self.assertEqual((left.program_id, left.state), (both, "duplicate"))
        self.assertEqual(duplicate.registrant_state, "disabled")
