import logging
import secrets
import time
import uuid
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..const import BATCH_STATES, OPEN_BATCH_STATES, UNSENT_BATCH_STATES
from ..exceptions import G2pTransportError
from odoo.addons.g2p_registry.const import SECRET_GROUPS
from odoo.addons.g2p_registry.tools.notify import notification
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

FINANCE_GROUP = "g2p_payroll.group_g2p_finance_officer"
#: A status job for a batch whose Send has not committed yet tries again after this many seconds
#: (not counted against the job's max retries: a send may take minutes with its transport retries)...
UNSENT_RETRY_SECONDS = 5
#: ... while a pending callback of the batch is younger than this; then the poll cron takes over.
UNSENT_RETRY_MINUTES = 30
#: A new callback wakes the dispatcher job at most this often per process, to run this much later.
CALLBACK_WAKE_SECONDS = 5
DISPATCH_IDENTITY_KEY = "g2p_payment_batch_dispatch_callbacks"
#: {database: monotonic time of this process's last wake} (see _wake_callback_dispatcher).
_LAST_WAKE = {}


class G2pPaymentBatch(models.Model):
    """A set of payments sent to a processor in one request.

    ``correlation_id`` is the batch's idempotency key towards the processor, ``external_id`` the
    processor's own batch id. State changes only through the ``_set_<state>`` methods, which list
    their allowed source states to ``g2p.state.mixin``: a repeated transition is a logged no-op
    (callbacks and polls are idempotent by construction), an illegal one is refused."""

    _name = "g2p.payment.batch"
    _description = "Payment Batch"
    _inherit = ["mail.thread", "mail.activity.mixin", "g2p.state.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _log_model = "g2p.payment.batch.log"

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    connector_id = fields.Many2one(
        "g2p.payment.connector",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
        check_company=True,
    )
    connector_code = fields.Selection(related="connector_id.code")
    psp_id = fields.Many2one(related="connector_id.psp_id")
    payroll_id = fields.Many2one(
        "g2p.payroll", required=True, ondelete="restrict", index=True, readonly=True, check_company=True
    )
    program_id = fields.Many2one(related="payroll_id.program_id")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    state = fields.Selection(
        BATCH_STATES, default="draft", required=True, index=True, readonly=True, copy=False, tracking=True
    )
    correlation_id = fields.Char(
        string="Correlation ID",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: str(uuid.uuid4()),
        help="Our identifier of the batch at the processor (idempotency key).",
    )
    external_id = fields.Char(
        string="Processor Batch ID", readonly=True, copy=False, index="btree_not_null", tracking=True
    )
    callback_token = fields.Char(
        readonly=True,
        copy=False,
        groups=SECRET_GROUPS,
        default=lambda self: secrets.token_urlsafe(32),
        help="Secret carried by the callback URL of this batch.",
    )
    payload = fields.Text(readonly=True, copy=False, help="The file or body sent to the processor.")
    payload_filename = fields.Char(readonly=True, copy=False)
    attempt_ids = fields.One2many("g2p.payment.attempt", "batch_id", string="Attempts", readonly=True)
    log_ids = fields.One2many("g2p.payment.batch.log", "batch_id", string="Log", readonly=True)

    total_count = fields.Integer(string="Payments", readonly=True, copy=False)
    total_amount = fields.Monetary(string="Total", readonly=True, copy=False)
    paid_count = fields.Integer(string="Paid", readonly=True, copy=False)
    paid_amount = fields.Monetary(readonly=True, copy=False)
    failed_count = fields.Integer(string="Failed", readonly=True, copy=False)
    failed_amount = fields.Monetary(readonly=True, copy=False)
    pending_count = fields.Integer(string="Pending", readonly=True, copy=False)
    pending_amount = fields.Monetary(readonly=True, copy=False)

    send_count = fields.Integer(
        string="Send Tries", readonly=True, copy=False, help="Submissions tried (transport retries included)."
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    last_status_date = fields.Datetime(readonly=True, copy=False, index=True)
    last_error = fields.Text(readonly=True, copy=False)

    _correlation_unique = models.UniqueIndex("(correlation_id)", "A correlation id identifies one batch.")
    _name_unique = models.UniqueIndex("(name)", "Batch references are unique.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("g2p.payment.batch") or _("New")
        return super().create(vals_list)

    # ------------------------------------------------------------------ state machine

    def _set_queued(self, error=None):
        """Ready to send (built), or back to the queue after a transport error."""
        return self._g2p_transition("queued", {"draft", "sending"}, {"last_error": error or False})

    def _set_sending(self):
        return self._g2p_transition("sending", {"queued"})

    def _set_sent(self, external_id=None):
        """Accepted by the processor: the payroll lines of its open attempts become sent."""
        changed = self._g2p_transition(
            "sent",
            {"queued", "sending"},
            {"sent_date": fields.Datetime.now(), "last_error": False},
        )
        if external_id:
            # Also for a batch already sent whose processor id was not known yet (found later).
            self.filtered(lambda b: not b.external_id).write({"external_id": external_id})
        changed._mark_lines_sent()
        return changed

    def _set_partially_completed(self):
        return self._g2p_transition("partially_completed", {"sent"})

    def _set_completed(self):
        return self._g2p_transition("completed", {"sent", "partially_completed"})

    def _set_failed(self, error):
        """Refused by the processor: nothing of it will be paid. Its attempts fail and free their
        lines (still approved), which can go in a new batch."""
        changed = self._g2p_transition("failed", {"draft", "queued", "sending"}, {"last_error": error})
        changed._close_attempts("failed", error)
        return changed

    def _set_cancelled(self):
        changed = self._g2p_transition("cancelled", {"draft", "queued"})
        changed._close_attempts("cancelled", _("Batch cancelled"))
        return changed

    def _mark_lines_sent(self):
        """The approved payroll lines of the open attempts of ``self`` become sent, in one UPDATE,
        unless the caller marks those of many batches at once (``g2p_defer_lines_sent``)."""
        if not self or self.env.context.get("g2p_defer_lines_sent"):
            return
        self.env["g2p.payment.attempt"].flush_model()
        line_ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT payroll_line_id FROM g2p_payment_attempt "
                    "WHERE batch_id = ANY(%s) AND state = 'open'",
                    self.ids,
                )
            )
        ]
        self.env["g2p.payroll.line"].sudo().browse(line_ids)._mark_sent()

    def _close_attempts(self, state, reason):
        if not self:
            return
        self.env["g2p.payment.attempt"].flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_payment_attempt SET state = %s, reason = %s
                    WHERE batch_id IN %s AND state = 'open'""",
                state,
                (reason or "")[:250] or None,
                tuple(self.ids),
            )
        )
        self.env["g2p.payment.attempt"].invalidate_model()
        self._update_counts()

    # ------------------------------------------------------------------ counts

    def _update_counts(self):
        """Recompute the stored counts and amounts from the attempts and the outcomes of their
        payroll lines, in one statement. A payment refused with its batch counts as failed."""
        if not self:
            return
        self.env["g2p.payment.attempt"].flush_model()
        self.env["g2p.payroll.line"].flush_model(["state"])
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_payment_batch b
                      SET total_count = s.total, total_amount = s.total_amount,
                          paid_count = s.paid, paid_amount = s.paid_amount,
                          failed_count = s.failed, failed_amount = s.failed_amount,
                          pending_count = s.pending, pending_amount = s.pending_amount
                     FROM (SELECT b2.id,
                                  count(a.id) FILTER (WHERE a.state != 'cancelled') AS total,
                                  COALESCE(sum(a.amount) FILTER (WHERE a.state != 'cancelled'), 0)
                                      AS total_amount,
                                  count(a.id) FILTER (WHERE o.outcome = 'paid') AS paid,
                                  COALESCE(sum(a.amount) FILTER (WHERE o.outcome = 'paid'), 0) AS paid_amount,
                                  count(a.id) FILTER (WHERE o.outcome = 'failed') AS failed,
                                  COALESCE(sum(a.amount) FILTER (WHERE o.outcome = 'failed'), 0)
                                      AS failed_amount,
                                  count(a.id) FILTER (WHERE o.outcome = 'pending') AS pending,
                                  COALESCE(sum(a.amount) FILTER (WHERE o.outcome = 'pending'), 0)
                                      AS pending_amount
                             FROM g2p_payment_batch b2
                        LEFT JOIN g2p_payment_attempt a ON a.batch_id = b2.id
                        LEFT JOIN g2p_payroll_line l ON l.id = a.payroll_line_id
                            CROSS JOIN LATERAL (
                                  SELECT CASE
                                         WHEN a.state = 'failed' THEN 'failed'
                                         WHEN a.state != 'open' THEN NULL
                                         WHEN l.state IN ('paid', 'failed') THEN l.state
                                         WHEN l.state = 'cancelled' THEN NULL
                                         ELSE 'pending' END AS outcome) o
                            WHERE b2.id IN %s
                         GROUP BY b2.id) s
                    WHERE b.id = s.id""",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(
            [
                "total_count",
                "total_amount",
                "paid_count",
                "paid_amount",
                "failed_count",
                "failed_amount",
                "pending_count",
                "pending_amount",
            ]
        )

    # ------------------------------------------------------------------ building and sending

    def _build(self):
        """Render the payload of draft batches and queue them."""
        for batch in self.filtered(lambda b: b.state == "draft"):
            batch.connector_id._build_batch(batch)
            batch._set_queued()

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(_("Only finance officers operate payment batches."))

    def _check_payroll_idle(self):
        """A person's action on batches waits while a background stage of their payroll runs
        (creating, sending or fetching its batches): the stage does the same work."""
        self.payroll_id._g2p_check_idle()

    def action_send(self):
        """Send the batches; the outcome is shown, not raised: raising would roll back the log of
        what was tried (and a failed or queued batch is a normal outcome)."""
        self._check_finance()
        self._check_payroll_idle()
        self._build()
        sent = self._send_batches()
        left = self - sent
        if not left:
            message, kind = _("%s payment batches accepted by their processor.", len(sent)), "success"
        else:
            message = _(
                "%(sent)s accepted, %(left)s not sent: %(details)s",
                sent=len(sent),
                left=len(left),
                details="; ".join(
                    "%s: %s" % (batch.name, batch.last_error or dict(BATCH_STATES)[batch.state])
                    for batch in left[:5]
                ),
            )
            kind = "warning"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Payment batches"),
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _lock_for_send(self):
        """The batches of ``self`` that are queued (or left sending by an interrupted run) and not
        locked by another worker, locked until the end of the transaction: two workers never send
        the same batch. (FOR NO KEY UPDATE: exclusive between workers like FOR UPDATE, but it lets
        the submission marker, written from another cursor, reference the row.)"""
        if not self:
            return self
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """SELECT id FROM g2p_payment_batch
                    WHERE id IN %s AND state IN ('queued', 'sending')
                    ORDER BY id FOR NO KEY UPDATE SKIP LOCKED""",
                tuple(self.ids),
            )
        )
        locked = self.browse([row[0] for row in self.env.cr.fetchall()])
        locked.invalidate_recordset()
        return locked

    def _send_batches(self):
        """Send what can be sent now; returns the batches accepted by their processor.

        Sudo: finance officers cannot read the connectors' secrets, which sending needs."""
        with self.env["g2p.payment.batch.log"]._buffered():
            return self._send_batches_logged()

    def _send_batches_logged(self):
        accepted = self.browse()
        for batch in self._lock_for_send().sudo().with_context(g2p_defer_lines_sent=True):
            if batch.connector_id.state == "disabled":
                batch.last_error = _("Connector %s is disabled: nothing is sent.", batch.connector_id.name)
                continue
            try:
                batch.connector_id._send(batch)
            except G2pTransportError as error:
                # Left queued: a later send (button, cron) retries; the connector looks the batch up
                # first when it may have been delivered.
                batch.env["g2p.payment.batch.log"]._log(batch, "error", body=str(error))
                if batch.state == "sending":
                    batch._set_queued(str(error))
                else:
                    batch.last_error = str(error)
            if batch.state in ("sent", "partially_completed", "completed"):
                accepted |= batch
        accepted.with_context(g2p_defer_lines_sent=False)._mark_lines_sent()
        return accepted.with_env(self.env)

    @api.model
    def _cron_send_queued(self, limit=50):
        """Send again the queued batches whose submission was tried (a transport error, a lost
        answer, a crash): the connector looks each up first. Batches never sent wait for a user."""
        self.env["g2p.payment.batch.log"].flush_model()
        self.flush_model(["state", "connector_id"])
        self.env["g2p.payment.connector"].flush_model(["state"])
        self.env.cr.execute(
            SQL(
                """SELECT b.id FROM g2p_payment_batch b
                     JOIN g2p_payment_connector c ON c.id = b.connector_id AND c.state != 'disabled'
                    WHERE b.state = 'queued'
                      AND EXISTS (SELECT 1 FROM g2p_payment_batch_log l
                                   WHERE l.batch_id = b.id AND l.is_submission IS TRUE)
                    ORDER BY b.id LIMIT %s""",
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])._send_batches()

    def _previous_submissions(self):
        """Submissions of this batch started by earlier (committed) runs: when there is one, the
        processor may hold the batch already and must be asked before any new submission."""
        self.ensure_one()
        self.env["g2p.payment.batch.log"].flush_model()
        rows = self.env.execute_query(
            SQL(
                "SELECT max(timestamp), count(*) FROM g2p_payment_batch_log "
                "WHERE batch_id = %s AND is_submission IS TRUE",
                self.id,
            )
        )
        return rows[0][1], rows[0][0]

    def _note_submission(self):
        """Record, in a transaction of its own committed at once, that the batch is being submitted.

        If this worker dies after the processor accepted the batch but before our transaction
        commits, the marker survives and the next send looks the batch up instead of submitting it
        again. The batch row is only read (FK), so its lock does not block this insert. A batch
        created in the same, uncommitted transaction is not visible here and gets no marker: it would
        vanish with a rollback anyway (send batches only after their creation is committed)."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """INSERT INTO g2p_payment_batch_log
                              (batch_id, company_id, timestamp, kind, note, is_submission,
                               create_uid, create_date, write_uid, write_date)
                       SELECT id, company_id, now() AT TIME ZONE 'UTC', 'info', %(note)s, TRUE,
                              %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                         FROM g2p_payment_batch WHERE id = %(batch)s""",
                    note=_("Submission started"),
                    uid=self.env.uid,
                    batch=self.id,
                )
            )

    # ------------------------------------------------------------------ status

    def action_fetch_status(self):
        self._check_finance()
        self._check_payroll_idle()
        summary = self._fetch_and_apply()
        unreachable = summary["unreachable"]
        message = _(
            "%(paid)s payments confirmed paid, %(failed)s failed, %(skipped)s already known; "
            "%(pending)s still waiting for their outcome.",
            paid=summary["paid"],
            failed=summary["failed"],
            skipped=summary["skipped"],
            pending=sum(self.mapped("pending_count")),
        )
        if summary["errors"]:
            message += " " + _("%s results could not be applied: see the batch log.", len(summary["errors"]))
        if unreachable:
            message += " " + _(
                "No answer for %(batches)s: %(error)s",
                batches=", ".join(unreachable),
                error=next(iter(unreachable.values())),
            )
        kind = "warning" if summary["errors"] or unreachable else "success"
        return notification(_("Payment status"), message, kind)

    def _receive_callback(self, raw, headers=None, url=None, payload=None):
        """An authenticated callback for this batch (the controllers call this once they found the
        batch and checked its token). Returns (log, new).

        The event is stored once (unique per batch and body), also when Odoo replays the request:
        the caller passes the body as read once, cached, so a replay stores the same bytes. That
        is all the request does (it reads nothing of the batch but its id): a new event wakes the
        dispatcher job (:meth:`_dispatch_callbacks`), which queues the batch's status fetch; the
        fetch consumes the event (``processed``). ``payload`` is the body as the route parsed it
        (kept for connectors' routes; the stored bytes are what counts)."""
        self.ensure_one()
        Log = self.env["g2p.payment.batch.log"]
        log, new = Log._record_event(self, "callback", raw, headers=headers, url=url)
        if new:
            self._wake_callback_dispatcher()
        return log, new

    def _wake_callback_dispatcher(self):
        """Queue the dispatcher job, at most once per ``CALLBACK_WAKE_SECONDS`` per process and
        database, to run that many seconds later: a storm of callbacks makes a few jobs, not one
        per callback, and the callbacks stored meanwhile by this process are committed by the
        time the job reads them. One waiting dispatcher at a time (identity key); the cron
        dispatches what a wake missed."""
        now = time.monotonic()
        database = self.env.cr.dbname
        if now - _LAST_WAKE.get(database, -CALLBACK_WAKE_SECONDS) < CALLBACK_WAKE_SECONDS:
            return
        _LAST_WAKE[database] = now
        self.env["g2p.payment.batch"].sudo().with_delay(
            eta=CALLBACK_WAKE_SECONDS,
            identity_key=DISPATCH_IDENTITY_KEY,
            description=_("Queue the status fetches of the callbacks received"),
        )._dispatch_callbacks()

    @api.model
    def _dispatch_callbacks(self):
        """Job (and cron): queue the status fetch of every batch with callbacks waiting to be
        consumed (stored less than ``UNSENT_RETRY_MINUTES`` ago; the poll cron takes older ones),
        one job per batch. Callbacks of batches the processor can no longer report on (closed,
        or never sent) are consumed at once: there is nothing to fetch."""
        Log = self.env["g2p.payment.batch.log"]
        Log.flush_model(["batch_id", "kind", "processed", "timestamp"])
        rows = self.env.execute_query(
            SQL(
                """SELECT b.id, b.state FROM g2p_payment_batch b
                    WHERE b.id IN (SELECT l.batch_id FROM g2p_payment_batch_log l
                                    WHERE l.kind = 'callback' AND l.processed IS NOT TRUE
                                      AND l.timestamp >= (now() AT TIME ZONE 'UTC')
                                                         - make_interval(mins => %s))""",
                UNSENT_RETRY_MINUTES,
            )
        )
        # A draft batch was never sent: a callback for it has nothing to trigger.
        awaiting = set(OPEN_BATCH_STATES) | (set(UNSENT_BATCH_STATES) - {"draft"})
        to_fetch = [batch_id for batch_id, state in rows if state in awaiting]
        closed = [batch_id for batch_id, state in rows if state not in awaiting]
        if closed:
            self.env.cr.execute(
                SQL(
                    """UPDATE g2p_payment_batch_log SET processed = TRUE
                        WHERE batch_id = ANY(%s) AND kind = 'callback' AND processed IS NOT TRUE""",
                    closed,
                )
            )
            Log.invalidate_model(["processed"])
        self.browse(to_fetch)._enqueue_status_fetch()
        return "%s batches to fetch, callbacks of %s closed batches consumed" % (len(to_fetch), len(closed))

    def _enqueue_status_fetch(self):
        """Fetch the status of ``self`` in a job (one waiting job per batch), in the channel of the
        job function declared in the hub's data (``root.g2p.payment_hub.status``)."""
        for batch in self.sudo():
            batch.with_delay(
                identity_key="g2p_payment_batch_status_%s" % batch.id,
                description=_("Fetch status of payment batch %s", batch.name),
            )._fetch_and_apply(stage=True)

    def _pending_callbacks(self):
        """Callbacks of ``self`` stored but not consumed yet (arrived before the batch was sent)."""
        return (
            self.env["g2p.payment.batch.log"]
            .sudo()
            .search([("batch_id", "in", self.ids), ("kind", "=", "callback"), ("processed", "=", False)])
        )

    def _fetch_and_apply(self, stage=False):
        """Fetch the authoritative status of the batches from their processors and apply it:
        attempts, payroll lines (with their journal entries, once per payroll), counts, states.

        With ``stage`` (the status jobs that callbacks queue) the outcomes are only staged
        (``g2p.payment.outcome``) and one apply job per payroll applies them together: many
        parallel status jobs then neither post an entry each nor collide on the payroll's lines.

        As a queue job (one batch): a transport error raises ``RetryableJobError`` so the job
        function's retry pattern applies (a status request is a GET: safe to repeat), and a batch
        whose callback arrived before its Send committed is retried within seconds until the batch
        is visible as sent. Elsewhere (button, poll cron) errors are logged on the batch."""
        with self.env["g2p.payment.batch.log"]._buffered():
            return self._fetch_and_apply_logged(stage=stage)

    def _in_job(self):
        # queue_job runs a job's method with the job's uuid in the context.
        return bool(self.env.context.get("job_uuid"))

    def _check_sent_for_job(self):
        """In a job: raise ``RetryableJobError`` (retried in seconds) when a batch of ``self`` has
        pending callbacks but is not visible as sent yet, i.e. its Send has not committed."""
        unsent = self.filtered(lambda b: b.state in ("queued", "sending"))
        pending = unsent._pending_callbacks()
        recent = fields.Datetime.now() - timedelta(minutes=UNSENT_RETRY_MINUTES)
        waiting = pending.filtered(lambda log: log.timestamp >= recent).batch_id
        if waiting:
            raise RetryableJobError(
                "Payment batch %s is not sent yet: its callback waits for the send to commit."
                % ", ".join(waiting.mapped("name")),
                seconds=UNSENT_RETRY_SECONDS,
                ignore_retry=True,
            )

    def _fetch_and_apply_logged(self, stage=False):
        # Sudo: also run from callbacks (public user) and reads connector secrets; entries are
        # posted in each batch's company.
        in_job = self._in_job()
        if in_job:
            self.sudo()._check_sent_for_job()
        batches = self.sudo().filtered(lambda b: b.state in OPEN_BATCH_STATES)
        summary = {"paid": 0, "failed": 0, "skipped": 0, "errors": [], "line_ids": [], "unreachable": {}}
        to_apply = self.env["g2p.payroll"]
        for company in batches.company_id:
            part = batches.filtered(lambda b, c=company: b.company_id == c).with_company(company)
            results = []
            fetched = part.browse()
            for batch in part:
                try:
                    results.extend(batch.connector_id._fetch_status(batch))
                except G2pTransportError as error:
                    if in_job:
                        # Rolls back this try; the job function's retry pattern says when again.
                        raise RetryableJobError(str(error)) from error
                    batch.env["g2p.payment.batch.log"]._log(batch, "error", body=str(error))
                    batch.last_error = summary["unreachable"][batch.name] = str(error)
                except UserError as error:
                    # Refused login, bad configuration: for a person to fix. Logged on the batch, the
                    # others go on, and the next poll tries again.
                    batch.env["g2p.payment.batch.log"]._log(batch, "error", body=str(error))
                    batch.last_error = summary["unreachable"][batch.name] = str(error)
                else:
                    fetched |= batch
            # Answered: the batch's last error (an earlier fetch without answer) is over.
            fetched.filtered("last_error").write({"last_error": False})
            # Callbacks that arrived before the batch was sent are consumed by this fetch.
            fetched._pending_callbacks().write({"processed": True})
            if stage:
                summary["staged"] = summary.get("staged", 0) + len(results)
                to_apply |= self.env["g2p.payment.outcome"].sudo()._stage(results)
                continue
            applied = part._apply_results(results)
            for key in ("paid", "failed", "skipped"):
                summary[key] += applied[key]
            summary["errors"] += applied["errors"]
            summary["line_ids"] += applied["line_ids"]
        # Last: joining a waiting apply job locks it until this transaction commits.
        to_apply._enqueue_apply_outcomes()
        return summary

    def _results_from_outcomes(self, outcomes):
        """Result dicts from ``outcomes`` (dicts with ``request_id``, ``status`` paid | failed |
        pending and optional ``psp_reference``, ``reason``, ``reason_code``, ``date``): adds the
        ``line_id`` of the attempt with that request id in ``self``; unknown request ids are logged."""
        request_ids = [o["request_id"] for o in outcomes]
        rows = self.env.execute_query(
            SQL(
                "SELECT request_id, payroll_line_id, batch_id FROM g2p_payment_attempt "
                "WHERE request_id = ANY(%s) AND batch_id IN %s",
                request_ids,
                tuple(self.ids) or (None,),
            )
        )
        by_request = {request_id: (line_id, batch_id) for request_id, line_id, batch_id in rows}
        results, unknown = [], []
        for outcome in outcomes:
            match = by_request.get(outcome["request_id"])
            if not match:
                unknown.append(outcome["request_id"])
                continue
            results.append({**outcome, "line_id": match[0], "batch_id": match[1]})
        if unknown:
            for batch in self:
                self.env["g2p.payment.batch.log"]._log(
                    batch,
                    "error",
                    body=_(
                        "The processor reported %(count)s unknown request ids, e.g. %(ids)s",
                        count=len(unknown),
                        ids=", ".join(unknown[:5]),
                    ),
                )
        return results

    def _apply_results(self, results):
        """Apply connector results to the attempts of ``self`` and their payroll lines."""
        now = fields.Datetime.now()
        final = self._with_postable_dates([r for r in results if r["status"] in ("paid", "failed")])
        summary = {"paid": 0, "failed": 0, "skipped": 0, "errors": [], "line_ids": []}
        if final:
            line_results = [
                {
                    key: r[key]
                    for key in ("line_id", "status", "date", "psp_reference", "reason_code", "reason")
                    if r.get(key)
                }
                for r in final
            ]
            summary = self.env["g2p.payroll.line"].sudo()._apply_payment_results(line_results, atomic=False)
            # Rows are numbered from 1 in the order given: back to each result's batch. The outcome
            # is the payroll line's: attempts are not rewritten (their status reads the line).
            errors_by_batch = defaultdict(list)
            for row, message in summary["errors"]:
                errors_by_batch[final[row - 1].get("batch_id") or self[:1].id].append(message)
            for batch_id, messages in errors_by_batch.items():
                self.env["g2p.payment.batch.log"]._log(
                    self.browse(batch_id),
                    "error",
                    body="\n".join(messages[:50]),
                    note=_("%s results not applied", len(messages)),
                )
        self.write({"last_status_date": now})
        self._update_counts()
        # One write per target state, not one per batch (a payroll has hundreds of batches).
        open_batches = self.filtered(lambda b: b.state in OPEN_BATCH_STATES)
        open_batches.filtered(lambda b: b.pending_count == 0)._set_completed()
        open_batches.filtered(
            lambda b: b.pending_count and (b.paid_count or b.failed_count)
        )._set_partially_completed()
        return summary

    def _with_postable_dates(self, results):
        """``results`` with each processor date kept as the payment's date unless
        :meth:`_date_becomes_today` says otherwise: such outcomes must not be held back, or posted
        on an implausible day, because of their date. A date the payroll service refuses
        (unreadable, days ahead) is left for it to report."""
        today = fields.Date.context_today(self)
        batches = {batch.id: batch for batch in self}
        verdicts = {}
        for result in results:
            try:
                day = fields.Date.to_date(result.get("date"))
            except (TypeError, ValueError):
                continue
            batch_id = result.get("batch_id")
            if not day or batch_id not in batches:
                continue
            if (day, batch_id) not in verdicts:
                verdicts[day, batch_id] = batches[batch_id]._date_becomes_today(day, today)
            if verdicts[day, batch_id]:
                result["date"] = today
        return results

    def _date_becomes_today(self, day, today):
        """Whether a processor's ``day`` for a payment of this batch is replaced by today: tomorrow
        (clocks or time zones differ), a day before the batch was sent (a placeholder or a wrong
        clock) or a day in a locked accounting period (an outcome learnt after closing)."""
        self.ensure_one()
        if day > today:
            return day == today + timedelta(days=1)
        if self.sent_date and day < fields.Date.context_today(self, self.sent_date):
            return True
        journal = self.payroll_id.program_id.sudo().benefits_journal_id
        return bool(self.company_id._get_violated_lock_dates(day, False, journal or None))

    @api.model
    def _cron_poll_status(self, limit=100):
        """Fetch the status of open batches not updated for their connector's poll interval: the
        safety net for lost callbacks."""
        self.env.cr.execute(
            SQL(
                """SELECT b.id FROM g2p_payment_batch b
                     JOIN g2p_payment_connector c ON c.id = b.connector_id
                    WHERE b.state IN %s
                      AND COALESCE(b.last_status_date, b.sent_date, b.create_date)
                          < (now() AT TIME ZONE 'UTC') - make_interval(mins => COALESCE(c.poll_interval, 10))
                    ORDER BY COALESCE(b.last_status_date, b.sent_date, b.create_date)
                    LIMIT %s""",
                OPEN_BATCH_STATES,
                limit,
            )
        )
        batches = self.browse([row[0] for row in self.env.cr.fetchall()])
        return batches._fetch_and_apply()

    # ------------------------------------------------------------------ other actions

    def action_cancel(self):
        self._check_finance()
        self._check_payroll_idle()
        self._set_cancelled()
        return True

    def action_retry_failed(self):
        """Put the payments of failed batches, still approved, in new batches (new attempts)."""
        self._check_finance()
        self._check_payroll_idle()
        new = self.browse()
        for batch in self:
            if batch.state != "failed":
                raise UserError(_("Only failed batches can be retried; %s is not failed.", batch.name))
            lines = batch.attempt_ids.payroll_line_id.filtered(lambda line: line.state == "approved")
            new |= batch.payroll_id._create_payment_batches(lines)
        return new._action_open()

    def _action_open(self):
        action = {
            "type": "ir.actions.act_window",
            "name": _("Payment Batches"),
            "res_model": "g2p.payment.batch",
            "view_mode": "list,form",
            "domain": [("id", "in", self.ids)],
        }
        if len(self) == 1:
            action.update(view_mode="form", res_id=self.id)
        return action

    def unlink(self):
        if any(batch.state not in ("draft", "cancelled") for batch in self):
            raise UserError(_("Only draft or cancelled payment batches can be deleted."))
        return super().unlink()
