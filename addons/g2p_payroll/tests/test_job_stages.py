from odoo.exceptions import UserError

from .common import PayrollCase
from odoo.addons.g2p_program.tests.jobs import chunk_job, small_stages
from odoo.addons.queue_job.tests.common import trap_jobs

CHANNEL = "root.g2p.payroll"


class TestPayrollJobStages(PayrollCase):
    """Payroll generation (chunks of beneficiary ids) and approval posting (chunks of payment
    ids) in background jobs when large: every row exactly once, nothing posted twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(5):
            cls.households |= cls._paid_household("JT-%s" % i, [30, 4], number="+2547000000%02d" % i)
        # One more household is due a payment but has no payment account: left out, once.
        cls.no_account = cls._family("JT-none", [30, 4])
        cls.env["g2p.program.eligibility.rule"].create(
            {"program_id": cls.program.id, "name": "ours", "domain": "[('name', '=like', 'JT-%')]"}
        )
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(1_000_000)

    def _lines(self, payroll):
        return self.env["g2p.payroll.line"].search([("payroll_id", "=", payroll.id)])

    def _skipped_count(self, payroll):
        return self.env["g2p.payroll.skipped"].search_count([("payroll_id", "=", payroll.id)])

    def test_generation_in_chunks(self):
        cycle = self._approved_cycle()
        payroll = self.env["g2p.payroll"].with_user(self.manager).create({"cycle_id": cycle.id})
        with small_stages(), trap_jobs() as trap:
            action = payroll.action_generate()
            self.assertIn("runs in the background: 6 rows in 3 parts", action["params"]["message"])
            trap.assert_jobs_count(4)
            self.assertEqual({job.channel for job in trap.enqueued_jobs}, {CHANNEL})
            run = payroll.g2p_job_run_id
            self.assertEqual(run.chunk_ids.mapped("row_count"), [2, 2, 2])
            self.assertEqual(payroll.g2p_job_stage, "Payment generation")
            # Locked while it runs: no second generation, no submission, no cancellation; nor a
            # change of the program's members under it.
            for action_name in ("action_generate", "action_submit", "action_cancel"):
                with self.assertRefused(UserError, "Payment generation is running in the background"):
                    getattr(payroll, action_name)()
            chunk_job(trap, run.chunk_ids[0]).perform()
            payroll.invalidate_recordset()
            self.assertAlmostEqual(payroll.g2p_job_progress, 100.0 * 2 / 6)
            trap.perform_enqueued_jobs()  # the first chunk again: it changes nothing
        payroll.invalidate_recordset()
        lines = self._lines(payroll)
        self.assertEqual(lines.beneficiary_id, self.households)
        self.assertEqual(len(lines), 5, "one payment per beneficiary")
        expected = self.program._compute_benefit_amounts(self.households.ids)
        self.assertEqual({line.beneficiary_id.id: line.amount for line in lines}, expected)
        self.assertEqual((payroll.skipped_count, self._skipped_count(payroll)), (1, 1))
        self.assertEqual(payroll.generated_by_id, self.manager)
        self.assertEqual((run.state, run.result_count), ("done", 5))
        self.assertFalse(payroll.g2p_job_running)
        # A chunk's SQL run again inserts no payment and no left-out row.
        for chunk in run.chunk_ids:
            self.assertEqual(payroll._generate_chunk(run, chunk.id_from, chunk.id_to), 0)
        self.assertEqual((len(self._lines(payroll)), self._skipped_count(payroll)), (5, 1))
        messages = payroll.message_ids.filtered(lambda m: "payments generated" in (m.body or ""))
        self.assertEqual(len(messages), 1)

    def test_approval_posting_in_chunks_posts_once(self):
        payroll = self._payroll(self._approved_cycle())
        payroll.with_user(self.manager).action_submit()
        total = payroll.total_amount
        open_before = self._open_payables()
        with small_stages(threshold=3, chunk_size=2), trap_jobs() as trap:
            action = payroll.with_user(self.approver).action_approve()
            self.assertIn("runs in the background: 5 rows in 3 parts", action["params"]["message"])
            trap.assert_jobs_count(4)
            self.assertEqual({job.channel for job in trap.enqueued_jobs}, {CHANNEL})
            run = payroll.g2p_job_run_id
            for action_name in ("action_reset_draft", "action_cancel"):
                with self.assertRefused(UserError, "Approval posting is running in the background"):
                    getattr(payroll.with_user(self.manager), action_name)()
            with self.assertRefused(UserError, "is busy"):
                payroll.with_user(self.approver).action_send_back()
            chunk_job(trap, run.chunk_ids[0]).perform()
            self.assertEqual(len(payroll.move_ids), 1, "one entry per chunk")
            self.assertEqual(payroll.state, "to_approve", "approved once, when every chunk is done")
            trap.perform_enqueued_jobs()  # the first chunk again: it posts nothing
        payroll.invalidate_recordset()
        lines = self._lines(payroll)
        self.assertEqual(set(lines.mapped("state")), {"approved"})
        self.assertTrue(all(lines.mapped("approval_move_line_id")))
        moves = payroll.move_ids
        self.assertEqual(len(moves), 3)
        self.assertBalanced(moves)
        self.assertAlmostEqual(open_before - self._open_payables(), total, 2)
        self.assertEqual(payroll.state, "approved")
        self.assertEqual(payroll.approved_by_id, self.approver)
        approvals = payroll.message_ids.filtered(lambda m: "Approved by" in (m.body or ""))
        self.assertEqual(len(approvals), 1)
        # A chunk's SQL run again posts nothing: entries and balances unchanged.
        for chunk in run.chunk_ids:
            self.assertEqual(payroll._approve_chunk(run, chunk.id_from, chunk.id_to), 0)
        self.assertEqual(payroll.move_ids, moves)
        self.assertAlmostEqual(open_before - self._open_payables(), total, 2)
        self.assertAlmostEqual(self.program.funds_committed, total, 2)

    def test_small_approval_posts_at_once_in_one_entry(self):
        payroll = self._payroll(self._approved_cycle())
        self._approve(payroll)
        self.assertEqual(payroll.state, "approved")
        self.assertEqual(len(payroll.move_ids), 1)
        run = payroll.g2p_job_run_id
        self.assertEqual((run.stage, run.in_background, run.result_count), ("approve", False, 5))

    def test_second_approval_of_the_program_waits_for_the_first(self):
        self.program.sudo().allow_overlapping_cycles = True
        first = self._payroll(self._approved_cycle())
        second = self._payroll(self._approved_cycle())
        (first | second).with_user(self.manager).action_submit()
        with small_stages(), trap_jobs() as trap:
            first.with_user(self.approver).action_approve()
            # Its payments are not committed until posted: the funds check of the second would
            # not count them.
            with self.assertRefused(UserError, "still being approved in the background"):
                second.with_user(self.approver).action_approve()
            trap.perform_enqueued_jobs()
        self.assertEqual(first.state, "approved")
        self.assertFalse(second.g2p_job_run_ids.filtered(lambda run: run.stage == "approve"))
        second.with_user(self.approver).action_approve()
        self.assertEqual(second.state, "approved")

    def test_outcomes_across_approval_chunks_reconcile_per_psp(self):
        """Per-PSP posting approved in chunks: a settlement spanning chunks may use up one chunk's
        approval item before all its payments are settled; the next settlement then reconciles
        with the payroll's other open items of that PSP (the item used up is not offered again)."""
        self.program.posting_granularity = "psp"
        payroll = self._payroll(self._approved_cycle())
        payroll.with_user(self.manager).action_submit()
        with small_stages(threshold=3, chunk_size=2), trap_jobs() as trap:
            payroll.with_user(self.approver).action_approve()
            trap.perform_enqueued_jobs()
        payroll.invalidate_recordset()
        lines = self._lines(payroll).sorted("id")
        self.assertEqual(len(lines.approval_move_line_id), 3, "one approval item per chunk")
        first, *rest = lines
        Line = self.env["g2p.payroll.line"]
        summary = Line._apply_payment_results([{"line_id": line.id, "status": "paid"} for line in rest])
        self.assertEqual((summary["paid"], summary["errors"]), (len(rest), []))
        summary = Line._apply_payment_results([{"line_id": first.id, "status": "paid"}])
        self.assertEqual((summary["paid"], summary["errors"]), (1, []))
        lines.invalidate_recordset()
        self.assertEqual(set(lines.mapped("state")), {"paid"})
        self.assertTrue(all(lines.approval_move_line_id.mapped("reconciled")), "every approval item settled")
        self.assertTrue(all(lines.settlement_move_line_id.mapped("reconciled")))
        self.assertAlmostEqual(sum(lines.approval_move_line_id.mapped("amount_residual")), 0.0, 2)
