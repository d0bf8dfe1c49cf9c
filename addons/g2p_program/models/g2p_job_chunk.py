from odoo import api, fields, models

CHUNK_STATES = [("pending", "Waiting"), ("done", "Done")]
JOB_STATES = [
    ("inline", "Run at Once"),
    ("wait_dependencies", "Waiting for Other Jobs"),
    ("pending", "Pending"),
    ("enqueued", "Enqueued"),
    ("started", "Started"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
    ("failed", "Failed"),
    ("missing", "Job Missing"),
]


class G2pJobChunk(models.Model):
    """One chunk of a background stage: the rows whose id lies between ``id_from`` and ``id_to``
    (bounds computed with one query over the stage's ids, never OFFSET). Its state is written by
    the chunk itself, in the transaction of its work: a chunk is done exactly when its work is
    committed. Failures are read from its queue job, whose transaction was rolled back."""

    _name = "g2p.job.chunk"
    _description = "G2P Background Stage Chunk"
    _order = "run_id, sequence, id"

    run_id = fields.Many2one("g2p.job.run", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    sequence = fields.Integer(readonly=True)
    id_from = fields.Integer(string="From Id", readonly=True)
    id_to = fields.Integer(string="To Id", readonly=True)
    row_count = fields.Integer(string="Rows", readonly=True)
    result_count = fields.Integer(string="Changed", readonly=True, help="Rows this chunk created or changed.")
    state = fields.Selection(CHUNK_STATES, default="pending", required=True, readonly=True, index=True)
    date_done = fields.Datetime(string="Done", readonly=True)
    attempts = fields.Integer(readonly=True, default=1, help="Times this chunk was queued (1 + retries).")
    job_uuid = fields.Char(string="Job", readonly=True, index=True, copy=False)
    job_state = fields.Selection(JOB_STATES, compute="_compute_job", string="Job State")
    job_retries = fields.Integer(compute="_compute_job", string="Automatic Tries")
    error = fields.Text(compute="_compute_job", help="Why the chunk's last try failed.")

    @api.depends("job_uuid", "state")
    def _compute_job(self):
        # Job records are the job runner's (queue_job's managers); the stage's users see their state.
        jobs = {
            job.uuid: job
            for job in self.env["queue.job"]
            .sudo()
            .search([("uuid", "in", [uuid for uuid in self.mapped("job_uuid") if uuid])])
        }
        for chunk in self:
            job = jobs.get(chunk.job_uuid)
            if not chunk.job_uuid:
                chunk.job_state, chunk.job_retries, chunk.error = "inline", 0, False
            elif not job:
                # Done chunks may outlive their job (queue_job removes old done jobs).
                chunk.job_state = "done" if chunk.state == "done" else "missing"
                chunk.job_retries, chunk.error = 0, False
            else:
                chunk.job_state = job.state
                chunk.job_retries = job.retry
                chunk.error = (job.exc_message or job.exc_name) if job.state == "failed" else False
