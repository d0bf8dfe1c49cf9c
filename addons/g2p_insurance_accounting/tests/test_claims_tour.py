from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import InsuranceCase


@tagged("post_install", "-at_install")
class TestClaimsTour(InsuranceCase, HttpCase):
    """A claims officer (only that role) records a hospital's claim in the browser, receives and
    approves it; the cover's per-claim cap leaves an excess to the family."""

    def test_claims_officer_records_and_approves_a_claim(self):
        today = fields.Date.context_today(self.officer)
        start = today - timedelta(days=60)
        policy = self._policy(date_start=start, pay=False)
        policy._register_premium_payment(date=start)
        self.start_tour("/odoo", "g2p_claims_tour", login=self.officer.login)
        claim = self.env["g2p.insurance.claim"].sudo().search([("provider_reference", "=", "KEH-TOUR-1")])
        self.assertEqual(len(claim), 1)
        self.assertEqual(claim.create_uid, self.officer)
        self.assertEqual(
            (claim.policy_id, claim.member_id, claim.provider_id, claim.category_id),
            (policy, self.brian, self.kikuyu, self.optical),
        )
        self.assertEqual(claim.date_service, today - timedelta(days=3))
        self.assertEqual(claim.state, "approved")
        self.assertEqual(
            (claim.claimed_amount, claim.approved_amount, claim.excess_amount), (8_000, 5_000, 3_000)
        )
        self.assertEqual((claim.received_by_id, claim.adjudicated_by_id), (self.officer, self.officer))
        accounts = self.product._get_accounts()
        self.assertEqual(claim.sudo().move_ids, claim.receipt_move_id | claim.approval_move_id)
        self.assertMove(
            claim.receipt_move_id,
            today,
            accounts["journal"],
            [
                (accounts["family"], self.family, 8_000, 0),
                (accounts["payable"], self.kikuyu, 0, 8_000),
            ],
        )
        self.assertMove(
            claim.approval_move_id,
            today,
            accounts["journal"],
            [
                (accounts["expense"], self.family, 5_000, 0),
                (accounts["family"], self.family, 0, 5_000),
            ],
        )
        # The family's shared account keeps the excess open until finance collects it.
        family_lines = claim.sudo().move_ids.line_ids.filtered(
            lambda line: line.account_id == accounts["family"]
        )
        self.assertEqual(sum(family_lines.mapped("balance")), 3_000)
