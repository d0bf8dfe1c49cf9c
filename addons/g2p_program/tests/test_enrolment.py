from odoo.exceptions import UserError

from .common import ProgramCase


class TestEnrolment(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.h1 = cls._family("H1", [30, 3])
        cls.h2 = cls._family("H2", [35, 8, 12])
        cls.h3 = cls._family("H3", [40])
        cls.ours = cls.h1 | cls.h2 | cls.h3
        cls.program = cls._program()
        cls.rule = cls.env["g2p.program.eligibility.rule"].create(
            {"program_id": cls.program.id, "name": "children", "domain": "[('g2p_child_count', '>=', 1)]"}
        )
        cls.program.action_activate()

    def _state(self, partner):
        return (
            self.env["g2p.program.membership"]
            .search([("program_id", "=", self.program.id), ("partner_id", "=", partner.id)])
            .state
        )

    def test_draft_program_cannot_enrol(self):
        program = self._program()
        with self.assertRefused(UserError, "needs an active program"):
            program._enrol_eligible()
        self.assertFalse(program.membership_ids)

    def test_enrol_is_idempotent(self):
        first = self.program.with_user(self.manager)._enrol_eligible()
        members = self._members(self.program)
        self.assertEqual(first, len(members))
        self.assertEqual(members.partner_id & self.ours, self.h1 | self.h2)
        self.assertTrue(all(m.enrolment_date == self.today for m in members))
        self.assertEqual(self.program._enrol_eligible(), 0, "re-enrolment adds nobody")
        self.assertEqual(self._members(self.program), members)
        # a new eligible household is added on the next run, alone
        h4 = self._family("H4", [25, 1])
        self.assertEqual(self.program._enrol_eligible(), 1)
        self.assertEqual(self._state(h4), "enrolled")

    def test_reverification_marks_members(self):
        self.program._enrol_eligible()
        # h1's child leaves; h2 becomes a confirmed duplicate of h1
        self.h1.group_membership_ids.filtered(lambda m: m.role == "child").end_date = self.today
        self.env["res.partner"].browse(self.h2.id).sudo().duplicate_of_id = self.h3
        changed = self.program._verify_eligibility()
        self.assertGreaterEqual(changed, 2)
        m1 = self.program.membership_ids.filtered(lambda m: m.partner_id == self.h1)
        m2 = self.program.membership_ids.filtered(lambda m: m.partner_id == self.h2)
        self.assertEqual(
            (m1.state, m1.state_reason), ("not_eligible", "No longer meets the eligibility rules.")
        )
        self.assertEqual(m2.state, "duplicate")
        self.assertEqual(m1.exit_date, self.today)
        # a duplicate is not enrolled again; a member who qualifies again comes back
        self.h1.group_membership_ids.filtered(lambda m: m.role == "child").end_date = False
        self.program._enrol_eligible()
        self.assertEqual(self._state(self.h1), "enrolled")
        self.assertFalse(m1.state_reason)
        self.assertEqual(self._state(self.h2), "duplicate")

    def test_disabled_registrant_marked_not_eligible(self):
        self.program._enrol_eligible()
        self.h1.sudo()._disable("deceased head")
        self.program._verify_eligibility()
        member = self.program.membership_ids.filtered(lambda m: m.partner_id == self.h1)
        self.assertEqual(member.state, "not_eligible")
        self.assertEqual(member.state_reason, "The registrant is no longer active in the registry.")
        with self.assertRefused(UserError, "not active"):
            member.action_enrol()
        self.assertEqual(member.state, "not_eligible")

    def test_membership_state_guards(self):
        self.program._enrol_eligible()
        member = self.program.membership_ids.filtered(lambda m: m.partner_id == self.h2)
        member.action_pause()
        self.assertEqual(member.state, "paused")
        member.action_pause()  # repeating is a no-op
        member.action_exit()
        self.assertEqual(member.state, "exited")
        with self.assertRefused(UserError, "cannot become Paused"):
            member.action_pause()
        with self.assertRefused(UserError, "cannot become Enrolled"):
            member.action_resume()
        self.assertEqual(member.state, "exited")
        self.assertEqual(self.program._enrol_eligible(), 0, "an exited member is not re-enrolled")

    def test_manual_membership_of_inactive_refused(self):
        draft = self._family("DraftHH", [30, 2], approve=False)
        with self.assertRefused(UserError, "not active"):
            self.env["g2p.program.membership"].create(
                {"program_id": self.program.id, "partner_id": draft.id, "state": "enrolled"}
            )

    def test_payment_account_links(self):
        Account = self.env["g2p.payment.account"]
        head1 = self.h1.head_id
        head_wallet = Account.create(
            {
                "partner_id": head1.id,
                "account_type": "mobile_wallet",
                "provider_id": self.mobile_psp.id,
                "msisdn": "+254712345678",
            }
        )
        own_cash = Account.create(
            {
                "partner_id": self.h2.id,
                "account_type": "cash",
                "provider_id": self.cash_psp.id,
                "pay_point_id": self.pay_point.id,
            }
        )
        Account.create(
            {
                "partner_id": self.h2.head_id.id,
                "account_type": "mobile_wallet",
                "provider_id": self.mobile_psp.id,
                "msisdn": "+254712345679",
            }
        )
        self.program._enrol_eligible()
        m1 = self.program.membership_ids.filtered(lambda m: m.partner_id == self.h1)
        m2 = self.program.membership_ids.filtered(lambda m: m.partner_id == self.h2)
        self.assertEqual(
            (m1.payment_account_id, m1.recipient_id, m1.psp_id), (head_wallet, head1, self.mobile_psp)
        )
        self.assertEqual(
            (m2.payment_account_id, m2.recipient_id, m2.psp_id, m2.pay_point_id),
            (own_cash, self.h2, self.cash_psp, self.pay_point),
            "a household's own account wins over its head's",
        )
        # only allowed PSPs: refreshing moves h2 to its head's wallet, h1 keeps its wallet
        self.program.psp_ids = self.mobile_psp
        self.assertEqual(self.program._refresh_payment_accounts(), 1)
        self.assertEqual(m2.payment_account_id.provider_id, self.mobile_psp)
        self.assertEqual(m2.recipient_id, self.h2.head_id)
        self.assertFalse(m2.pay_point_id)

    def test_enrolment_is_set_based(self):
        """The number of queries does not grow with the number of registrants enrolled."""

        def queries(program):
            program.action_activate()
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            enrolled = program._enrol_eligible()
            return enrolled, self.env.cr.sql_log_count - before

        for name in ("Bulk A", "Bulk B", "Bulk C", "Bulk D"):
            self._family(name, [30, 2])
        one = self._program(name="One")
        self._rule(one, [("name", "=", "Bulk A")])
        many = self._program(name="Many")
        self._rule(many, [("name", "like", "Bulk %")])
        queries(self._program(name="Warm-up"))
        enrolled_one, queries_one = queries(one)
        enrolled_many, queries_many = queries(many)
        self.assertEqual((enrolled_one, enrolled_many), (1, 4))
        self.assertEqual(queries_one, queries_many)
