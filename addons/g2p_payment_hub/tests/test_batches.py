from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

from .common import PaymentHubCase


class TestPaymentBatches(PaymentHubCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._base_connectors(batch_max_rows=4)

    def test_create_batches_split_per_psp_and_limit(self):
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        batches = payroll.batch_ids
        mobile = batches.filtered(lambda b: b.connector_id == self.mobile_connector)
        self.assertEqual(sorted(mobile.mapped("total_count")), [1, 4, 4])
        self.assertEqual(batches.filtered(lambda b: b.connector_id == self.bank_connector).total_count, 3)
        self.assertEqual(set(batches.mapped("state")), {"queued"})
        self.assertEqual(len(batches.attempt_ids), 12)
        self.assertEqual(len(set(batches.attempt_ids.mapped("request_id"))), 12)
        types = set(batches.attempt_ids.mapped("payee_identifier_type"))
        self.assertEqual(types, {"msisdn", "accountNumber"})
        self.assertEqual(sum(batches.mapped("total_amount")), sum(payroll.line_ids.mapped("amount")))
        # Nothing left to batch: every approved line has a live attempt.
        with self.assertRaises(UserError):
            payroll.with_user(self.finance).action_create_batches()

    def test_psp_without_connector(self):
        self.bank_connector.state = "disabled"
        payroll = self._approved_payroll()
        with self.assertRaisesRegex(UserError, "no enabled payment connector"):
            payroll.with_user(self.finance).action_create_batches()

    def test_transitions(self):
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        batch = payroll.batch_ids[0]
        batch._set_queued()  # repeat: no-op
        with self.assertRaises(UserError):
            batch._set_completed()
        batch._set_cancelled()
        self.assertEqual(set(batch.attempt_ids.mapped("state")), {"cancelled"})
        self.assertEqual(batch.total_count, 0)
        # The lines are free again: a new batch takes them with new attempts.
        with self._fake_payloads():
            new = payroll._create_payment_batches()
        self.assertEqual(new.attempt_ids.payroll_line_id, batch.attempt_ids.payroll_line_id)

    def test_disabled_connector_sends_nothing(self):
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        self.mobile_connector.state = "disabled"
        batches = payroll.batch_ids.filtered(lambda b: b.connector_id == self.mobile_connector)
        self.assertFalse(batches._send_batches())
        self.assertEqual(set(batches.mapped("state")), {"queued"})
        self.assertIn("disabled", batches[0].last_error)

    def test_repeated_and_illegal_transitions(self):
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        batch = payroll.batch_ids[0]
        Attempt = self.env["g2p.payment.attempt"]
        self.assertEqual(
            Attempt.search([("batch_id", "=", batch.id), ("status", "=", "queued")]), batch.attempt_ids
        )
        batch._set_sending()
        batch._set_sent("PHEE-1")
        self.assertEqual(set(batch.attempt_ids.mapped("status")), {"sent"})
        self.assertEqual(
            Attempt.search([("batch_id", "=", batch.id), ("status", "=", "sent")]), batch.attempt_ids
        )
        self.assertFalse(Attempt.search([("batch_id", "=", batch.id), ("status", "=", "queued")]))
        self.assertEqual(set(batch.attempt_ids.payroll_line_id.mapped("state")), {"sent"})
        self.assertFalse(batch._set_sent("PHEE-1"))  # a repeat changes nothing
        with self.assertRaises(UserError):
            batch._set_cancelled()  # sent batches cannot be cancelled
        with self.assertRaises(UserError):
            batch._set_failed("late refusal")
        self.assertEqual(batch.external_id, "PHEE-1")

    def test_results_apply_once_and_errors_are_logged_on_their_batch(self):
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        batch = payroll.batch_ids.filtered(lambda b: b.total_count == 4)[0]
        batch._set_sending()
        batch._set_sent("EXT-1")
        first, second, third, fourth = batch.attempt_ids
        outcomes = [
            {"request_id": first.request_id, "status": "paid", "psp_reference": "TX1"},
            {"request_id": second.request_id, "status": "failed", "reason_code": "ACCOUNT_CLOSED"},
            {"request_id": third.request_id, "status": "pending"},
            {"request_id": fourth.request_id, "status": "paid", "date": "2999-01-01"},
            {"request_id": "00000000-0000-4000-8000-000000000000", "status": "paid"},
        ]
        summary = batch._apply_results(batch._results_from_outcomes(outcomes))
        self.assertEqual((summary["paid"], summary["failed"]), (1, 1))
        self.assertEqual(first.payroll_line_id.state, "paid")
        self.assertEqual(first.payroll_line_id.psp_reference, "TX1")
        self.assertEqual(second.payroll_line_id.failure_reason_id.code, "ACCOUNT_CLOSED")
        self.assertEqual(batch.state, "partially_completed")
        self.assertEqual((batch.paid_count, batch.failed_count, batch.pending_count), (1, 1, 2))
        errors = batch.log_ids.filtered(lambda log: log.kind == "error")
        self.assertEqual(len(errors), 2)  # the unknown request id, the future date
        self.assertIn("future", " ".join(errors.mapped("body")))
        # The same outcomes again change nothing.
        again = batch._apply_results(batch._results_from_outcomes(outcomes[:2]))
        self.assertEqual((again["paid"], again["failed"]), (0, 0))
        self.assertBalanced(payroll.move_ids)

    def test_processor_dates_that_cannot_be_posted_become_today(self):
        """A completion date of tomorrow (clocks differ), before the batch was sent (a placeholder)
        or in a locked period (learnt after closing) must not hold the outcome back or date it
        implausibly: it is paid today. An open date since sending is kept."""
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        batch = payroll.batch_ids.filtered(lambda b: b.total_count >= 4)[0]
        batch._set_sending()
        batch._set_sent("PHEE-2")
        today = fields.Date.context_today(batch)
        batch.sent_date = fields.Datetime.now() - timedelta(days=30)
        self.company.sudo().fiscalyear_lock_date = today - timedelta(days=10)
        days = {
            "tomorrow": today + timedelta(days=1),
            "before sending": today - timedelta(days=40),
            "locked": today - timedelta(days=20),
            "open": today - timedelta(days=5),
        }
        attempts = batch.attempt_ids[:4]
        batch._apply_results(
            [
                {"request_id": a.request_id, "line_id": a.payroll_line_id.id, "batch_id": batch.id,
                 "status": "paid", "date": day}
                for a, day in zip(attempts, days.values(), strict=True)
            ]
        )  # fmt: skip
        self.assertEqual(attempts.payroll_line_id.mapped("paid_date"), [today, today, today, days["open"]])
        self.assertEqual(set(attempts.mapped("status")), {"paid"})
        payments = payroll.move_ids.filtered(lambda m: m.g2p_event == "payment")
        self.assertEqual(sorted(payments.mapped("date")), [days["open"], today])

    def test_payment_in_a_batch_cannot_be_cancelled(self):
        payroll = self._approved_payroll()
        self._create_batches(payroll)
        batch = payroll.batch_ids[0]
        line = batch.attempt_ids[0].payroll_line_id
        with self.assertRaisesRegex(UserError, "cancel the batch first"):
            line.with_user(self.finance).action_cancel()
        self.assertEqual(line.state, "approved")
        batch.with_user(self.finance).action_cancel()
        line.with_user(self.finance).action_cancel()
        self.assertEqual(line.state, "cancelled")
