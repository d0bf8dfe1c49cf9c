from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import InsuranceCase


@tagged("post_install", "-at_install")
class TestInsuranceFinanceTour(InsuranceCase, HttpCase):
    """An insurance finance officer (only that role) opens a household's cover in the browser,
    activates it and registers the premium received."""

    def test_finance_officer_opens_a_cover_and_collects_its_premium(self):
        self.start_tour("/odoo", "g2p_insurance_finance_tour", login=self.finance.login)
        policy = self.env["g2p.insurance.policy"].sudo().search([("create_uid", "=", self.finance.id)])
        self.assertEqual(len(policy), 1)
        today = fields.Date.context_today(self.finance)
        self.assertEqual((policy.holder_id, policy.product_id), (self.family, self.product))
        self.assertEqual(policy.date_start, today - timedelta(days=10))
        self.assertEqual(policy.member_ids, self.family.sudo().group_membership_ids.individual_id)
        self.assertEqual((policy.state, policy.premium_paid, policy.premium_residual), ("active", True, 0))
        accounts = self.product._get_accounts()
        self.assertMove(
            policy.premium_move_id,
            policy.date_start,
            accounts["journal"],
            [(accounts["receivable"], self.family, 30_000, 0), (accounts["income"], self.family, 0, 30_000)],
        )
        receivable = policy.sudo().move_ids.line_ids.filtered(
            lambda line: line.account_id == accounts["receivable"]
        )
        self.assertEqual(len(receivable), 2, "the premium and its payment")
        self.assertTrue(all(receivable.mapped("reconciled")))
        payment = policy.sudo().move_ids - policy.premium_move_id
        self.assertEqual(payment.date, today)
        self.assertEqual(sum(payment.line_ids.mapped("debit")), 30_000)
