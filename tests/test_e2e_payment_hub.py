"""End to end over real HTTP: an approved payroll → PH-EE batches → the PH-EE simulator (its own
process) → callbacks into Odoo's HTTP server → status fetch → payroll lines paid / failed with their
journal entries. Duplicate, late, lost and forged callbacks, submission errors, timeouts and a crash
after the processor accepted a batch — and, every time, the simulator's received log proves that no
payment request id and no batch went out twice."""

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import requests

from odoo.exceptions import UserError
from odoo.http import request
from odoo.service import model as service_model
from odoo.tests import HttpCase
from odoo.tests import common as test_common
from odoo.tools import SQL

from odoo.addons.g2p_payment_hub.models.g2p_payment_batch import DISPATCH_IDENTITY_KEY, G2pPaymentBatch
from odoo.addons.g2p_payment_hub.tests.common import STATUS_CHANNEL, dispatch_callbacks, perform_trapped_jobs
from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values, run_phee_simulator
from odoo.addons.g2p_payroll.tests.common import PayrollCase
from odoo.addons.g2p_payroll.tests.test_golden import iban
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "addons" / "g2p_payment_hub_phee" / "tests" / "data"
PRIVATE_KEY = (DATA / "TEST_ONLY_phee_jws_private_key.pem").read_text()
CERTIFICATE = str(DATA / "TEST_ONLY_phee_jws_certificate.pem")

SIM_CONFIG = {
    "oauth": True,
    "jws_verify": True,
    "jws_cert": CERTIFICATE,
    "account_lookup": True,
    # MSISDNs of households 7 (unknown at lookup) and 5 (rejected by the payee FSP) fail.
    "unknown_payees": ["254710000007"],
    "fail_if_payee_endswith": ["0000005"],
    "callback_delay": 0.5,
}


