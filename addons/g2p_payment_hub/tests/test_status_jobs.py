"""Status jobs as queue_job means them: enqueued once per batch in the status channel, transport
errors retried by the job function's pattern, errors for a person logged, and a callback that
arrives before its batch is sent kept pending until the batch is."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL

from .common import STATUS_CHANNEL, PaymentHubCase, dispatch_callbacks
from odoo.addons.g2p_payment_hub.models import g2p_payment_batch
from odoo.addons.g2p_payment_hub.models.g2p_payment_batch import (
    CALLBACK_WAKE_SECONDS,
    DISPATCH_IDENTITY_KEY,
    UNSENT_RETRY_SECONDS,
)
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs


class TestStatusJobs(PaymentHubCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Nothing listens on port 9: every request is refused.
        cls.connector = cls.env["g2p.payment.connector"].create(
            {
                "name": "PH-EE (unreachable)",
                "code": "phee",
                "psp_id": cls.mobile_psp.id,
                "state": "test",
                "phee_bulk_url": "http://127.0.0.1:9",
                "phee_ops_url": "http://127.0.0.1:9",
                "phee_tenant": "gorilla",
                "payment_mode": "mojaloop",
                "max_transport_retries": 0,
                "retry_backoff": 0.0,
                "timeout": 2,
            }
        )

    def setUp(self):
        super().setUp()
        payroll = self._approved_payroll()
        lines = payroll.line_ids.filtered(lambda line: line.psp_id == self.mobile_psp)
        self.batch = payroll._create_payment_batches(lines)[0]
        self.assertEqual(self.batch.state, "queued")

    def _connector_class(self):
        # The registry's class, above every connector's override.
        return type(self.env["g2p.payment.connector"])

    def _sent(self):
        self.batch._set_sent("4a1b2c3d")
        return self.batch

    def _callback(self, body=b'{"message": "x"}'):
        return self.batch._receive_callback(body, headers={"Content-Type": "application/json"}, url="/cb")

    def test_one_job_per_batch_in_the_status_channel(self):
        batch = self._sent()
        with trap_jobs() as trap:
            batch._enqueue_status_fetch()
            batch._enqueue_status_fetch()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                batch._fetch_and_apply,
                kwargs={"stage": True},
                properties={
                    "identity_key": "g2p_payment_batch_status_%s" % batch.id,
                    "description": "Fetch status of payment batch %s" % batch.name,
                },
            )
            self.assertEqual(trap.enqueued_jobs[0].channel, STATUS_CHANNEL)

    def test_transport_error_in_a_job_is_retried_by_the_pattern(self):
        batch = self._sent()
        with trap_jobs() as trap:
            batch._enqueue_status_fetch()
            (job,) = trap.enqueued_jobs
            with self.assertRaises(RetryableJobError) as caught:
                trap.perform_enqueued_jobs()
        self.assertIn("Cannot reach", str(caught.exception))
        self.assertIsNone(caught.exception.seconds, "the job function's retry pattern says when")
        self.assertEqual(job._get_retry_seconds(caught.exception.seconds), 60)
        # Outside a job (button, poll cron) the same error is logged on the batch.
        batch._fetch_and_apply()
        self.assertIn("Cannot reach", batch.last_error)
        self.assertEqual(batch.state, "sent")

    def test_error_for_a_person_is_logged_not_retried(self):
        batch = self._sent()

        def refused(connector, batch):
            raise UserError("PH-EE operations login failed: check the password")

        with trap_jobs() as trap, patch.object(self._connector_class(), "_fetch_status", refused):
            batch._enqueue_status_fetch()
            trap.perform_enqueued_jobs()
        self.assertIn("login failed", batch.last_error)
        self.assertIn("login failed", batch.log_ids.filtered(lambda log: log.kind == "error")[0].body)

    def test_callback_for_a_sent_batch_is_consumed(self):
        batch = self._sent()
        with trap_jobs() as trap:
            log, new = self._callback()
            again, new_again = self._callback()
            self.assertEqual((new, new_again, again), (True, False, log))
            self.assertFalse(log.processed, "the request only stores the event")
            dispatch_callbacks(trap, self.env)
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                batch._fetch_and_apply,
                kwargs={"stage": True},
                properties={"identity_key": "g2p_payment_batch_status_%s" % batch.id},
            )
            with patch.object(self._connector_class(), "_fetch_status", lambda connector, batch: []):
                trap.perform_enqueued_jobs()
        self.assertTrue(log.processed, "consumed by the status fetch")

    def test_new_callback_wakes_the_dispatcher_once_a_second(self):
        self._sent()
        patcher = patch.dict(g2p_payment_batch._LAST_WAKE, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        with trap_jobs() as trap:
            self._callback(b'{"message": "a"}')
            self._callback(b'{"message": "a"}')  # a duplicate wakes nothing
            self._callback(b'{"message": "b"}')  # within the second: no second wake
            trap.assert_jobs_count(1)
            (job,) = trap.enqueued_jobs
            self.assertEqual(job.method_name, "_dispatch_callbacks")
            self.assertEqual(job.identity_key, DISPATCH_IDENTITY_KEY)
            self.assertEqual(job.channel, STATUS_CHANNEL)
            self.assertGreater(job.eta, fields.Datetime.now())
            # A second later the next new callback wakes it again (a waiting one absorbs it).
            g2p_payment_batch._LAST_WAKE[self.env.cr.dbname] -= CALLBACK_WAKE_SECONDS
            self._callback(b'{"message": "c"}')
            self.assertEqual(len(trap.calls), 2)

    def test_callbacks_of_a_closed_batch_are_consumed_without_a_fetch(self):
        batch = self._sent()
        log, _new = self._callback()
        batch._set_completed()
        with trap_jobs() as trap:
            dispatch_callbacks(trap, self.env)
            trap.assert_jobs_count(0)
        self.assertTrue(log.processed)

    def test_callback_before_the_send_commits_stays_pending(self):
        with trap_jobs() as trap:
            log, new = self._callback()
            dispatch_callbacks(trap, self.env)
            trap.assert_jobs_count(1)
            (job,) = trap.enqueued_jobs
            self.assertTrue(new)
            self.assertFalse(log.processed)
            # The runner takes the job before the send commits: retried in seconds, nothing consumed.
            with self.assertRaises(RetryableJobError) as caught:
                job.perform()
            self.assertEqual(caught.exception.seconds, UNSENT_RETRY_SECONDS)
            self.assertTrue(caught.exception.ignore_retry, "waiting for the send uses no retry")
            self.assertEqual(job.retry, 0)
            self.assertFalse(log.processed)
            # The send commits; the next try fetches (the processor is down here: pattern retry)
            # and, once it answers, consumes the callback.
            self._sent()
            with self.assertRaises(RetryableJobError) as caught:
                job.perform()
            self.assertIsNone(caught.exception.seconds)
            with patch.object(self._connector_class(), "_fetch_status", lambda connector, batch: []):
                job.perform()
        self.assertTrue(log.processed)

    def test_old_pending_callback_leaves_it_to_the_poll_cron(self):
        log, _new = self._callback()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE g2p_payment_batch_log SET timestamp = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(hours=1),
                log.id,
            )
        )
        log.invalidate_recordset()
        with trap_jobs() as trap:
            dispatch_callbacks(trap, self.env)
            trap.assert_jobs_count(0)  # the dispatcher leaves it alone
            self.batch._enqueue_status_fetch()
            trap.perform_enqueued_jobs()  # no retry: the batch is not open, nothing to fetch
        self.assertFalse(log.processed)
