from datetime import date

from odoo.tests import tagged

from .common import InsuranceCase


@tagged("post_install", "-at_install")
class TestInsuranceEvents(InsuranceCase):
    """Every insurance entry says which event it records (g2p_account's ``g2p_event``), so finance
    can filter and group them with the payroll entries."""

    def test_every_insurance_entry_has_its_event(self):
        policy = self._policy()  # premium due, premium paid
        maternity = self._claim(
            policy, self.nairobi, "EV-1", self.mary, self.maternity, 123_753, received=date(2020, 7, 10)
        )
        receipt = maternity._receive()
        approval = maternity._approve(date(2020, 7, 12))
        excess = maternity.with_user(self.finance)._collect_excess(date(2020, 7, 14))
        payment = maternity.with_user(self.finance)._pay_provider(date(2020, 7, 15))
        rejected = self._claim(policy, self.gertrude, "EV-2", self.brian, self.inpatient, 1_000)
        rejected_receipt = rejected._receive()
        reversal = rejected._reject("Duplicate of a paid claim", date(2020, 3, 12))
        refund = policy._cancel(date(2020, 12, 1))
        refund_payment = policy._pay_refund(date(2020, 12, 5))

        expected = {
            policy.premium_move_id: "ins_premium",
            receipt: "ins_claim_received",
            approval: "ins_claim_approved",
            excess: "ins_excess",
            payment: "ins_provider_payment",
            rejected_receipt: "ins_claim_received",
            reversal: "ins_claim_rejected",
            refund: "ins_refund",
            refund_payment: "ins_refund_payment",
        }
        for move, event in expected.items():
            self.assertEqual(len(move), 1)
            self.assertEqual(move.sudo().g2p_event, event, move.sudo().ref)
        moves = self.env["account.move"].sudo().search([("g2p_policy_id", "=", policy.id)])
        premium_payments = moves.filtered(lambda m: m.g2p_event == "ins_premium_payment")
        self.assertEqual(len(premium_payments), 1)
        self.assertEqual(premium_payments.journal_id, self.bank_journal)
        self.assertEqual(len(moves), len(expected) + 1, "every entry of the cover is accounted for")
        self.assertFalse(moves.filtered(lambda m: not m.g2p_event), "no insurance entry without event")
        # the journal items carry the event too, for the journal-item filter and group-by
        self.assertEqual(set(excess.sudo().line_ids.mapped("g2p_event")), {"ins_excess"})
        # finance groups the journal items by event (a stored field, as the search view's group-by)
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group([("move_id.g2p_policy_id", "=", policy.id)], ["g2p_event"], ["__count"])
        )
        self.assertEqual({event for event, _count in groups}, {*expected.values(), "ins_premium_payment"})
