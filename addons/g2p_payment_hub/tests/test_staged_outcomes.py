"""Outcomes staged by the status jobs and applied by one job per payroll: the same lines, entries
and counts as applying each batch at once, but one settlement entry per processor and run; a
repeated outcome is staged once and applied once; a failed apply job leaves its outcomes staged
and its retry applies them the same way."""

from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db

from .common import PaymentHubCase, perform_trapped_jobs
from odoo.addons.g2p_payment_hub.models import g2p_payment_outcome
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

APPLY_CHANNEL = "root.g2p.payment_hub.apply"


class _Undo(Exception):
    """Raised to roll a savepoint back."""


class TestStagedOutcomes(PaymentHubCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._base_connectors(batch_max_rows=3)

    def setUp(self):
        super().setUp()
        self.payroll = self._approved_payroll()
        mobile = self.payroll.line_ids.filtered(lambda line: line.psp_id == self.mobile_psp)
        with self._fake_payloads():
            self.batches = self.payroll._create_payment_batches(mobile)
        self.assertGreaterEqual(len(self.batches), 3, "several batches of one PSP")
        self.batches._set_sent("ext")
        # The processor's answer: the first payment of every batch failed, the others paid.
        self.answers = {}
        for batch in self.batches:
            for index, attempt in enumerate(batch.attempt_ids.sorted("id")):
                self.answers[attempt.request_id] = (
                    {"status": "failed", "reason_code": "ACCOUNT_CLOSED", "reason": "Closed account"}
                    if index == 0
                    else {"status": "paid", "psp_reference": "PSP-%s" % attempt.request_id[:8]}
                )

    def _patched_fetch(self):
        """The processor answers with ``self.answers`` for every attempt of the batch asked."""
        answers = self.answers

        def fetch(connector, batch):
            outcomes = [{"request_id": a.request_id, **answers[a.request_id]} for a in batch.attempt_ids]
            return batch._results_from_outcomes(outcomes)

        return patch.object(type(self.env["g2p.payment.connector"]), "_fetch_status", fetch)

    def _state(self):
        lines = self.batches.attempt_ids.payroll_line_id
        moves = self.env["account.move"].search([("g2p_payroll_id", "=", self.payroll.id)])
        return {
            "lines": sorted((line.payment_number, line.state, line.psp_reference or "") for line in lines),
            "counts": sorted((b.paid_count, b.failed_count, b.pending_count, b.state) for b in self.batches),
            "paid_amount": sum(self.batches.mapped("paid_amount")),
            "moves": moves,
        }

    def _stage_all(self, trap):
        """The callbacks' status jobs, one per batch, performed: they only stage."""
        self.batches._enqueue_status_fetch()
        status_jobs = list(trap.enqueued_jobs)
        trap.enqueued_jobs[:] = []
        for job in status_jobs:
            job.perform()
        return status_jobs

    def _new_entries(self, before):
        """{event: (entries, total debit)} of the payroll's entries not in ``before``."""
        moves = self._state()["moves"] - before
        for move in moves:
            self.assertEqual(move.state, "posted")
            self.assertTrue(move.currency_id.is_zero(sum(move.line_ids.mapped("balance"))), "balanced")
        return {
            event: (len(group), sum(group.line_ids.mapped("debit")))
            for event in set(moves.mapped("g2p_event"))
            for group in [moves.filtered(lambda m, e=event: m.g2p_event == e)]
        }

    def test_status_jobs_stage_and_one_job_applies_like_the_direct_fetch(self):
        before = self._state()["moves"]
        # What the button's path (each batch fetched and applied at once) gives, then undone.
        try:
            with self.env.cr.savepoint(), self._patched_fetch():
                for batch in self.batches:
                    batch._fetch_and_apply()
                direct = {key: value for key, value in self._state().items() if key != "moves"}
                direct_entries = self._new_entries(before)
                raise _Undo
        except _Undo:
            self.env.invalidate_all()
        self.assertEqual(set(self.batches.attempt_ids.payroll_line_id.mapped("state")), {"sent"})
        self.assertEqual(direct_entries["payment"][0], len(self.batches), "at once: an entry per batch")

        with trap_jobs() as trap, self._patched_fetch():
            self._stage_all(trap)
            staged = self.env["g2p.payment.outcome"].sudo().search([("payroll_id", "=", self.payroll.id)])
            self.assertEqual(len(staged), len(self.batches.attempt_ids), "every final outcome staged")
            self.assertEqual(set(staged.mapped("applied")), {False})
            self.assertEqual(
                set(self.batches.attempt_ids.payroll_line_id.mapped("state")), {"sent"}, "nothing applied yet"
            )
            # Each status job queued an apply job of the payroll, in the apply channel: the first
            # applies every outcome staged, the others find nothing left.
            self.assertEqual(
                [(job.method_name, job.channel, job.recordset) for job in trap.enqueued_jobs],
                [("_apply_staged_outcomes", APPLY_CHANNEL, self.payroll)] * len(self.batches),
            )
            first, *others = trap.enqueued_jobs
            trap.enqueued_jobs[:] = others
            first.perform()
            self.assertEqual(set(staged.mapped("applied")), {True}, "the first run applied all")
            perform_trapped_jobs(trap, self.env.cr)
        self.assertEqual(set(staged.mapped("applied")), {True})
        self.assertEqual({key: value for key, value in self._state().items() if key != "moves"}, direct)
        entries = self._new_entries(before)
        # One payment and one failure entry for all the batches of the PSP, of the same amounts.
        self.assertEqual(entries["payment"], (1, direct_entries["payment"][1]))
        self.assertEqual(entries["failure"], (1, direct_entries["failure"][1]))

    def test_a_repeated_outcome_is_staged_once_and_applied_once(self):
        with trap_jobs() as trap, self._patched_fetch():
            self._stage_all(trap)
            perform_trapped_jobs(trap, self.env.cr)
            first = self._state()
            # The processor calls back again; the status jobs fetch the same answers.
            self._stage_all(trap)
            self.assertEqual(trap.enqueued_jobs, [], "nothing new staged: no apply job")
            staged = self.env["g2p.payment.outcome"].sudo().search([("payroll_id", "=", self.payroll.id)])
            self.assertEqual(len(staged), len(self.batches.attempt_ids))
            # An apply run with nothing staged, and the staged outcomes applied a second time.
            self.payroll._apply_staged_outcomes()
            staged.write({"applied": False})
            self.payroll._apply_staged_outcomes()
        again = self._state()
        self.assertEqual(again["lines"], first["lines"])
        self.assertEqual(again["counts"], first["counts"])
        self.assertEqual(again["moves"], first["moves"], "no entry posted twice")

    def test_a_failed_apply_job_is_retried_with_the_same_result(self):
        with trap_jobs() as trap, self._patched_fetch():
            self._stage_all(trap)
            job = trap.enqueued_jobs[0]
            trap.enqueued_jobs[:] = []
            Payroll = type(self.env["g2p.payroll"])
            original = Payroll._post_settlement_move

            def broken(payroll, *args, **kwargs):
                raise RuntimeError("database went away")

            self.env.cr.execute("SAVEPOINT apply_job")
            with patch.object(Payroll, "_post_settlement_move", broken), self.assertRaises(RuntimeError):
                job.perform()
            # The job's transaction is rolled back, as the runner's would be.
            self.env.cr.execute("ROLLBACK TO SAVEPOINT apply_job")
            self.env.invalidate_all()
            staged = self.env["g2p.payment.outcome"].sudo().search([("payroll_id", "=", self.payroll.id)])
            self.assertEqual(set(staged.mapped("applied")), {False}, "still staged for the retry")
            self.assertEqual(set(self.batches.attempt_ids.payroll_line_id.mapped("state")), {"sent"})
            self.assertIs(Payroll._post_settlement_move, original)
            job.perform()
        state = self._state()
        paid = sum(1 for _number, line_state, _ref in state["lines"] if line_state == "paid")
        failed = sum(1 for _number, line_state, _ref in state["lines"] if line_state == "failed")
        self.assertEqual(
            (paid, failed), (len(self.batches.attempt_ids) - len(self.batches), len(self.batches))
        )
        self.assertEqual(set(staged.mapped("applied")), {True})

    def test_an_apply_run_waits_for_the_one_holding_the_payroll(self):
        other = self.env.registry.cursor()
        try:
            other.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (g2p_payment_outcome.APPLY_LOCK_KEY, self.payroll.id)
            )
            with self.assertRaises(RetryableJobError) as caught:
                self.payroll._apply_staged_outcomes()
            self.assertTrue(caught.exception.ignore_retry)
        finally:
            other.rollback()
            other.close()

    def test_a_run_takes_at_most_the_limit_and_queues_the_next(self):
        with trap_jobs() as trap, self._patched_fetch(), patch.object(g2p_payment_outcome, "APPLY_LIMIT", 4):
            self._stage_all(trap)
            trap.enqueued_jobs[:] = []
            result = self.payroll._apply_staged_outcomes()
            self.assertIn("more to apply", result)
            staged = self.env["g2p.payment.outcome"].sudo().search([("payroll_id", "=", self.payroll.id)])
            self.assertEqual(len(staged.filtered("applied")), 4)
            self.assertEqual([job.method_name for job in trap.enqueued_jobs], ["_apply_staged_outcomes"])
            perform_trapped_jobs(trap, self.env.cr)
        self.assertEqual(set(staged.mapped("applied")), {True})
        self.assertFalse(
            self.batches.attempt_ids.payroll_line_id.filtered(lambda line: line.state == "sent"),
            "all applied",
        )


