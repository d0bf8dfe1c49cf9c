from unittest.mock import patch

from odoo.exceptions import AccessError, UserError

from .common import ProgramCase
from .jobs import chunk_job, run_stored_job, small_stages
from odoo.addons.queue_job.tests.common import trap_jobs

CHANNEL = "root.g2p.program"


class TestProgramJobStages(ProgramCase):
    """Enrolment and re-verification in chunks of registrant ids, in background jobs when large."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(5):
            cls.households |= cls._family("JT-%s" % i, [30, 4])
        cls.program = cls._program(name="Job Stages")
        # Only this test's households: the demo registry stays out of the counts.
        cls.env["g2p.program.eligibility.rule"].create(
            {"program_id": cls.program.id, "name": "ours", "domain": "[('name', '=like', 'JT-%')]"}
        )
        cls.program.action_activate()
        cls.program = cls.program.with_user(cls.manager)

    def _enrolled(self):
        return self._members(self.program).partner_id

    def test_small_enrolment_runs_at_once(self):
        with trap_jobs() as trap:
            action = self.program.action_enrol_eligible()
        trap.assert_jobs_count(0)
        self.assertEqual(self._enrolled(), self.households)
        self.assertIn("5 registrants newly enrolled", action["params"]["message"])
        run = self.program.g2p_job_run_id
        self.assertEqual(
            (run.state, run.in_background, run.total_count, run.result_count), ("done", False, 5, 5)
        )
        self.assertFalse(self.program.g2p_job_running)

    def test_large_enrolment_runs_in_chunks_with_progress_and_a_lock(self):
        with small_stages(), trap_jobs() as trap:
            action = self.program.action_enrol_eligible()
            self.assertEqual(action["params"]["type"], "info")
            self.assertIn("runs in the background: 5 rows in 3 parts", action["params"]["message"])
            # Three chunks of ids (2, 2, 1) and the finishing job, in the program channel.
            trap.assert_jobs_count(4)
            self.assertEqual({job.channel for job in trap.enqueued_jobs}, {CHANNEL})
            self.assertFalse(self._enrolled(), "nothing is enrolled before the jobs run")
            run = self.program.g2p_job_run_id
            self.assertEqual(run.chunk_ids.mapped("row_count"), [2, 2, 1])
            # Every eligible registrant lies in exactly one chunk.
            for household in self.households:
                covering = run.chunk_ids.filtered(lambda c, h=household: c.id_from <= h.id <= c.id_to)
                self.assertEqual(len(covering), 1, household.name)
            self.assertTrue(self.program.g2p_job_running)
            self.assertEqual(self.program.g2p_job_stage, "Enrolment")
            self.assertEqual((self.program.g2p_job_done, self.program.g2p_job_total), (0, 5))

            # The record is locked against conflicting actions while its jobs run.
            for action_name in ("action_enrol_eligible", "action_verify_eligibility", "action_end"):
                with self.assertRefused(UserError, "Enrolment is running in the background"):
                    getattr(self.program, action_name)()
            with self.assertRefused(UserError, "is busy"):
                self.program.action_refresh_payment_accounts()

            # One chunk done: progress shows it.
            chunk_job(trap, run.chunk_ids[0]).perform()
            self.program.invalidate_recordset()
            self.assertEqual((self.program.g2p_job_done, self.program.g2p_job_total), (2, 5))
            self.assertAlmostEqual(self.program.g2p_job_progress, 40.0)
            self.assertEqual(len(self._enrolled()), 2)

            # All jobs, the first one again: done twice, it changes nothing.
            trap.perform_enqueued_jobs()
        self.program.invalidate_recordset()
        self.assertEqual(self._enrolled(), self.households)
        self.assertEqual(len(self._members(self.program)), 5, "one membership each")
        self.assertEqual((run.state, run.done_count, run.result_count, run.progress), ("done", 5, 5, 100.0))
        self.assertFalse(self.program.g2p_job_running)
        messages = self.program.message_ids.filtered(lambda m: "Enrolment:" in (m.body or ""))
        self.assertEqual(len(messages), 1)
        self.assertIn("5 registrants newly enrolled", messages.body)
        # The finishing job run again finishes nothing twice; a chunk's SQL run again adds nobody.
        self.assertIn("finished already", self.program._g2p_job_finish(run.id))
        chunk = run.chunk_ids[0]
        self.assertEqual(self.program._enrol_chunk(run, chunk.id_from, chunk.id_to), 0)
        self.assertEqual(len(self._members(self.program)), 5)

    def test_reverification_in_chunks(self):
        self.program._enrol_eligible()
        # Two households lose their child: they no longer qualify.
        leaving = self.households[:2]
        rule = self.program.sudo().eligibility_rule_ids
        rule.domain = "[('name', 'in', %r)]" % self.households[2:].mapped("name")
        with small_stages(), trap_jobs() as trap:
            self.program.action_verify_eligibility()
            trap.assert_jobs_count(4)
            trap.perform_enqueued_jobs()
        self.assertEqual(self._enrolled(), self.households[2:])
        self.assertEqual(self._members(self.program, "not_eligible").partner_id, leaving)
        run = self.program.g2p_job_run_id
        self.assertEqual((run.stage, run.state, run.result_count), ("verify", "done", 2))
        # A chunk run again changes no state.
        for chunk in run.chunk_ids:
            self.assertEqual(self.program._verify_chunk(run, chunk.id_from, chunk.id_to), 0)

    def test_failed_chunk_shows_its_error_and_is_retried_from_the_record(self):
        Program = type(self.env["g2p.program"])
        original = Program._enrol_chunk
        failing = {"range": None}

        def flaky(program, run, lo, hi):
            if failing["range"] == (lo, hi):
                raise UserError("The registry database is being restored.")
            return original(program, run, lo, hi)

        with small_stages(), patch.object(Program, "_enrol_chunk", flaky):
            self.program.action_enrol_eligible()
            run = self.program.g2p_job_run_id
            chunks = run.chunk_ids
            failing["range"] = (chunks[1].id_from, chunks[1].id_to)
            self.assertTrue(all(chunks.mapped("job_uuid")))
            self.assertEqual(set(chunks.mapped("job_state")), {"pending"})
            self.assertTrue(run_stored_job(self.env, chunks[0].job_uuid))
            self.assertFalse(run_stored_job(self.env, chunks[1].job_uuid))
            self.assertTrue(run_stored_job(self.env, chunks[2].job_uuid))
            self.env.invalidate_all()
            # The failed chunk shows its error; the finishing job waits for it.
            self.assertEqual(chunks.mapped("state"), ["done", "pending", "done"])
            self.assertEqual(chunks[1].job_state, "failed")
            self.assertEqual(chunks[1].error, "The registry database is being restored.")
            self.assertEqual(run.job_state, "wait_dependencies")
            self.assertEqual(run.failed_count, 1)
            self.assertTrue(self.program.g2p_job_running)
            self.assertEqual(self.program.g2p_job_failed_count, 1)
            self.assertEqual(len(self._enrolled()), 3, "the failed chunk enrolled nobody")

            # Retried from the record: queued again, then done, and the stage finishes.
            failing["range"] = None
            self.program.action_retry_failed_chunks()
            self.env.invalidate_all()
            self.assertEqual((chunks[1].job_state, chunks[1].attempts), ("pending", 2))
            self.assertTrue(run_stored_job(self.env, chunks[1].job_uuid))
            self.env.invalidate_all()
            self.assertEqual(run.job_state, "pending", "the finishing job is queued once all chunks are done")
            self.assertTrue(run_stored_job(self.env, run.job_uuid))
        self.env.invalidate_all()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._enrolled(), self.households)
        self.assertFalse(self.program.g2p_job_running)
        with self.assertRefused(UserError, "No failed part to retry"):
            self.program.action_retry_failed_chunks()

    def test_a_failing_stage_is_abandoned_then_started_again(self):
        Program = type(self.env["g2p.program"])

        def broken(program, run, lo, hi):
            raise UserError("Disk full.")

        with small_stages():
            with patch.object(Program, "_enrol_chunk", broken):
                self.program.action_enrol_eligible()
                run = self.program.g2p_job_run_id
                with self.assertRefused(UserError, "Only a stage with failed parts"):
                    self.program.action_abandon_stage()
                self.assertFalse(run_stored_job(self.env, run.chunk_ids[0].job_uuid))
            self.env.invalidate_all()
            self.program.action_abandon_stage()
            self.env.invalidate_all()
            self.assertEqual(run.state, "abandoned")
            self.assertEqual(set(run.chunk_ids.mapped("job_state")), {"cancelled"})
            self.assertFalse(self.program.g2p_job_running)
            self.assertFalse(self._enrolled())
            # Free again: started anew, the stage enrols everyone.
            with trap_jobs() as trap:
                self.program.action_enrol_eligible()
                trap.perform_enqueued_jobs()
        self.assertEqual(self._enrolled(), self.households)
        self.program.invalidate_recordset()
        self.assertNotEqual(self.program.g2p_job_run_id, run)
        self.assertEqual(self.program.g2p_job_run_id.state, "done")

    def test_retry_needs_the_stage_rights(self):
        with small_stages(), trap_jobs():
            self.program.action_enrol_eligible()
        with self.assertRefused(AccessError, "Only program managers"):
            self.program.with_user(self.registrar).action_retry_failed_chunks()
