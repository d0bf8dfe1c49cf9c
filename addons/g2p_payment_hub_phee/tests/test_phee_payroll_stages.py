"""The payment hub's long work as background stages of the payroll (g2p.job.mixin), against the
PH-EE simulator over real HTTP: batch creation in chunks of payment ids (per PSP), sending and
status fetch with reconciliation in chunks of batches, each in its job channel. Run in chunks
(background jobs, performed here synchronously) it gives the same batches, attempts, outcomes and
entries as run at once; a chunk done twice changes nothing; a failed chunk shows its error and is
retried from the payroll; the payroll refuses conflicting actions while a stage runs."""

import time
from contextlib import contextmanager
from unittest.mock import patch

import requests

from odoo.exceptions import UserError

from .simulators.phee import DEFAULT_CONFIG, connector_values, run_phee_simulator
from odoo.addons.g2p_payment_hub.tests.psp_common import FAST_TRANSPORT, PspCase
from odoo.addons.g2p_program.tests.jobs import chunk_job, run_stored_job, small_stages
from odoo.addons.queue_job.tests.common import trap_jobs

HUB = "odoo.addons.g2p_payment_hub.models.g2p_payroll"
CHANNELS = {
    "batch": "root.g2p.payment_hub",
    "send": "root.g2p.payment_hub.send",
    "status": "root.g2p.payment_hub.status",
}
#: Callbacks are dropped: the status comes from the payroll's Fetch Status only. The processor
#: rejects the transfer of household 5 (its wallet number ends in 0000005).
SIM_CONFIG = {"callback_drop": True, "fail_if_payee_endswith": ["0000005"]}
DEAD_URL = "http://127.0.0.1:9"


@contextmanager
def small_hub_stages(send_batches=2, status_batches=1):
    """Stages above 3 payments in background jobs; batch creation in chunks of 4 payments of a
    PSP, sending in chunks of ``send_batches`` batches, status fetch of ``status_batches``."""
    with (
        small_stages(threshold=3, chunk_size=4),
        patch(HUB + ".SEND_CHUNK_BATCHES", send_batches),
        patch(HUB + ".STATUS_CHUNK_BATCHES", status_batches),
    ):
        yield