class TestApplyJobJoined(PaymentHubCase):
    """Status jobs join the payroll's waiting apply job instead of queuing one each: a national
    payroll's hundreds of status jobs then make a few apply runs, not one per batch."""

    DOMAIN = [("model_name", "=", "g2p.payroll"), ("method_name", "=", "_apply_staged_outcomes")]

    def test_a_waiting_job_is_joined_and_a_handed_over_one_is_not(self):
        payroll = self._approved_payroll()
        Job = self.env["queue.job"]
        before = Job.search(self.DOMAIN)
        payroll._enqueue_apply_outcomes()
        payroll._enqueue_apply_outcomes()
        jobs = Job.search(self.DOMAIN) - before
        self.assertEqual(len(jobs), 1, "the second status job joined the waiting apply job")
        # Handed to a worker: its run may have taken its snapshot already, so it is not joined.
        jobs.state = "enqueued"
        payroll._enqueue_apply_outcomes()
        payroll._enqueue_apply_outcomes()
        jobs = Job.search(self.DOMAIN) - before
        self.assertEqual(sorted(jobs.mapped("state")), ["enqueued", "pending"])
        self.assertEqual({job.records.id for job in jobs}, {payroll.id}, "jobs of this payroll only")

    def test_a_job_handed_over_after_the_snapshot_is_not_joined(self):
        """Across real transactions: a job the runner hands over after a status job's snapshot was
        taken is not joined (joining it could lose what the status job stages), and the status
        job's transaction goes on."""
        dbname = self.env.cr.dbname
        payroll_id = 2_000_000_000  # a payroll id no test creates: only the queue is involved
        cursors = [sql_db.db_connect(dbname).cursor() for _i in range(3)]
        setup, status_job, runner = cursors
        job = None
        try:
            job = (
                api.Environment(setup, SUPERUSER_ID, {})["g2p.payroll"]
                .browse(payroll_id)
                # Not due for an hour: the job runner of the test server leaves it waiting.
                .with_delay(eta=3600)
                ._apply_staged_outcomes()
            )
            setup.commit()
            locker = api.Environment(runner, SUPERUSER_ID, {})["g2p.payroll"].browse(payroll_id)
            self.assertTrue(locker._lock_waiting_apply_job(), "a waiting job is joined")
            runner.rollback()
            status_job.execute("SELECT 1")  # its snapshot
            runner.execute("UPDATE queue_job SET state = 'enqueued' WHERE uuid = %s", [job.uuid])
            runner.commit()
            joiner = api.Environment(status_job, SUPERUSER_ID, {})["g2p.payroll"].browse(payroll_id)
            self.assertFalse(joiner._lock_waiting_apply_job())
            status_job.execute("SELECT count(*) FROM queue_job WHERE uuid = %s", [job.uuid])
            self.assertEqual(status_job.fetchone()[0], 1, "the transaction goes on")
            status_job.rollback()
        finally:
            for cr in cursors:
                cr.rollback()
            if job:
                setup.execute("DELETE FROM queue_job WHERE uuid = %s", [job.uuid])
            setup.commit()
            for cr in cursors:
                cr.close()
