from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..const import JOB_CHANNEL, JOB_CHUNK_SIZE


class G2pIntakeRun(models.Model):
    """One large intake (a file of thousands of households, a big pull) processed in the
    background: its staging records are applied by queue jobs of ``JOB_CHUNK_SIZE`` records, and
    the run shows how far they are. Progress is read from the records' states, so jobs running in
    parallel never write to the same row."""

    _name = "g2p.intake.run"
    _description = "Registry Intake Run"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(required=True, readonly=True)
    source_id = fields.Many2one(
        "g2p.intake.source", required=True, readonly=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="source_id.company_id", store=True)
    user_id = fields.Many2one(
        "res.users", string="Started By", default=lambda self: self.env.user, readonly=True
    )
    record_ids = fields.One2many("g2p.intake.record", "run_id", string="Staging Records", readonly=True)
    job_count = fields.Integer(
        string="Jobs", readonly=True, help="Background jobs the records were split into."
    )
    record_count = fields.Integer(string="Records", compute="_compute_progress")
    pending_count = fields.Integer(string="Waiting", compute="_compute_progress")
    imported_count = fields.Integer(string="Imported", compute="_compute_progress")
    duplicate_count = fields.Integer(string="Possible Duplicates", compute="_compute_progress")
    error_count = fields.Integer(string="Errors", compute="_compute_progress")
    progress = fields.Float(compute="_compute_progress", help="Share of the records processed, in %.")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")],
        compute="_compute_progress",
        help="Running while records wait for their job; Done when every record is processed.",
    )

    def _compute_progress(self):
        counts = {
            (run.id, state): count
            for run, state, count in self.env["g2p.intake.record"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        for run in self:
            total = sum(c for (rid, _state), c in counts.items() if rid == run.id)
            run.record_count = total
            run.pending_count = counts.get((run.id, "new"), 0)
            run.imported_count = counts.get((run.id, "imported"), 0)
            run.duplicate_count = counts.get((run.id, "duplicate"), 0)
            run.error_count = counts.get((run.id, "error"), 0)
            run.progress = 100.0 * (total - run.pending_count) / total if total else 100.0
            run.state = "running" if run.pending_count else "done"

    @api.model
    def _start(self, source, name, records):
        """A run of ``records`` (staged, not processed yet), their jobs enqueued; returns the run."""
        run = self.create({"name": name, "source_id": source.id})
        records.write({"run_id": run.id})
        chunks = list(split_every(JOB_CHUNK_SIZE, records.ids, records.browse))
        for number, chunk in enumerate(chunks, 1):
            chunk.with_delay(
                channel=JOB_CHANNEL,
                description=_(
                    "%(run)s: records %(number)s of %(count)s", run=name, number=number, count=len(chunks)
                ),
            )._process_job()
        run.job_count = len(chunks)
        run.message_post(
            body=_(
                "%(count)s records staged, to be applied by %(jobs)s background jobs.",
                count=len(records),
                jobs=len(chunks),
            )
        )
        return run

    def action_process_now(self):
        """Apply the records still waiting here, without the job runner (a server without one)."""
        self.ensure_one()
        pending = self.record_ids.filtered(lambda r: r.state == "new")
        if not pending:
            raise UserError(_("Every record of this run is processed already."))
        pending._process()
        self.message_post(body=_("%s waiting records applied by hand.", len(pending)))
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open_records(self):
        self.ensure_one()
        action = self.source_id.action_open_records()
        action["domain"] = [("run_id", "=", self.id)]
        action["display_name"] = _("Staging: %s", self.name)
        state = self.env.context.get("intake_state")
        action["context"] = {"search_default_" + state: 1} if state else {}
        return action
