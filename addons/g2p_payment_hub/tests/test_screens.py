"""What a finance officer reads on batches: a notification after creating batches and after a
status fetch, the Create button gone once everything is batched, and a log that says "No
connection" with the error instead of an HTTP status 0."""

from unittest.mock import patch

from odoo.tools import format_amount

from ..exceptions import G2pTransportError
from .common import PaymentHubCase


class TestBatchScreens(PaymentHubCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._base_connectors(batch_max_rows=5)

    def _batched(self):
        payroll = self._approved_payroll()
        self.assertEqual(payroll.unbatched_count, 12)
        action = self._create_batches(payroll)
        return payroll, action

    def test_create_batches_notifies_and_opens_them(self):
        payroll, action = self._batched()
        self.assertEqual(action["tag"], "display_notification")
        params = action["params"]
        bank = payroll.batch_ids.filtered(lambda b: b.connector_id == self.bank_connector)
        self.assertIn("3 payment batches queued for sending", params["message"])
        self.assertIn(
            "Bank: 1 batches, 3 payments, %s" % format_amount(self.env, bank.total_amount, bank.currency_id),
            params["message"],
        )
        self.assertEqual(params["next"]["res_model"], "g2p.payment.batch")
        self.assertEqual(self.env["g2p.payment.batch"].search(params["next"]["domain"]), payroll.batch_ids)
        payroll.invalidate_recordset()
        self.assertEqual(payroll.unbatched_count, 0, "the Create Payment Batches button hides")

    def test_fetch_status_notifies_outcomes_and_unreachable_processors(self):
        payroll, _action = self._batched()
        batch = payroll.batch_ids.filtered(lambda b: b.connector_id == self.bank_connector)
        batch._set_sending()
        batch._set_sent("EXT-9")
        first, *_others = batch.attempt_ids

        def paid_first(connector, b):
            return b._results_from_outcomes([{"request_id": first.request_id, "status": "paid"}])

        Connector = type(self.bank_connector)
        with patch.object(Connector, "_fetch_status", paid_first):
            params = batch.with_user(self.finance).action_fetch_status()["params"]
        self.assertEqual(params["type"], "success")
        self.assertIn(
            "1 payments confirmed paid, 0 failed, 0 already known; 2 still waiting", params["message"]
        )

        def unreachable(connector, b):
            raise G2pTransportError("Cannot reach https://bank.example: ConnectionError")

        with patch.object(Connector, "_fetch_status", unreachable):
            params = batch.with_user(self.finance).action_fetch_status()["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("No answer for %s: Cannot reach https://bank.example" % batch.name, params["message"])

    def test_log_says_no_connection_instead_of_status_zero(self):
        payroll, _action = self._batched()
        batch = payroll.batch_ids[0]
        Log = self.env["g2p.payment.batch.log"]
        refused = Log._log(
            batch,
            "error",
            method="POST",
            url="https://hub.example/batch",
            body="HTTPSConnectionPool(host='hub.example'): Connection refused",
        )
        answered = Log._log(
            batch, "response", method="POST", url="https://hub.example/batch", http_status=202
        )
        refused.flush_recordset()
        self.assertEqual(
            refused.result, "No connection: HTTPSConnectionPool(host='hub.example'): Connection refused"
        )
        self.assertEqual(answered.result, "202 Accepted")
        self.assertEqual(Log._fields["result"].get_description(self.env)["string"], "Result")