class TestPheePayrollStages(PspCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._sim_context = run_phee_simulator(**SIM_CONFIG)
        cls.sim = cls._sim_context.__enter__()
        cls.addClassCleanup(cls._sim_context.__exit__, None, None, None)
        Connector = cls.env["g2p.payment.connector"]
        common = {
            **connector_values(cls.sim.url),
            **FAST_TRANSPORT,
            "state": "test",
            "batch_max_rows": 4,
            "phee_callback_base_url": DEAD_URL,
        }
        cls.mobile_connector = Connector.create(
            {**common, "name": "PH-EE mobile", "psp_id": cls.mobile_psp.id}
        )
        cls.bank_connector = Connector.create({**common, "name": "PH-EE bank", "psp_id": cls.bank_psp.id})
        # Two payrolls of the same households: one run at once, one in chunks.
        cls.program.sudo().allow_overlapping_cycles = True

    def setUp(self):
        super().setUp()
        self.sim.control("reset")

    # ------------------------------------------------------------------ helpers

    def _wait_processed(self, payroll):
        """Wait until the simulator has processed every accepted batch of ``payroll``."""
        tenant = DEFAULT_CONFIG["tenants"][0]
        deadline = time.monotonic() + 20
        for batch in payroll.batch_ids.filtered("external_id"):
            while True:
                response = requests.get(
                    "%s/api/v1/batch" % self.sim.url,
                    params={"batchId": batch.external_id},
                    headers={"Platform-TenantId": tenant},
                    timeout=10,
                )
                body = response.json() if response.status_code == 200 else {}
                if body.get("total") == batch.total_count and not body.get("ongoing"):
                    break
                self.assertLess(time.monotonic(), deadline, "the simulator did not process %s" % batch.name)
                time.sleep(0.05)

    def _stage(self, payroll, action, trap, stage):
        """Press ``action`` on ``payroll`` (finance officer) with small stages: it runs in
        background jobs of the stage's channel; a chunk done twice, then every job. Returns the run."""
        result = getattr(payroll.with_user(self.finance), action)()
        self.assertEqual(result["params"]["type"], "info", result["params"]["message"])
        self.assertIn("runs in the background", result["params"]["message"])
        self.env.invalidate_all()
        run = payroll.g2p_job_run_id
        self.assertEqual((run.stage, run.state, run.in_background), (stage, "running", True))
        self.assertEqual({job.channel for job in trap.enqueued_jobs}, {CHANNELS[stage]})
        trap.assert_jobs_count(len(run.chunk_ids) + 1)
        chunk_job(trap, run.chunk_ids[0]).perform()
        self.env.invalidate_all()
        self.assertTrue(payroll.g2p_job_running)
        self.assertEqual(payroll.g2p_job_done, run.chunk_ids[0].row_count)
        trap.perform_enqueued_jobs()  # the first chunk again: it changes nothing
        trap.enqueued_jobs.clear()
        self.env.invalidate_all()
        self.assertEqual(run.state, "done")
        self.assertFalse(payroll.g2p_job_running)
        return run

    def _signature(self, payroll):
        """What the hub made of ``payroll``, by household (not by payment number or id, which
        differ between payrolls): batches with their payments and counts, attempts, outcomes, and
        the entries' totals per event, account and partner."""
        payroll.invalidate_recordset()
        self.env.invalidate_all()
        batches = sorted(
            (
                batch.connector_id.name,
                tuple(sorted(batch.attempt_ids.beneficiary_id.mapped("name"))),
                batch.state,
                batch.total_count,
                batch.paid_count,
                batch.failed_count,
                batch.pending_count,
                round(batch.total_amount, 2),
            )
            for batch in payroll.batch_ids
        )
        attempts = sorted(
            (attempt.beneficiary_id.name, attempt.amount, attempt.state, attempt.status)
            for attempt in payroll.batch_ids.attempt_ids
        )
        lines = {
            line.beneficiary_id.name: (
                line.state,
                line.failure_reason_id.code or "",
                bool(line.psp_reference),
            )
            for line in payroll.line_ids
        }
        entries = {}
        for aml in payroll.move_ids.line_ids:
            key = (aml.move_id.g2p_event, aml.account_id.code, aml.partner_id.name or "")
            debit, credit = entries.get(key, (0.0, 0.0))
            entries[key] = (round(debit + aml.debit, 2), round(credit + aml.credit, 2))
        return {"batches": batches, "attempts": attempts, "lines": lines, "entries": entries}

    def assertNothingSentTwice(self):
        received = self.sim.control("received")
        self.assertEqual(received["duplicateRequestIds"], [])
        self.assertEqual(received["duplicateCorrelationIds"], [])
        return received

    # ------------------------------------------------------------------ tests

    def test_chunked_run_equals_the_run_at_once(self):
        # Both approved first: the second has no re-payment of the first's failed payment.
        at_once, payroll = self._approved_payroll(), self._approved_payroll()
        for action in ("action_create_batches", "action_send_batches"):
            getattr(at_once.with_user(self.finance), action)()
        self._wait_processed(at_once)
        at_once.with_user(self.finance).action_fetch_status()
        self.assertEqual(at_once.state, "reconciled")
        self.assertFalse(at_once.g2p_job_run_ids.filtered("in_background"), "small: run at once")
        expected = self._signature(at_once)
        self.assertEqual(len(expected["batches"]), 4)  # 9 mobile by 4, 3 bank
        self.assertEqual(expected["lines"]["HH05"][:2], ("failed", "PSP_REJECTED"))

        with small_hub_stages(), trap_jobs() as trap:
            run = self._stage(payroll, "action_create_batches", trap, "batch")
            # Chunks of one PSP's payments, each a whole number of batches: 4 + 4 + 1 mobile, 3 bank.
            self.assertEqual(sorted(run.chunk_ids.mapped("row_count")), [1, 3, 4, 4])
            self.assertEqual((run.total_count, run.result_count), (12, 12))
            self.assertEqual(len(payroll.batch_ids), 4)
            self.assertEqual(set(payroll.batch_ids.mapped("state")), {"queued"})
            self.assertEqual(len(payroll.batch_ids.attempt_ids), 12)
            self.assertEqual(payroll.unsent_batch_count, 4)
            self.assertIn("12 payments put in 4 payment batches", payroll.message_ids[0].body)

            run = self._stage(payroll, "action_send_batches", trap, "send")
            self.assertEqual(len(run.chunk_ids), 2)
            self.assertEqual((run.total_count, run.result_count), (12, 12))
            self.assertEqual(payroll.state, "in_payment")
            self.assertEqual((payroll.unsent_batch_count, payroll.open_batch_count), (0, 4))
            self.assertEqual(self.assertNothingSentTwice()["acceptedBatches"], 4 + 4, "both payrolls'")
            self._wait_processed(payroll)

            run = self._stage(payroll, "action_fetch_status", trap, "status")
            self.assertEqual(len(run.chunk_ids), 4)
            self.assertEqual(run.result_count, 12)
        self.assertEqual(payroll.state, "reconciled")
        self.assertEqual(self._signature(payroll), expected)
        self.assertBalanced(payroll.move_ids)
        self.assertNothingSentTwice()

        # Each chunk's work done once more: no batch, no attempt, no submission, no entry.
        submissions = len(self.sim.control("received")["submissions"])
        moves = payroll.move_ids
        for run in payroll.g2p_job_run_ids:
            method = getattr(payroll, payroll._g2p_job_stages[run.stage]["chunk"])
            for chunk in run.chunk_ids:
                self.assertEqual(method(run, chunk.id_from, chunk.id_to), 0, run.stage)
        self.assertEqual(self._signature(payroll), expected)
        self.assertEqual(payroll.move_ids, moves)
        self.assertEqual(len(self.sim.control("received")["submissions"]), submissions)

    def test_failed_chunk_is_shown_and_retried_from_the_payroll(self):
        payroll = self._approved_payroll()
        finance_payroll = payroll.with_user(self.finance)
        finance_payroll.action_create_batches()
        finance_payroll.action_send_batches()
        self._wait_processed(payroll)
        # The bank's processor cannot be reached for its status.
        self.bank_connector.phee_ops_url = DEAD_URL
        with small_hub_stages():
            finance_payroll.action_fetch_status()
            run = payroll.g2p_job_run_id
            chunks = run.chunk_ids
            self.assertEqual(len(chunks), 4, "one batch per chunk")
            bank_batch = payroll.batch_ids.filtered(lambda b: b.connector_id == self.bank_connector)
            failing = chunks.filtered(lambda c: c.id_from <= bank_batch.id <= c.id_to)
            for chunk in chunks:
                # A processor that cannot be reached fails the job (after its automatic retries).
                self.assertEqual(run_stored_job(self.env, chunk.job_uuid), chunk != failing)
            self.env.invalidate_all()
            self.assertEqual(failing.job_state, "failed")
            self.assertIn("Cannot reach", failing.error)
            self.assertEqual(run.job_state, "wait_dependencies", "the finishing job waits for it")
            self.assertTrue(payroll.g2p_job_running)
            self.assertEqual(payroll.g2p_job_failed_count, 1)
            self.assertEqual(payroll.g2p_job_stage, "Status fetch")
            self.assertEqual((payroll.g2p_job_done, payroll.g2p_job_total), (9, 12))
            mobile = payroll.line_ids.filtered(lambda line: line.psp_id == self.mobile_psp)
            bank = payroll.line_ids - mobile
            self.assertEqual(set(bank.mapped("state")), {"sent"}, "the failed chunk applied nothing")
            self.assertEqual(set(mobile.mapped("state")), {"paid", "failed"})

            # Locked while it runs: the hub's buttons, the batches' own and the payroll's others.
            hub_actions = ("action_create_batches", "action_send_batches", "action_fetch_status")
            for action in (*hub_actions, "action_close"):
                with self.assertRefused(UserError, "Status fetch is running in the background"):
                    getattr(finance_payroll, action)()
            for action in ("action_fetch_status", "action_send", "action_cancel"):
                with self.assertRefused(UserError, "is busy"):
                    getattr(bank_batch.with_user(self.finance), action)()

            # Reachable again, the failed part is retried from the payroll; the stage finishes.
            self.bank_connector.phee_ops_url = self.sim.url
            finance_payroll.action_retry_failed_chunks()
            self.env.invalidate_all()
            self.assertEqual((failing.job_state, failing.attempts), ("pending", 2))
            self.assertTrue(run_stored_job(self.env, failing.job_uuid))
            self.assertTrue(run_stored_job(self.env, run.job_uuid))
        self.env.invalidate_all()
        self.assertEqual(run.state, "done")
        self.assertFalse(payroll.g2p_job_running)
        self.assertEqual(payroll.state, "reconciled")
        failed = payroll.line_ids.filtered(lambda line: line.beneficiary_id.name == "HH05")
        self.assertSettled(payroll, payroll.line_ids - failed, failed)
        self.assertFalse(bank_batch.last_error, "answered at last: the batch's error is over")
        self.assertIn("11 paid and 1 failed in all, 0 still waiting", payroll.message_ids[0].body)
        self.assertNothingSentTwice()

    def test_stages_need_a_finance_officer_and_something_to_do(self):
        payroll = self._approved_payroll()
        with self.assertRefused(UserError, "No payment batch .* is waiting to be sent"):
            payroll.with_user(self.finance).action_send_batches()
        with self.assertRefused(UserError, "No payment batch .* waits for its outcome"):
            payroll.with_user(self.finance).action_fetch_status()
        for action in ("action_create_batches", "action_send_batches", "action_fetch_status"):
            with self.assertRefused(Exception, "Only finance officers"):
                getattr(payroll.with_user(self.manager), action)()
        # A PSP without a connector stops the batch creation before anything runs.
        self.bank_connector.state = "disabled"
        with self.assertRefused(UserError, "no enabled payment connector"):
            payroll.with_user(self.finance).action_create_batches()
        self.assertFalse(payroll.g2p_job_run_ids.filtered(lambda run: run.stage == "batch"))