class TestPaymentHubEndToEnd(HttpCase, PayrollCase):
    test_tags = {"standard", "at_install"}
    test_module = "g2p_payment_hub"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._sim_context = run_phee_simulator(**SIM_CONFIG)
        cls.sim = cls._sim_context.__enter__()
        cls.addClassCleanup(cls._sim_context.__exit__, None, None, None)
        cls.households = cls.env["res.partner"]
        for i in range(12):
            psp = "bank" if i >= 9 else "mobile"
            number = iban(i) if psp == "bank" else "+25471%07d" % i
            cls.households |= cls._paid_household("E2E%02d" % i, [40, 10], psp=psp, number=number)
        cls.program.with_user(cls.manager)._enrol_eligible()
        Connector = cls.env["g2p.payment.connector"]
        common = {
            **connector_values(cls.sim.url),
            "state": "test",
            "phee_jws": True,
            "phee_jws_private_key": PRIVATE_KEY,
            "phee_callback_base_url": cls.base_url(),
            "batch_max_rows": 4,
            "timeout": 2,
            "retry_backoff": 0.01,
            "poll_interval": 5,
        }
        cls.mobile_connector = Connector.create(
            {**common, "name": "PH-EE mobile", "psp_id": cls.mobile_psp.id}
        )
        cls.bank_connector = Connector.create(
            {**common, "name": "PH-EE bank", "psp_id": cls.bank_psp.id, "phee_request_type": "raw"}
        )

    def setUp(self):
        super().setUp()
        self.sim.control("reset")
        # Odoo's test harness raises any timeout under 10 s to 10 s; the timeouts are the point here.
        patcher = patch.object(
            type(self),
            "_request_handler",
            classmethod(lambda cls, s, r, **kw: test_common._super_send(s, r, **kw)),
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    # ------------------------------------------------------------------ helpers

    def _payroll_in_batches(self):
        self._fund(1_000_000)
        payroll = self._payroll(self._approved_cycle())
        self._approve(payroll)
        payroll.with_user(self.finance).action_create_batches()
        return payroll

    def _wait_callbacks(self, expected, timeout=90):
        """Let Odoo's HTTP server take requests until ``expected`` callbacks were answered 2xx
        (a loaded CI machine may take long: the deadline only bounds a hang)."""
        # The callbacks' transactions read what this one wrote, as they would after its commit.
        self.env.flush_all()
        deadline = time.monotonic() + timeout
        with self.allow_requests(all_requests=True):
            while time.monotonic() < deadline:
                answered = [
                    c for c in self.sim.control("callbacks")["callbacks"] if c["status"] and c["status"] < 300
                ]
                if len(answered) >= expected:
                    break
                time.sleep(0.1)
            else:
                self.fail("%s of %s callbacks answered in %s s" % (len(answered), expected, timeout))
        self.env.invalidate_all()
        return answered

    def _perform_jobs(self, trap):
        """Perform the status jobs ``trap`` caught, as the job runner would."""
        perform_trapped_jobs(trap, self.env.cr)
        self.env.invalidate_all()

    def assertStatusJobs(self, trap, batches):
        """One status job per batch of ``batches`` (and no other), in the status channel."""
        trap.assert_jobs_count(len(batches))
        for batch in batches:
            trap.assert_enqueued_job(
                batch._fetch_and_apply,
                kwargs={"stage": True},
                properties={"identity_key": "g2p_payment_batch_status_%s" % batch.id},
            )
        self.assertEqual({job.channel for job in trap.enqueued_jobs}, {STATUS_CHANNEL} if batches else set())

    def _callback_url(self, batch):
        return "%s/g2p/payment_hub/phee/callback/%s" % (self.base_url(), batch.correlation_id)

    def assertNothingSentTwice(self, payroll):
        received = self.sim.control("received")
        self.assertEqual(received["duplicateRequestIds"], [])
        self.assertEqual(received["duplicateCorrelationIds"], [])
        self.assertFalse(received["droppedDuplicateRows"])
        accepted = [entry for entry in received["submissions"] if entry["status"] == 202]
        sent_ids = [request_id for entry in accepted for request_id in entry["requestIds"]]
        self.assertEqual(len(sent_ids), len(set(sent_ids)))
        live = payroll.batch_ids.filtered(lambda b: b.external_id)
        self.assertEqual(set(sent_ids), set(live.attempt_ids.mapped("request_id")))
        return received

    def _outcome_of(self, payroll):
        return {line.beneficiary_id.name: line.state for line in payroll.line_ids}

    # ------------------------------------------------------------------ scenarios

    def test_callbacks_drive_status_and_entries(self):
        self.sim.control("config", {"callback_duplicates": 1})
        payroll = self._payroll_in_batches()
        batches = payroll.batch_ids
        self.assertEqual(len(batches), 4)  # 9 mobile by 4, 3 bank
        with trap_jobs() as trap:
            accepted = batches._send_batches()
            self.assertEqual(accepted, batches)
            self.assertTrue(all(batches.mapped("external_id")))
            self.assertEqual(set(payroll.line_ids.mapped("state")), {"sent"})
            self.assertEqual(payroll.state, "in_payment")

            # Each batch calls back twice (duplicate copies): stored once, one status job per batch.
            self._wait_callbacks(2 * len(batches))
            events = self.env["g2p.payment.batch.log"].search(
                [("batch_id", "in", batches.ids), ("kind", "=", "callback")]
            )
            self.assertEqual(len(events), len(batches))
            self.assertFalse(any(events.mapped("processed")), "the requests only stored them")
            # The dispatcher job queues one status fetch per batch.
            dispatch_callbacks(trap, self.env)
            self.assertStatusJobs(trap, batches)
            self._perform_jobs(trap)
            self.assertTrue(all(events.mapped("processed")), "consumed by the status fetches")

        outcome = self._outcome_of(payroll)
        self.assertEqual(outcome.pop("E2E07"), "failed")
        self.assertEqual(outcome.pop("E2E05"), "failed")
        self.assertEqual(set(outcome.values()), {"paid"})
        failed = payroll.line_ids.filtered(lambda line: line.state == "failed")
        self.assertEqual(
            {line.beneficiary_id.name: line.failure_reason_id.code for line in failed},
            {"E2E07": "ACCOUNT_NOT_FOUND", "E2E05": "PSP_REJECTED"},
        )
        self.assertTrue(
            all(payroll.line_ids.filtered(lambda line: line.state == "paid").mapped("psp_reference"))
        )
        self.assertEqual(set(batches.mapped("state")), {"completed"})
        self.assertEqual(sum(batches.mapped("paid_count")), 10)
        self.assertEqual(sum(batches.mapped("failed_count")), 2)
        # Attempts are not rewritten: they stay open and read their outcome from the line, also
        # when searched.
        attempts = batches.attempt_ids
        self.assertEqual(set(attempts.mapped("state")), {"open"})
        Attempt = self.env["g2p.payment.attempt"]
        for status in ("paid", "failed"):
            expected = attempts.filtered(lambda a, s=status: a.payroll_line_id.state == s)
            self.assertEqual(set(expected.mapped("status")), {status})
            found = Attempt.search([("batch_id", "in", batches.ids), ("status", "=", status)])
            self.assertEqual(found, expected)
        self.assertFalse(
            Attempt.search([("batch_id", "in", batches.ids), ("status", "in", ("queued", "sent"))])
        )
        self.assertEqual(payroll.state, "reconciled")
        moves = payroll.move_ids
        self.assertEqual(set(moves.mapped("g2p_event")), {"approval", "payment", "failure"})
        self.assertBalanced(moves)
        self.assertAlmostEqual(self._open_payables(), 0.0)
        self.assertNothingSentTwice(payroll)
        # Every request, response, callback and poll is logged, without secrets.
        logs = self.env["g2p.payment.batch.log"].search([("batch_id", "in", batches.ids)])
        self.assertEqual(set(logs.mapped("kind")), {"info", "request", "response", "callback", "poll"})
        for log in logs:
            text = "%s %s %s" % (log.url, log.headers, log.body)
            for batch in batches:
                self.assertNotIn(batch.callback_token, text)
            self.assertNotIn("password=password", text)
            self.assertNotRegex(text, r"Bearer [A-Za-z0-9_-]{8}")

        # A late callback (new body) and a replayed one: accepted, harmless. The batch is complete:
        # the dispatcher consumes the late one without a status fetch (nothing left to learn).
        batch = batches[0]
        url = self._callback_url(batch)
        body = {
            "clientCorrelationId": batch.correlation_id,
            "batchId": batch.external_id,
            "message": "late : 100",
        }
        self.env.flush_all()
        with trap_jobs() as trap, self.allow_requests(all_requests=True):
            late = requests.post(url, params={"token": batch.callback_token}, json=body, timeout=10)
            again = requests.post(url, params={"token": batch.callback_token}, json=body, timeout=10)
        self.assertEqual((late.status_code, late.json()["duplicate"]), (200, False))
        self.assertEqual((again.status_code, again.json()["duplicate"]), (200, True))
        self.env.invalidate_all()
        with trap_jobs() as trap:
            dispatch_callbacks(trap, self.env)
            self.assertStatusJobs(trap, [])
        late_events = batch.log_ids.filtered(lambda log: log.kind == "callback")
        self.assertEqual(len(late_events), 2)
        self.assertTrue(all(late_events.mapped("processed")))
        self.assertEqual(self._outcome_of(payroll), {**outcome, "E2E07": "failed", "E2E05": "failed"})
        self.assertEqual(len(payroll.move_ids), len(moves))

    def test_connection_test(self):
        action = self.mobile_connector.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.mobile_connector.phee_password = "wrong"
        with self.assertRaisesRegex(UserError, "login failed"):
            self.mobile_connector.action_test_connection()

    def test_forged_callbacks_are_refused(self):
        payroll = self._payroll_in_batches()
        batch = payroll.batch_ids[0]
        batch._send_batches()
        url = self._callback_url(batch)
        body = {"clientCorrelationId": batch.correlation_id, "batchId": batch.external_id, "message": "x"}
        self.env.flush_all()
        with trap_jobs() as trap, self.allow_requests(all_requests=True):
            missing = requests.post(url, json=body, timeout=10)
            wrong = requests.post(url, params={"token": "A" * 43}, json=body, timeout=10)
            unknown = requests.post(
                url.replace(batch.correlation_id, "00000000-0000-0000-0000-000000000000"),
                params={"token": batch.callback_token},
                json=body,
                timeout=10,
            )
            # PH-EE would not; a replayed URL with another batch's body is refused too.
            other = requests.post(
                url,
                params={"token": batch.callback_token},
                json={**body, "clientCorrelationId": "x"},
                timeout=10,
            )
        self.assertEqual([r.status_code for r in (missing, wrong, unknown, other)], [403, 403, 403, 400])
        self.env.invalidate_all()
        self.assertFalse(batch.log_ids.filtered(lambda log: log.kind == "callback"))
        trap.assert_jobs_count(0)

    def test_lost_callbacks_are_caught_by_the_poll_cron(self):
        self.sim.control("config", {"callback_drop": True, "in_progress_fraction": 0.5})
        payroll = self._payroll_in_batches()
        payroll.batch_ids._send_batches()
        Batch = self.env["g2p.payment.batch"]
        # Not due yet: polled less than poll_interval ago.
        Batch._cron_poll_status()
        self.assertEqual(set(payroll.line_ids.mapped("state")), {"sent"})
        for _round in range(3):
            self.env.cr.execute(
                SQL(
                    "UPDATE g2p_payment_batch SET sent_date = sent_date - interval '1 hour', "
                    "last_status_date = last_status_date - interval '1 hour' WHERE payroll_id = %s",
                    payroll.id,
                )
            )
            self.env.invalidate_all()
            Batch._cron_poll_status()
        self.env.invalidate_all()
        self.assertEqual(set(payroll.batch_ids.mapped("state")), {"completed"})
        self.assertEqual(payroll.state, "reconciled")
        self.assertNothingSentTwice(payroll)

    def test_submission_errors_and_rejections(self):
        payroll = self._payroll_in_batches()
        mobile = payroll.batch_ids.filtered(lambda b: b.connector_id == self.mobile_connector)
        # Two 5xx, then accepted: retried with backoff, looked up before each retry.
        self.sim.control("faults", {"submit_status": 503, "count": 2})
        mobile[0]._send_batches()
        self.assertEqual(mobile[0].state, "sent")
        # Refused (4xx: unknown tenant): the batch fails, its payments stay approved and go in a new
        # batch with new request ids.
        self.mobile_connector.phee_tenant = "nobody"
        mobile[1]._send_batches()
        self.assertEqual(mobile[1].state, "failed")
        self.assertIn("Invalid tenant", mobile[1].last_error)
        self.assertEqual(set(mobile[1].attempt_ids.mapped("state")), {"failed"})
        self.assertEqual(set(mobile[1].attempt_ids.payroll_line_id.mapped("state")), {"approved"})
        self.mobile_connector.phee_tenant = "gorilla"
        retry = self.env["g2p.payment.batch"].browse(
            mobile[1].with_user(self.finance).action_retry_failed()["res_id"]
        )
        self.assertEqual(retry.attempt_ids.payroll_line_id, mobile[1].attempt_ids.payroll_line_id)
        self.assertFalse(
            set(retry.attempt_ids.mapped("request_id")) & set(mobile[1].attempt_ids.mapped("request_id"))
        )
        retry._send_batches()
        self.assertEqual(retry.state, "sent")
        # Operations API down once: the status poll retries (a GET is safe to repeat).
        self.sim.control("faults", {"ops_status": 503, "count": 1})
        (mobile[0] | retry)._fetch_and_apply()
        self.assertEqual(mobile[0].state, "completed")
        received = self.assertNothingSentTwice(payroll)
        self.assertEqual([e["status"] for e in received["submissions"]], [503, 503, 202, 400, 202])

    def test_timeout_and_crash_after_acceptance(self):
        payroll = self._payroll_in_batches()
        first, second, third, fourth = payroll.batch_ids.sorted("id")
        # The processor answers after our timeout: we do not know whether it took the batch.
        self.sim.control("faults", {"submit_delay": 3, "count": 1})
        first._send_batches()
        self.assertEqual(first.state, "queued")
        self.assertIn("did not answer", first.last_error)
        first._send_batches()  # still not listed: nothing sent
        self.assertEqual(first.state, "queued")
        self.assertIn("looked up again", first.last_error)
        time.sleep(3.5)
        # The send cron retries batches whose submission was tried: now listed, found, not sent again.
        self.env["g2p.payment.batch"]._cron_send_queued()
        self.assertEqual(first.state, "sent")
        self.assertTrue(first.external_id)

        # Accepted, then the answer is lost (500 / dropped connection): found by correlation id.
        self.sim.control("faults", {"accept_then_fail": 1, "mode": "500"})
        second._send_batches()
        self.sim.control("faults", {"accept_then_fail": 1, "mode": "drop"})
        third._send_batches()
        self.assertEqual((second.state, third.state), ("sent", "sent"))

        # Crash after PH-EE accepted, before our transaction commits: the submission marker,
        # written in its own transaction, survives; the rest is rolled back.
        def crash(self, external_id=None):
            raise RuntimeError("worker killed")

        crashed = False
        with patch.object(G2pPaymentBatch, "_set_sent", crash):
            try:
                fourth._send_batches()
            except RuntimeError:
                crashed = True
        self.assertTrue(crashed)
        # What the database holds after that rollback (the test cannot roll back its own
        # transaction): the batch as before the send, plus the marker committed by its own cursor.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_payment_batch SET state = 'queued', send_count = 0, external_id = NULL
                    WHERE id = %s""",
                fourth.id,
            )
        )
        self.env.cr.execute(
            SQL(
                """DELETE FROM g2p_payment_batch_log
                    WHERE batch_id = %s AND is_submission IS NOT TRUE""",
                fourth.id,
            )
        )
        self.env.invalidate_all()
        self.assertFalse(fourth.external_id)
        fourth._send_batches()
        self.assertEqual(fourth.state, "sent")
        self.assertTrue(fourth.external_id)

        self.sim.control("complete")
        payroll.batch_ids._fetch_and_apply()
        self.assertEqual(set(payroll.batch_ids.mapped("state")), {"completed"})
        received = self.assertNothingSentTwice(payroll)
        self.assertEqual(len([e for e in received["submissions"] if e["status"] == 202]), 4)

    # ------------------------------------------------------------------ callback races and logs

    def test_concurrent_identical_callbacks_are_stored_once(self):
        """20 identical callbacks at once, three rounds: every answer is 2xx, the event is stored
        once with the body sent, one answer says new, then one status fetch is queued.

        Odoo's test server serializes requests on the test's transaction, so PostgreSQL cannot
        refuse one of two concurrent inserts by itself here. The test makes it refuse the first
        execution of every request the way it refuses the later of two identical callbacks
        (serialization_failure, raised by PostgreSQL), so Odoo replays each request: the replay must
        read the same body."""
        self.sim.control("config", {"callback_drop": True})  # only the test's callbacks
        payroll = self._payroll_in_batches()
        batch = payroll.batch_ids[0]
        batch._send_batches()
        self.assertEqual(batch.state, "sent")
        body = {
            "clientCorrelationId": batch.correlation_id,
            "batchId": batch.external_id,
            "message": "x : 100",
        }
        raw = json.dumps(body).encode()
        receive = G2pPaymentBatch._receive_callback

        def refused_once(record, *args, **kwargs):
            result = receive(record, *args, **kwargs)
            environ = request.httprequest.environ
            if not environ.get("g2p_test_refused"):
                environ["g2p_test_refused"] = True
                record.env.cr.execute(
                    SQL(
                        "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access due to concurrent update' "
                        "USING ERRCODE = 'serialization_failure'; END $$"
                    )
                )
            return result

        def post(_number):
            return requests.post(
                self._callback_url(batch),
                params={"token": batch.callback_token},
                data=raw,
                headers={"Content-Type": "application/json"},
                timeout=30,
            )

        answers = []
        self.env.flush_all()
        with (
            patch.object(G2pPaymentBatch, "_receive_callback", refused_once),
            # Odoo waits up to 2 s before a replay; a moment is enough here.
            patch.object(service_model, "random", SimpleNamespace(uniform=lambda low, high: 0.01)),
            self.allow_requests(all_requests=True),
            ThreadPoolExecutor(max_workers=20) as pool,
        ):
            for _round in range(3):
                answers += list(pool.map(post, range(20)))
        self.env.invalidate_all()
        self.assertEqual({answer.status_code for answer in answers}, {200})
        self.assertEqual([answer.json()["duplicate"] for answer in answers].count(False), 1)
        events = batch.log_ids.filtered(lambda log: log.kind == "callback")
        self.assertEqual(len(events), 1)
        self.assertEqual(events.body, raw.decode())
        self.assertFalse(events.processed)
        # At most one dispatcher job woken (and none at all when this process woke one less than a
        # second ago); the dispatcher queues one status fetch.
        dispatchers = self.env["queue.job"].search([("identity_key", "=", DISPATCH_IDENTITY_KEY)])
        self.assertLessEqual(len(dispatchers), 1)
        self.env["g2p.payment.batch"]._dispatch_callbacks()
        self.env["g2p.payment.batch"]._dispatch_callbacks()
        jobs = self.env["queue.job"].search([("identity_key", "=", "g2p_payment_batch_status_%s" % batch.id)])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.channel, STATUS_CHANNEL)

    def test_callback_during_a_long_send_applies_the_outcome(self):
        """PH-EE calls back while Odoo's Send transaction is still open (after PH-EE accepted the
        batch, before the batch is sent in Odoo): the callback is kept pending, its status job
        retries within seconds while the batch is not sent, and once the send is over the outcome
        is applied, well within a minute and without the poll cron."""
        payroll = self._payroll_in_batches()
        batch = payroll.batch_ids.filtered(lambda b: b.connector_id == self.mobile_connector)[0]
        set_sent = G2pPaymentBatch._set_sent
        during = {}

        def slow_set_sent(record, external_id=None):
            if record == batch and not during:
                # PH-EE accepted the batch; this transaction stays open until its callback is in.
                during["accepted_at"] = time.monotonic()
                during["callbacks"] = self._wait_callbacks(1)
                during["state"] = batch.state
                events = batch.log_ids.filtered(lambda log: log.kind == "callback")
                during["pending"] = events.mapped("processed")
                # The job runner may take the callback's job now: it must not consume the callback.
                dispatch_callbacks(trap, self.env)
                jobs = list(trap.enqueued_jobs)
                during["jobs"] = jobs
                for job in jobs:
                    job.recordset = job.recordset.with_env(job.env(cr=self.env.cr))
                    with self.assertRaises(RetryableJobError) as caught:
                        job.perform()
                    during["retry_seconds"] = caught.exception.seconds
                    during["retries_counted"] = job.retry
                self.env.invalidate_all()
                during["pending_after_job"] = events.mapped("processed")
                during["lines"] = set(batch.attempt_ids.payroll_line_id.mapped("state"))
            return set_sent(record, external_id)

        with trap_jobs() as trap, patch.object(G2pPaymentBatch, "_set_sent", slow_set_sent):
            batch._send_batches()
        self.assertEqual(batch.state, "sent")
        self.assertEqual(during["state"], "sending", "the callback came in during the send")
        self.assertEqual(during["pending"], [False], "a callback before the send commits stays pending")
        self.assertEqual(len(during["jobs"]), 1)
        self.assertLessEqual(during["retry_seconds"], 10)
        self.assertEqual(during["retries_counted"], 0, "however long the send, the job keeps waiting")
        self.assertEqual(during["pending_after_job"], [False])
        self.assertFalse(during["lines"] & {"paid", "failed"}, "no outcome before the send is over")

        # The send has committed: the runner tries the job again after those seconds.
        (job,) = during["jobs"]
        with trap_jobs() as trap:
            job.perform()
            # It staged the outcomes: the payroll's apply job posts them.
            self.assertEqual({j.method_name for j in trap.enqueued_jobs}, {"_apply_staged_outcomes"})
            perform_trapped_jobs(trap, self.env.cr)
        self.env.invalidate_all()
        self.assertLess(time.monotonic() - during["accepted_at"], 60)
        self.assertEqual(batch.state, "completed")
        self.assertTrue(set(batch.attempt_ids.payroll_line_id.mapped("state")) <= {"paid", "failed"})
        self.assertEqual(
            batch.log_ids.filtered(lambda log: log.kind == "callback").mapped("processed"), [True]
        )
        self.assertNothingSentTwice(payroll)

    def test_served_callbacks_log_no_token(self):
        """Callbacks served over HTTP (accepted, refused, on either callback route) write no token
        to any log record, at DEBUG level, while the request lines themselves are logged."""
        self.sim.control("config", {"callback_drop": True})
        payroll = self._payroll_in_batches()
        batch = payroll.batch_ids[0]
        batch._send_batches()
        token = batch.callback_token
        body = {"clientCorrelationId": batch.correlation_id, "batchId": batch.external_id, "message": "x"}

        records = []
        client_thread = threading.get_ident()

        class Capture(logging.Handler):
            def emit(self, record):
                if record.name.startswith("urllib3") and record.thread == client_thread:
                    return  # this test's own HTTP client: the processor's side, not Odoo's log
                records.append((record.name, self.format(record)))

        handler = Capture(logging.DEBUG)
        loggers = [logging.getLogger(name) for name in ("", "werkzeug", "odoo.http")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        self.env.flush_all()
        try:
            with self.allow_requests(all_requests=True):
                accepted = requests.post(
                    self._callback_url(batch), params={"token": token}, json=body, timeout=10
                )
                refused = requests.post(
                    self._callback_url(batch), params={"token": token[:-2] + "xx"}, json=body, timeout=10
                )
                by_path = requests.put(
                    "%s/g2p/payment_hub/gsma/callback/%s/%s" % (self.base_url(), batch.correlation_id, token),
                    json=body,
                    timeout=10,
                )
                self._wait_remaining_requests()
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.removeHandler(handler)
                logger.setLevel(level)
        self.assertEqual((accepted.status_code, refused.status_code, by_path.status_code), (200, 403, 404))
        request_lines = [text for name, text in records if "/g2p/payment_hub/" in text]
        self.assertGreaterEqual(len(request_lines), 3, "the request lines are logged")
        self.assertTrue(any(batch.correlation_id in text for text in request_lines))
        for name, text in records:
            self.assertNotIn(token, text, "token logged by %s" % name)
            self.assertNotIn(token[:-2], text, "token logged by %s" % name)
