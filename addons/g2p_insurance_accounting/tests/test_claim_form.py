from datetime import date

from odoo.tests import Form

from .common import InsuranceCase


def _cells(*values):
    return "".join("<td>%s</td>" % value for value in values)


class TestClaimForm(InsuranceCase):
    """What the claim form tells a claims officer before deciding: the cover's terms for the
    category and what the cover would pay, the same as what approving pays."""

    def _form(self, policy, member, category, amount, service=date(2020, 3, 10)):
        form = Form(self.env["g2p.insurance.claim"].with_user(self.officer))
        form.policy_id = policy
        form.member_id = member
        form.category_id = category
        form.provider_id = self.kikuyu
        form.provider_reference = "FORM-%s-%s" % (category.id, amount)
        form.date_service = service
        form.claimed_amount = amount
        return form

    def test_expected_amounts_match_the_adjudication(self):
        policy = self._policy()
        form = self._form(policy, self.brian, self.optical, 8_000)
        self.assertEqual((form.cap_instance, form.cap_period), (5_000, 0))
        self.assertEqual(form.category_left, "No cap")
        self.assertEqual(form.limit_left, 1_000_000)
        self.assertEqual((form.expected_amount, form.expected_excess), (5_000, 3_000))
        self.assertFalse(form.expected_refusal)
        claim = form.save()
        claim.action_receive()
        self.assertEqual((claim.expected_amount, claim.expected_excess), (5_000, 3_000))
        claim.action_approve()
        self.assertEqual((claim.approved_amount, claim.excess_amount), (5_000, 3_000))
        self.assertEqual((claim.expected_amount, claim.expected_excess), (0, 0), "no estimate once decided")
        # The next maternity claim sees what the period cap leaves after the approved ones.
        first = self._claim(policy, self.nairobi, "MAT-1", self.mary, self.maternity, 70_000)
        first.action_receive()
        first.action_approve()
        form = self._form(policy, self.mary, self.maternity, 50_000)
        self.assertEqual(form.category_left, "$\xa030,000.00")
        self.assertEqual(form.limit_left, 1_000_000 - 5_000 - 70_000)
        self.assertEqual((form.expected_amount, form.expected_excess), (30_000, 20_000))

    def test_refusals_are_shown_before_receiving(self):
        policy = self._policy()
        form = self._form(policy, self.mary, self.dental, 2_000)
        self.assertTrue(form.category_excluded)
        self.assertEqual(form.category_left, "Excluded")
        self.assertEqual(form.expected_amount, 0)
        self.assertEqual(form.expected_refusal, "Dental is excluded from Family Cover.")
        form = self._form(policy, self.mary, self.outpatient, 2_000)
        self.assertFalse(form.category_rule_id, "outpatient is not in the product")
        self.assertEqual(form.category_left, "Not covered")
        self.assertEqual(form.expected_refusal, "Outpatient (general) is not covered by Family Cover.")
        form = self._form(policy, self.mary, self.inpatient, 2_000, service=date(2021, 2, 1))
        self.assertEqual(form.expected_refusal, "The service date is outside the cover period.")

    def test_changing_the_cover_drops_a_member_it_does_not_cover(self):
        policy = self._policy()
        other = self._policy(member_ids=[(6, 0, self.joseph.ids)])
        form = self._form(policy, self.mary, self.inpatient, 2_000)
        form.policy_id = other
        self.assertFalse(form.member_id)

    def test_cover_limits_say_no_cap_where_there_is_none(self):
        policy = self._policy()
        summary = str(policy.limit_summary)
        self.assertIn(_cells("Optical", "No cap", "$\xa05,000.00", "—", "$\xa00.00", "No cap"), summary)
        self.assertIn("<td>Maternity</td><td>$\xa0100,000.00</td><td>No cap</td>", summary)
        self.assertIn("<td>Dental</td><td>Excluded</td>", summary)

    def test_cover_limits_per_member_are_labelled_with_the_member(self):
        product = self._product(code="MEM", limit_type="member", total_limit=50_000)
        policy = self._policy(product=product)
        self.assertGreater(len(policy.member_ids), 1)
        claim = self._claim(policy, self.kikuyu, "MEM-1", self.brian, self.maternity, 30_000)
        claim._receive()
        claim.action_approve()
        summary = str(policy.limit_summary)
        self.assertIn("<th>Used this Period</th>", summary)
        for member in policy.member_ids:
            used, left = ("30,000.00", "20,000.00") if member == self.brian else ("0.00", "50,000.00")
            total_row = _cells(
                member.name, "Total", "$\xa050,000.00", "—", "—", "$\xa0" + used, "$\xa0" + left
            )
            self.assertIn(total_row, summary)
        maternity = _cells(self.brian.name, "Maternity", "$\xa0100,000.00", "No cap", "—", "$\xa030,000.00")
        self.assertIn(maternity, summary)
        self.assertEqual(policy.limit_type, "member", "the form hides the family pair for such covers")

    def test_covers_are_found_by_holder_or_member(self):
        policy = self._policy()
        Policy = self.env["g2p.insurance.policy"].with_user(self.officer)
        self.assertIn(policy, Policy.search([("display_name", "ilike", "Kinoti Family")]))
        self.assertEqual(Policy.name_search("Faith Kinoti")[0][0], policy.id)
        self.assertEqual(policy.display_name, "%s · Kinoti Family" % policy.name)
