"""Erasure and payment history: a registrant paid in a payroll is refused with the payments named;
one only in a draft payroll is erased and leaves the payroll."""

from .common import PayrollCase


class TestPrivacyErasure(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.paid = cls._paid_household("ERP", [34, 6], number="+254722000301")
        cls.drafted = cls._paid_household("ERD", [41, 9], number="+254722000302")
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.cycle = cls._approved_cycle()
        cls._fund(10 * 1500)

    def _execute(self, household):
        request = self.env["g2p.erasure.request"].create(
            {"partner_id": household.id, "reason": "Asked in writing"}
        )
        request.with_user(self.env.ref("base.user_admin")).action_execute()
        return request

    def test_paid_refused_with_the_payments_named(self):
        payroll = self._payroll(self.cycle)
        self._approve(payroll)
        line = payroll.line_ids.filtered(lambda line: line.beneficiary_id == self.paid)
        self.assertEqual(line.state, "approved")
        request = self._execute(self.paid)
        self.assertEqual(request.state, "refused")
        self.assertIn("1 payments (%s: 1)" % self.cycle.display_name, request.refusal_reason)
        self.assertIn("must be kept by law", request.refusal_reason)
        self.assertEqual(self.paid.name, "ERP")
        self.assertTrue(self.paid.active)
        self.assertTrue(self.paid.payment_account_ids)
        # The recipient (the head) has the same history through the household's payment.
        head = self.paid.head_id
        line.recipient_id = head
        self.assertIn("1 payments", "; ".join(head._g2p_erasure_blockers()))

    def test_draft_payroll_only_is_not_history(self):
        payroll = self._payroll(self.cycle)
        self.assertEqual(payroll.state, "draft")
        self.assertIn(self.drafted, payroll.line_ids.beneficiary_id)
        self.assertFalse(self.drafted._g2p_erasure_blockers())
        request = self._execute(self.drafted)
        self.assertEqual(request.state, "done", request.refusal_reason)
        self.assertIn("1 draft payroll lines", request.erased_summary)
        self.assertNotIn(self.drafted, payroll.line_ids.beneficiary_id)
        self.assertFalse(self.drafted.active)
        self.assertEqual(self.drafted.name, "Erased registrant #%s" % self.drafted.id)
