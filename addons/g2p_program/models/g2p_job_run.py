from odoo import api, fields, models

from .g2p_job_chunk import JOB_STATES

RUN_STATES = [("running", "Running"), ("done", "Done"), ("abandoned", "Abandoned")]


class G2pJobRun(models.Model):
    """One stage of a program or payroll (enrolment, re-verification, payroll generation,
    approval posting) run in chunks of ids, in background jobs when it is large.

    The chunks write only their own rows, so jobs running in parallel never write to the same
    row: progress is read from them. The stage ends once, in its finishing step, under a row lock
    on the record (see ``g2p.job.mixin``)."""

    _name = "g2p.job.run"
    _description = "G2P Background Stage"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    stage = fields.Char(required=True, readonly=True, index=True, help="Technical key of the stage.")
    res_model = fields.Char(string="Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Record", model_field="res_model", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Started By", required=True, readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(RUN_STATES, default="running", required=True, readonly=True, index=True)
    in_background = fields.Boolean(
        readonly=True, help="Run by background jobs (large); otherwise run at once in the request."
    )
    channel = fields.Char(readonly=True, help="The job channel its chunks ran in.")
    params = fields.Json(readonly=True, help="What the stage fixed when it started (its date, totals).")
    date_start = fields.Datetime(string="Started", readonly=True, default=fields.Datetime.now)
    date_done = fields.Datetime(string="Finished", readonly=True)
    total_count = fields.Integer(string="Rows", readonly=True, help="Rows the chunks cover.")
    job_uuid = fields.Char(string="Finishing Job", readonly=True, index=True, copy=False)
    job_state = fields.Selection(JOB_STATES, compute="_compute_job", string="Finishing Job State")
    error = fields.Text(compute="_compute_job", help="Why the finishing step failed.")
    chunk_ids = fields.One2many("g2p.job.chunk", "run_id", string="Chunks", readonly=True)
    chunk_count = fields.Integer(string="Parts", compute="_compute_progress")
    done_count = fields.Integer(string="Rows Done", compute="_compute_progress")
    result_count = fields.Integer(
        string="Changed", compute="_compute_progress", help="Rows the done chunks created or changed."
    )
    failed_count = fields.Integer(string="Failed Chunks", compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress", help="Share of the rows done, in %.")

    @api.depends("chunk_ids.state", "chunk_ids.row_count", "chunk_ids.result_count")
    def _compute_progress(self):
        self.env["g2p.job.chunk"].flush_model(["run_id", "state", "row_count", "result_count"])
        groups = self.env["g2p.job.chunk"]._read_group(
            [("run_id", "in", self.ids)],
            ["run_id", "state"],
            ["__count", "row_count:sum", "result_count:sum"],
        )
        figures = {(run.id, state): (count, rows, changed) for run, state, count, rows, changed in groups}
        failed = self.chunk_ids.filtered(lambda chunk: chunk.job_state == "failed")
        for run in self:
            pending = figures.get((run.id, "pending"), (0, 0, 0))
            done = figures.get((run.id, "done"), (0, 0, 0))
            run.chunk_count = pending[0] + done[0]
            run.done_count = done[1]
            run.result_count = done[2]
            run.failed_count = len(failed.filtered(lambda chunk, run=run: chunk.run_id == run))
            if run.state == "done":
                run.progress = 100.0
            else:
                total = pending[1] + done[1]
                run.progress = 100.0 * done[1] / total if total else 0.0

    @api.depends("job_uuid", "state")
    def _compute_job(self):
        jobs = {
            job.uuid: job
            for job in self.env["queue.job"]
            .sudo()
            .search([("uuid", "in", [uuid for uuid in self.mapped("job_uuid") if uuid])])
        }
        for run in self:
            job = jobs.get(run.job_uuid)
            if not run.job_uuid:
                run.job_state, run.error = "inline", False
            elif not job:
                run.job_state, run.error = ("done" if run.state == "done" else "missing"), False
            else:
                run.job_state = job.state
                run.error = (job.exc_message or job.exc_name) if job.state == "failed" else False

    def _record(self):
        self.ensure_one()
        return self.env[self.res_model].browse(self.res_id)

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_retry_failed_chunks(self):
        """Queue the failed chunks of this stage again (from the stage's own form)."""
        self.ensure_one()
        return self._record().action_retry_failed_chunks()

    def action_abandon(self):
        self.ensure_one()
        return self._record().action_abandon_stage()
