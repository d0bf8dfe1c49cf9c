"""GSMA Mobile Money v1.2 batch connector over real HTTP to the stand-in, callbacks into Odoo."""

import json
from unittest.mock import patch
from urllib.parse import urlsplit

from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, mute_logger

from .simulators import gsma
from odoo.addons.g2p_payment_hub.tests.common import STATUS_CHANNEL, dispatch_callbacks, perform_trapped_jobs
from odoo.addons.g2p_payment_hub.tests.psp_common import FAST_TRANSPORT, PspCase
from odoo.addons.queue_job.tests.common import trap_jobs

RULES = {
    "reject_msisdn_suffixes": {"0000003": "Payee account is barred"},
    "unknown_msisdns": ["+254710000005"],
}


def connector_values(url, psp):
    """A GSMA connector (test mode, API key) for the stand-in at ``url``."""
    return {
        "name": "Mobile money (GSMA)",
        "code": "gsma",
        "psp_id": psp.id,
        "state": "test",
        "gsma_url": url,
        "gsma_auth_mode": "api_key",
        "gsma_api_key": "s3cret-api-key",
        "payer_identifier_type": "accountid",
        "payer_identifier": "2000",
        "gsma_use_callback": False,
        **FAST_TRANSPORT,
    }


@tagged("post_install", "-at_install")
class TestGsmaConnector(PspCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim_context = gsma.run_gsma_simulator(**RULES)
        cls.sim = cls.sim_context.__enter__()
        cls.addClassCleanup(cls.sim_context.__exit__, None, None, None)
        cls.connector = cls.env["g2p.payment.connector"].create(connector_values(cls.sim.url, cls.mobile_psp))

    def setUp(self):
        super().setUp()
        self.sim.control("reset", {})
        self.sim.control("config", {"auth": {"api_key": "s3cret-api-key"}})
        self.payroll = self._approved_payroll()
        self.lines = self._lines(self.payroll, self.mobile_psp)
        self.rejected = self.lines.filtered(
            lambda line: line.account_identifier.endswith(("0000003", "0000005"))
        )

    def _batch(self):
        batch = self.payroll._create_payment_batches(self.lines)
        self.assertEqual(len(batch), 1)
        self.assertEqual(batch.state, "queued")
        return batch

    def _posts(self):
        return [
            r for r in self.sim.control("received", path_prefix="/batchtransactions") if r["method"] == "POST"
        ]

    def _sim_batches(self):
        """Batches the provider created (one per distinct correlation id it accepted)."""
        return {r["headers"]["X-CorrelationID"] for r in self._posts()}

    def assertOutcome(self, batch):
        """7 paid (TX references), the barred wallet and the unknown one failed with their reasons."""
        self.assertEqual(batch.state, "completed")
        self.assertEqual((batch.paid_count, batch.failed_count, batch.pending_count), (7, 2, 0))
        paid = self.lines - self.rejected
        self.assertSettled(self.payroll, paid, self.rejected)
        self.assertTrue(all(ref.startswith("TX-") for ref in paid.mapped("psp_reference")))
        by_number = {line.account_identifier: line for line in self.rejected}
        barred, unknown = by_number["+254710000003"], by_number["+254710000005"]
        self.assertEqual(barred.failure_reason_id.code, "ACCOUNT_CLOSED")
        self.assertEqual(barred.failure_note, "Payee account is barred")
        self.assertEqual(unknown.failure_reason_id.code, "ACCOUNT_NOT_FOUND")
        self.assertEqual(unknown.failure_note, "Payee MSISDN +254710000005 is not registered")
        self.assertEqual(set(batch.attempt_ids.mapped("status")), {"paid", "failed"})

    # ------------------------------------------------------------------ happy paths

    def test_callback_triggers_fetch(self):
        """The provider PUTs the result to the batch's callback URL (twice); Odoo records it once,
        queues one status fetch, and the fetch applies completions and rejections."""
        self.connector.write({"gsma_use_callback": True, "gsma_callback_base_url": self.base_url()})
        self.sim.control("config", {"processing_delay": 1.0, "callback": {"duplicates": 1}})
        batch = self._batch()
        batch.with_user(self.finance).action_send()
        self.assertEqual(batch.state, "sent")
        self.assertTrue(batch.external_id.startswith("BT-"))
        self.assertTrue(batch.gsma_server_correlation_id)
        self.assertEqual(set(self.lines.mapped("state")), {"sent"})

        (post,) = self._posts()
        headers = post["headers"]
        self.assertEqual(headers["X-CorrelationID"], batch.correlation_id)
        self.assertTrue(headers["X-Date"])
        self.assertEqual(headers["X-API-Key"], "s3cret-api-key")
        callback_url = headers["X-Callback-URL"]
        self.assertTrue(callback_url.startswith(self.base_url() + "/g2p/payment_hub/gsma/callback/"))
        self.assertIn(batch.sudo().callback_token, callback_url)
        body = json.loads(post["body"])
        self.assertEqual(
            {t["requestingOrganisationTransactionReference"] for t in body["transactions"]},
            set(batch.attempt_ids.mapped("request_id")),
        )
        self.assertEqual(body["transactions"][0]["debitParty"], [{"key": "accountid", "value": "2000"}])
        self.assertEqual(body["transactions"][0]["creditParty"][0]["key"], "msisdn")
        # Neither the API key nor the callback token reach the batch log.
        log_text = "".join((log.headers or "") + (log.body or "") + (log.url or "") for log in batch.log_ids)
        self.assertNotIn("s3cret-api-key", log_text)
        self.assertNotIn(batch.sudo().callback_token, log_text)

        # What the send's commit does: the callbacks' transactions see the batch as sent.
        self.env.flush_all()
        with trap_jobs() as trap, self.allow_requests(all_requests=True):
            callbacks = self._wait_for(
                lambda: [c for c in self.sim.control("callbacks") if "status" in c or "error" in c][1:],
                message="two callbacks",
            )
        self.assertEqual([c.get("status") for c in self.sim.control("callbacks")], [204, 204], callbacks)
        batch.invalidate_recordset()
        events = batch.log_ids.filtered(lambda log: log.kind == "callback")
        self.assertEqual(len(events), 1, "a duplicate callback is recorded once")
        self.assertFalse(events.processed, "the request only stored it")
        with trap_jobs() as trap:
            dispatch_callbacks(trap, self.env)  # the dispatcher job
        trap.assert_jobs_count(1)
        trap.assert_enqueued_job(
            batch._fetch_and_apply,
            kwargs={"stage": True},
            properties={"identity_key": "g2p_payment_batch_status_%s" % batch.id},
        )
        self.assertEqual(trap.enqueued_jobs[0].channel, STATUS_CHANNEL)
        self.assertEqual(batch.state, "sent", "the callback body is never applied as an outcome")

        perform_trapped_jobs(trap, self.env.cr)  # what the queue_job runner does
        batch.invalidate_recordset()
        self.assertOutcome(batch)
        self.assertTrue(events.processed, "consumed by the status fetch")
        log_text = "".join((log.headers or "") + (log.body or "") + (log.url or "") for log in batch.log_ids)
        self.assertNotIn("+25471000000", log_text, "no payee wallet in the batch log")
        # Fetching again changes nothing; the batch was submitted once.
        moves = self.payroll.move_ids
        batch._fetch_and_apply()
        self.assertEqual(self.payroll.move_ids, moves)
        self.assertEqual(len(self._posts()), 1)

    def test_callback_refused_without_token(self):
        batch = self._batch()
        batch._send_batches()
        path = "/g2p/payment_hub/gsma/callback/%s/" % batch.correlation_id
        with mute_logger("odoo.http", "werkzeug"):
            wrong = self.url_open(path + "not-the-token", data=b"{}", method="PUT")
            unknown = self.url_open(
                "/g2p/payment_hub/gsma/callback/%s/%s" % ("0" * 8, batch.sudo().callback_token),
                data=b"{}",
                method="PUT",
            )
        self.assertEqual((wrong.status_code, unknown.status_code), (404, 404))
        self.assertFalse(batch.log_ids.filtered(lambda log: log.kind == "callback"))
        good = self.url_open(
            path + batch.sudo().callback_token,
            data=b'{"batchStatus": "completed"}',
            headers={"X-CorrelationID": batch.correlation_id, "Content-Type": "application/json"},
            method="PUT",
        )
        self.assertEqual(good.status_code, 204)
        self.assertEqual(len(batch.log_ids.filtered(lambda log: log.kind == "callback")), 1)

    def test_polling_and_paging(self):
        """Without callbacks: the request state is polled (pending, then completed) and the
        completions are read page by page."""
        self.connector.gsma_page_size = 2
        self.sim.control("config", {"processing_delay": 1.0})
        batch = self._batch()
        batch._send_batches()
        self.assertNotIn("X-Callback-URL", self._posts()[0]["headers"])
        batch._fetch_and_apply()
        self.assertEqual(batch.state, "sent", "still pending at the provider")
        self._wait_for(lambda: self._state_completed(batch), message="batch processed")
        # The poll cron takes batches not updated for their connector's interval.
        self.env["g2p.payment.batch"]._cron_poll_status()
        self.assertEqual(batch.state, "sent", "updated a moment ago: not due yet")
        self.env.cr.execute(
            SQL(
                "UPDATE g2p_payment_batch SET last_status_date = now() - interval '1 hour' WHERE id = %s",
                batch.id,
            )
        )
        batch.invalidate_recordset()
        self.env["g2p.payment.batch"]._cron_poll_status()
        self.assertOutcome(batch)
        pages = self.sim.control(
            "received", path_prefix="/batchtransactions/%s/completions" % batch.external_id
        )
        self.assertEqual([r["query"]["offset"] for r in pages], ["0", "2", "4", "6"])

    def test_poll_limit_falls_back_to_batch(self):
        """Past the request state's pollLimit, the batch resource says when processing is over."""
        self.sim.control("config", {"processing_delay": 1.0, "poll_limit": 1})
        batch = self._batch()
        batch._send_batches()
        batch._fetch_and_apply()  # poll 1: pending
        self.assertEqual(batch.state, "sent")
        self._wait_for(
            lambda: self.sim.session.get(
                "%s/batchtransactions/%s" % (self.sim.url, batch.external_id),
                headers={"X-API-Key": "s3cret-api-key"},
                timeout=5,
            ).json()["batchStatus"]
            == "completed",
            message="batch completed",
        )
        batch._fetch_and_apply()  # poll 2: refused (rateLimitError)
        self.assertOutcome(batch)
        self.assertTrue(
            batch.log_ids.filtered(lambda log: log.kind == "error" and "rateLimitError" in log.body)
        )

    def _provider_knows(self, batch):
        response = self.sim.session.get(
            "%s/responses/%s" % (self.sim.url, batch.correlation_id),
            headers={"X-API-Key": "s3cret-api-key"},
            timeout=5,
        )
        return response.status_code == 200

    def _state_completed(self, batch):
        state = self.sim.session.get(
            "%s/requeststates/%s" % (self.sim.url, batch.gsma_server_correlation_id),
            headers={"X-API-Key": "s3cret-api-key"},
            timeout=5,
        ).json()
        return state.get("status") == "completed"

    # ------------------------------------------------------------------ faults and idempotency

    def _lookups(self, batch):
        return self.sim.control("received", path_prefix="/responses/%s" % batch.correlation_id)

    def test_accept_then_fail_is_looked_up_not_resent(self):
        """The provider creates the batch but answers 500: the batch is looked up through
        /responses and marked sent, never posted again."""
        self.sim.control("faults", {"kind": "accept_then_fail", "path_prefix": "/batchtransactions"})
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "sent")
        self.assertEqual(set(self.lines.mapped("state")), {"sent"})
        self.assertEqual(len(self._posts()), 1)
        self.assertEqual(len(self._lookups(batch)), 1)
        self.assertTrue(batch.external_id.startswith("BT-"))
        self.assertFalse(batch.gsma_server_correlation_id, "the 202 was lost")
        batch._fetch_and_apply()
        self.assertOutcome(batch)
        batch._send_batches()  # a late retry (cron) changes nothing
        self.assertEqual(len(self._posts()), 1)

    def test_duplicate_request_recovered(self):
        """A POST refused as duplicateRequest (the provider holds the batch from a submission whose
        marker this run does not see) is recovered by the look-up: one provider batch."""
        self.sim.control("faults", {"kind": "accept_then_fail", "path_prefix": "/batchtransactions"})
        self.sim.control("faults", {"kind": "error", "status": 503, "path_prefix": "/responses"})
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "queued", "answer lost and look-up unavailable")
        with patch.object(type(batch), "_previous_submissions", lambda self: (0, None)):
            batch._send_batches()
        self.assertEqual(batch.state, "sent")
        posts = self._posts()
        self.assertEqual(len(posts), 2)
        self.assertEqual(self._sim_batches(), {batch.correlation_id})
        self.assertTrue(
            batch.log_ids.filtered(
                lambda log: log.http_status == 400 and "duplicateRequest" in (log.body or "")
            )
        )
        batch._fetch_and_apply()
        self.assertOutcome(batch)

    def test_timeout_then_lookup(self):
        """A POST answered too late may have been applied: the next send looks it up (the earlier
        submission is on record) and finds it instead of posting again."""
        self.connector.timeout = 1
        self.sim.control("faults", {"kind": "delay", "seconds": 2, "path_prefix": "/batchtransactions"})
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "queued")
        self.assertIn("did not answer", batch.last_error)
        self._wait_for(lambda: self._provider_knows(batch), message="the delayed batch")
        batch._send_batches()
        self.assertEqual(batch.state, "sent")
        self.assertEqual(len(self._posts()), 1)
        self.assertEqual(self._sim_batches(), {batch.correlation_id})
        batch._fetch_and_apply()
        self.assertOutcome(batch)

    def test_server_error_resent_same_correlation(self):
        """A 500 that did nothing: the look-up finds no batch, it stays queued, and the next send
        (after another look-up) posts it again under the same correlation id."""
        self.sim.control("faults", {"kind": "error", "status": 500, "path_prefix": "/batchtransactions"})
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "queued")
        self.assertIn("500", batch.last_error)
        batch._send_batches()
        self.assertEqual(batch.state, "sent")
        self.assertEqual([p["headers"]["X-CorrelationID"] for p in self._posts()], [batch.correlation_id] * 2)
        self.assertEqual(len(self._lookups(batch)), 2)
        batch._fetch_and_apply()
        self.assertOutcome(batch)

    def test_batch_failure(self):
        """Bulk Disbursement Failure: every payment fails with the provider's error, reversed in
        the books; nothing is posted as paid."""
        failure = {
            "errorCategory": "businessRule",
            "errorCode": "insufficientFunds",
            "errorDescription": "Low",
        }
        self.sim.control("config", {"batch_failure": failure})
        batch = self._batch()
        batch._send_batches()
        self._wait_for(lambda: self._state_failed(batch), message="batch failure")
        batch._fetch_and_apply()
        self.assertEqual(batch.state, "completed")
        self.assertSettled(self.payroll, self.lines.browse(), self.lines)
        self.assertEqual(set(self.lines.mapped("failure_reason_id.code")), {"PSP_REJECTED"})
        self.assertEqual(set(self.lines.mapped("failure_note")), {"insufficientFunds: Low"})

    def _state_failed(self, batch):
        state = self.sim.session.get(
            "%s/requeststates/%s" % (self.sim.url, batch.gsma_server_correlation_id),
            headers={"X-API-Key": "s3cret-api-key"},
            timeout=5,
        ).json()
        return state.get("status") == "failed"

    def test_refused_batch_frees_lines(self):
        """A validation refusal (here: wrong API key) fails the batch; its lines can be batched again."""
        self.sim.control("config", {"auth": {"api_key": "another"}})
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "failed")
        self.assertIn("401", batch.last_error)
        self.assertEqual(set(batch.attempt_ids.mapped("status")), {"failed"})
        self.assertEqual(set(self.lines.mapped("state")), {"approved"})
        self.assertEqual(
            self.payroll._create_payment_batches(self.lines).attempt_ids.payroll_line_id, self.lines
        )

    def test_connector_form(self):
        """The GSMA fields are on the connector form, required where the type needs them."""
        self.assertConnectorForm(
            "gsma", {"gsma_url": "https://mm.example.org/v1.2", "gsma_auth_mode": "api_key"}
        )

    def test_oauth_and_connection_test(self):
        self.sim.control("config", {"auth": {"api_key": None, "consumer_key": "ck", "consumer_secret": "cs"}})
        self.connector.write(
            {"gsma_auth_mode": "oauth", "gsma_consumer_key": "ck", "gsma_consumer_secret": "cs"}
        )
        action = self.connector.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "sent")
        self.assertTrue(self._posts()[0]["headers"]["Authorization"].startswith("Bearer "))
        self.assertEqual(urlsplit(self.sim.url).hostname, "127.0.0.1")
