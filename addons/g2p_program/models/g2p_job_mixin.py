from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.g2p_registry.tools.notify import notification
from odoo.addons.queue_job.delay import group

#: Below this many rows a stage runs at once in the request (the same chunk code, inline);
#: above it, in background jobs of JOB_CHUNK_SIZE rows each.
JOB_INLINE_THRESHOLD = 5000
JOB_CHUNK_SIZE = 50000


class G2pJobMixin(models.AbstractModel):
    """Long stages of a record (a program's enrolment, a payroll's generation …) run in chunks by
    id range, in background jobs when they are large, with progress and a lock.

    A model using it declares ``_g2p_job_stages``: {stage: {"label": …, "chunk": method name,
    "finish": method name, "check": method name, "channel": job channel}}. ``chunk(run, lo, hi)``
    does the work for the rows with ids in [lo, hi] and returns how many rows it changed; it must
    be idempotent (run twice, it changes nothing the second time). ``finish(run)`` ends the stage
    once every chunk is done (the state change, the chatter message); ``check()`` refuses users
    who may not run the stage (also when they retry its failed chunks).

    ``_g2p_run_stage(stage, ranges)`` starts a stage; ranges come from ``_g2p_job_ranges(sql)``,
    one query over the ids. While a stage runs, the record's conflicting actions call
    ``_g2p_check_idle()`` and its form hides them (``g2p_job_running``)."""

    _name = "g2p.job.mixin"
    _description = "G2P Background Stages"

    _g2p_job_stages = {}

    g2p_job_run_ids = fields.One2many(
        "g2p.job.run",
        "res_id",
        string="Background Stages",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
    )
    g2p_job_run_id = fields.Many2one("g2p.job.run", string="Last Stage", compute="_compute_g2p_job")
    g2p_job_running = fields.Boolean(
        string="Stage Running", compute="_compute_g2p_job", help="A background stage is under way."
    )
    g2p_job_stage = fields.Char(string="Running Stage", compute="_compute_g2p_job")
    g2p_job_progress = fields.Float(string="Stage Progress", compute="_compute_g2p_job")
    g2p_job_done = fields.Integer(string="Rows Done", compute="_compute_g2p_job")
    g2p_job_total = fields.Integer(string="Rows to Do", compute="_compute_g2p_job")
    g2p_job_failed_count = fields.Integer(string="Failed Chunks", compute="_compute_g2p_job")

    def _compute_g2p_job(self):
        Run = self.env["g2p.job.run"].sudo()
        last = {}
        self.env["g2p.job.run"].flush_model(["res_model", "res_id"])
        if self.ids:
            for run_id, res_id in self.env.execute_query(
                SQL(
                    """SELECT DISTINCT ON (res_id) id, res_id FROM g2p_job_run
                        WHERE res_model = %s AND res_id = ANY(%s) ORDER BY res_id, id DESC""",
                    self._name,
                    list(self.ids),
                )
            ):
                last[res_id] = run_id
        runs = Run.browse(list(last.values()))
        runs.fetch(["state", "name", "total_count"])
        for record in self:
            run = Run.browse(last.get(record.id)) if record.id in last else Run
            running = bool(run) and run.state == "running"
            record.g2p_job_run_id = run.with_env(self.env)
            record.g2p_job_running = running
            record.g2p_job_stage = run.name if running else False
            record.g2p_job_progress = run.progress if run else 0.0
            record.g2p_job_done = run.done_count if run else 0
            record.g2p_job_total = run.total_count if run else 0
            record.g2p_job_failed_count = run.failed_count + (run.job_state == "failed") if running else 0

    # ------------------------------------------------------------------ lock

    def _g2p_running_runs(self):
        self.env["g2p.job.run"].flush_model(["state", "res_model", "res_id"])
        if not self.ids:
            return self.env["g2p.job.run"].sudo()
        return (
            self.env["g2p.job.run"]
            .sudo()
            .search([("res_model", "=", self._name), ("res_id", "in", self.ids), ("state", "=", "running")])
        )

    def _g2p_check_idle(self):
        """Refuse an action while a background stage of the record runs."""
        for run in self._g2p_running_runs():
            record = run._record()
            raise UserError(
                _(
                    "%(record)s is busy: %(stage)s is running in the background (%(progress)s %% done). "
                    "Wait until it finishes (or retry its failed parts) before doing this.",
                    record=record.display_name,
                    stage=run.name,
                    progress=round(run.progress),
                )
            )

    def _g2p_lock_row(self):
        """Lock the record's row as a writer does: a concurrent start (or finish) of a stage of
        the same record waits for this transaction, then fails to serialize and is retried, and
        sees what this one did."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET write_date = now() AT TIME ZONE 'UTC' WHERE id = %s",
                SQL.identifier(self._table),
                self.id,
            )
        )

    # ------------------------------------------------------------------ ranges and start

    @api.model
    def _g2p_job_ranges(self, ids_sql, size=None):
        """[(lo, hi, count)] covering the ids ``ids_sql`` selects (one column), each range holding
        ``size`` ids (the last fewer), from one query over the ids: never OFFSET."""
        size = size or JOB_CHUNK_SIZE
        return [
            (lo, hi, count)
            for lo, hi, count in self.env.execute_query(
                SQL(
                    """SELECT min(id), max(id), count(*)
                         FROM (SELECT src.id, (row_number() OVER (ORDER BY src.id) - 1) / %s AS bucket
                                 FROM (%s) AS src(id)) numbered
                     GROUP BY bucket ORDER BY bucket""",
                    size,
                    ids_sql,
                )
            )
        ]

    def _g2p_run_stage(self, stage, ranges, params=None, background=None):
        """Start ``stage`` over ``ranges``: at once in this request when small (or when
        ``background`` is False), else as one background job per range plus a finishing job once
        they are all done. Returns the ``g2p.job.run``."""
        self.ensure_one()
        spec = self._g2p_job_stages[stage]
        self._g2p_lock_row()
        self._g2p_check_idle()
        total = sum(count for _lo, _hi, count in ranges)
        if background is None:
            background = total > JOB_INLINE_THRESHOLD
        company = self["company_id"] if "company_id" in self._fields else self.env.company
        run = (
            self.env["g2p.job.run"]
            .sudo()
            .create(
                {
                    "name": spec["label"](self) if callable(spec["label"]) else spec["label"],
                    "stage": stage,
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": (company or self.env.company).id,
                    "user_id": self.env.uid,
                    "in_background": background,
                    "channel": spec["channel"] if background else False,
                    "params": params or {},
                    "total_count": total,
                    "chunk_ids": [
                        fields.Command.create({"sequence": n, "id_from": lo, "id_to": hi, "row_count": count})
                        for n, (lo, hi, count) in enumerate(ranges, 1)
                    ],
                }
            )
        )
        if not background:
            for chunk in run.chunk_ids:
                self._g2p_job_chunk(chunk.id)
            self._g2p_job_finish(run.id)
            return run
        chunk_jobs = []
        for chunk in run.chunk_ids:
            chunk_jobs.append(
                self.delayable(
                    channel=spec["channel"],
                    description=_(
                        "%(record)s: %(stage)s, part %(number)s of %(count)s",
                        record=self.display_name,
                        stage=run.name,
                        number=chunk.sequence,
                        count=len(run.chunk_ids),
                    ),
                )._g2p_job_chunk(chunk.id)
            )
        finish = self.delayable(
            channel=spec["channel"],
            description=_("%(record)s: %(stage)s, finishing", record=self.display_name, stage=run.name),
        )._g2p_job_finish(run.id)
        if chunk_jobs:
            group(*chunk_jobs).on_done(finish).delay()
        else:
            finish.delay()
        for chunk, delayable in zip(run.chunk_ids, chunk_jobs, strict=True):
            chunk.job_uuid = delayable._generated_job.uuid
        run.job_uuid = finish._generated_job.uuid
        return run

    def _g2p_stage_notification(self, run, title, next_action=None):
        """The notification after a button that started ``run`` in the background (then
        ``next_action``, by default a reload)."""
        return notification(
            title,
            _(
                "%(stage)s runs in the background: %(rows)s rows in %(chunks)s parts. Its progress "
                "shows on %(record)s; the buttons come back when it is done.",
                stage=run.name,
                rows=run.total_count,
                chunks=len(run.chunk_ids),
                record=self.display_name,
            ),
            "info",
            next_action=next_action,
        )

    # ------------------------------------------------------------------ the jobs

    def _g2p_job_chunk(self, chunk_id):
        """Job: do one chunk, unless it is done already (then nothing changes)."""
        self.ensure_one()
        chunk = self.env["g2p.job.chunk"].sudo().browse(chunk_id)
        # Lock the chunk's row: the same chunk run twice at once waits here, then sees it done.
        self.env["g2p.job.chunk"].flush_model(["state"])
        self.env.cr.execute(SQL("SELECT state FROM g2p_job_chunk WHERE id = %s FOR UPDATE", chunk_id))
        row = self.env.cr.fetchone()
        if not row or row[0] == "done" or chunk.run_id.state != "running":
            return _("Nothing to do: this chunk is done already.")
        run = chunk.run_id
        method = getattr(self, self._g2p_job_stages[run.stage]["chunk"])
        changed = method(run, chunk.id_from, chunk.id_to)
        chunk.write({"state": "done", "result_count": changed or 0, "date_done": fields.Datetime.now()})
        return _("%(changed)s of %(rows)s rows changed.", changed=changed or 0, rows=chunk.row_count)

    def _g2p_job_finish(self, run_id):
        """Job: end the stage once, when every chunk is done, under a lock on the record's row."""
        self.ensure_one()
        run = self.env["g2p.job.run"].sudo().browse(run_id)
        self._g2p_lock_row()
        self.env["g2p.job.run"].flush_model(["state"])
        self.env.cr.execute(SQL("SELECT state FROM g2p_job_run WHERE id = %s FOR UPDATE", run_id))
        row = self.env.cr.fetchone()
        if not row or row[0] != "running":
            return _("Nothing to do: this stage is finished already.")
        run.invalidate_recordset()
        pending = run.chunk_ids.filtered(lambda chunk: chunk.state != "done")
        if pending:
            raise UserError(
                _(
                    "%(stage)s cannot finish: %(count)s parts are not done yet.",
                    stage=run.name,
                    count=len(pending),
                )
            )
        getattr(self, self._g2p_job_stages[run.stage]["finish"])(run)
        run.write({"state": "done", "date_done": fields.Datetime.now()})
        return _("%s finished.", run.name)

    # ------------------------------------------------------------------ retry

    def action_retry_failed_chunks(self):
        """Queue the failed chunks of the record's running stage again; once they are done, the
        stage finishes by itself."""
        self.ensure_one()
        runs = self._g2p_running_runs()
        for run in runs:
            getattr(self, self._g2p_job_stages[run.stage]["check"])()
        failed = runs.chunk_ids.filtered(lambda chunk: chunk.state != "done" and chunk.job_state == "failed")
        failed_finish = runs.filtered(lambda run: run.job_state == "failed")
        if not failed and not failed_finish:
            raise UserError(_("No failed part to retry: the stage is running or done."))
        uuids = failed.mapped("job_uuid") + failed_finish.mapped("job_uuid")
        self.env["queue.job"].sudo().search([("uuid", "in", uuids)]).requeue()
        for chunk in failed:
            chunk.attempts += 1
        for run in runs:
            self.message_post(
                body=_(
                    "%(stage)s: %(count)s failed parts queued again by %(user)s.",
                    stage=run.name,
                    count=len(failed & run.chunk_ids),
                    user=self.env.user.name,
                )
            )
        return notification(
            _("Retrying"),
            _("%(count)s failed parts queued again.", count=len(failed) + len(failed_finish)),
            "info",
        )

    def action_abandon_stage(self):
        """Give up a stage whose parts failed: its waiting jobs are cancelled and the record is
        free again. What the done parts did stays (each stage can be started again: enrolment and
        re-verification redo only what is missing, generation starts over, approval posts the
        payments still pending)."""
        self.ensure_one()
        runs = self._g2p_running_runs()
        for run in runs:
            getattr(self, self._g2p_job_stages[run.stage]["check"])()
        failing = runs.filtered(
            lambda run: run.job_state == "failed" or "failed" in run.chunk_ids.mapped("job_state")
        )
        if not failing:
            raise UserError(_("Only a stage with failed parts can be abandoned: wait until it finishes."))
        self._g2p_lock_row()
        uuids = failing.chunk_ids.filtered(lambda chunk: chunk.state != "done").mapped("job_uuid")
        uuids += failing.mapped("job_uuid")
        self.env["queue.job"].sudo().search([("uuid", "in", uuids)]).button_cancelled()
        failing.write({"state": "abandoned", "date_done": fields.Datetime.now()})
        for run in failing:
            self.message_post(
                body=_(
                    "%(stage)s abandoned by %(user)s after %(done)s of %(total)s rows; start it again "
                    "to finish the work.",
                    stage=run.name,
                    user=self.env.user.name,
                    done=run.done_count,
                    total=run.total_count,
                )
            )
        return notification(
            _("Stage abandoned"),
            _("%(stage)s is abandoned: the record is free again.", stage=", ".join(failing.mapped("name"))),
            "warning",
        )
