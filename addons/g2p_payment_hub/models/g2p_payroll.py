import json
from collections import defaultdict

import psycopg2.errors

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from ..const import BATCH_STATES, OPEN_BATCH_STATES, UNSENT_BATCH_STATES
from ..tools import new_request_ids
from odoo.addons.g2p_payroll.models.g2p_payroll import G2pPayroll as PayrollBase
from odoo.addons.g2p_program.models import g2p_job_mixin
from odoo.addons.g2p_registry.tools.notify import notification
from odoo.addons.g2p_registry.tools.sql import pg_array

#: The hub's background stages run in these job channels (odoo.conf's [queue_job] channels): batch
#: building in the hub's own, submissions one at a time, status fetches in the status channel.
HUB_JOB_CHANNEL = "root.g2p.payment_hub"
SEND_JOB_CHANNEL = "root.g2p.payment_hub.send"
STATUS_JOB_CHANNEL = "root.g2p.payment_hub.status"
#: Batches per chunk when sending (a chunk is one transaction: what it sent is committed with it,
#: and a crash in it leaves at most this many batches to be looked up again at the processor) and
#: when fetching statuses.
SEND_CHUNK_BATCHES = 20
STATUS_CHUNK_BATCHES = 50


class G2pPayroll(models.Model):
    _inherit = "g2p.payroll"
    # The hub's long work on a payroll runs as background stages of the payroll (g2p.job.mixin):
    # batch creation in chunks of payment ids (per PSP), sending and status fetches in chunks of
    # batch ids. The stages of g2p_payroll stay.
    _g2p_job_stages = {
        **PayrollBase._g2p_job_stages,
        "batch": {
            "label": lambda self: self.env._("Batch creation"),
            "chunk": "_batch_chunk",
            "finish": "_batch_finish",
            "check": "_check_finance",
            "channel": HUB_JOB_CHANNEL,
        },
        "send": {
            "label": lambda self: self.env._("Batch sending"),
            "chunk": "_send_chunk",
            "finish": "_send_finish",
            "check": "_check_finance",
            "channel": SEND_JOB_CHANNEL,
        },
        "status": {
            "label": lambda self: self.env._("Status fetch"),
            "chunk": "_status_chunk",
            "finish": "_status_finish",
            "check": "_check_finance",
            "channel": STATUS_JOB_CHANNEL,
        },
    }

    batch_ids = fields.One2many("g2p.payment.batch", "payroll_id", string="Payment Batches", readonly=True)
    batch_count = fields.Integer(compute="_compute_batch_count")
    unsent_batch_count = fields.Integer(
        compute="_compute_batch_count",
        string="Batches to Send",
        help="Payment batches not accepted by their processor yet (queued, or left sending).",
    )
    open_batch_count = fields.Integer(
        compute="_compute_batch_count",
        string="Batches Awaiting Outcome",
        help="Payment batches accepted by their processor whose payments do not all have an outcome.",
    )
    unbatched_count = fields.Integer(
        compute="_compute_unbatched_count",
        string="Awaiting a Batch",
        help="Approved payments not yet in a payment batch that is being sent or waits for its outcome.",
    )

    def _compute_batch_count(self):
        counts = defaultdict(lambda: defaultdict(int))
        for payroll, state, count in self.env["g2p.payment.batch"]._read_group(
            [("payroll_id", "in", self.ids)], ["payroll_id", "state"], ["__count"]
        ):
            counts[payroll.id][state] = count
        for payroll in self:
            mine = counts[payroll.id]
            payroll.batch_count = sum(mine.values())
            payroll.unsent_batch_count = sum(mine[state] for state in UNSENT_BATCH_STATES)
            payroll.open_batch_count = sum(mine[state] for state in OPEN_BATCH_STATES)

    def _compute_unbatched_count(self):
        self.env["g2p.payroll.line"].flush_model(["payroll_id", "state"])
        self.env["g2p.payment.attempt"].flush_model(["payroll_line_id", "state"])
        counts = dict(
            self.env.execute_query(
                SQL(
                    """SELECT l.payroll_id, count(*) FROM g2p_payroll_line l
                        WHERE l.payroll_id = ANY(%s) AND l.state = 'approved'
                          AND NOT EXISTS (SELECT 1 FROM g2p_payment_attempt a
                                           WHERE a.payroll_line_id = l.id AND a.state = 'open')
                        GROUP BY 1""",
                    self.ids,
                )
            )
            if self.ids
            else []
        )
        for payroll in self:
            payroll.unbatched_count = counts.get(payroll.id, 0)

    # ------------------------------------------------------------------ the buttons

    def action_create_batches(self):
        """Split the approved payments not yet in a live batch into payment batches, per connector
        (chosen by the payment's PSP) and the connector's limits, and queue them for sending: at
        once when small, in background jobs (chunks of payment ids, per PSP) when large."""
        self._check_finance()
        runs = self.env["g2p.job.run"]
        for payroll in self:
            runs |= payroll._start_batching()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Payment batches"))
        batches = self.env["g2p.payment.batch"].browse(
            [batch_id for run in runs for batch_id in run.params.get("batch_ids", [])]
        )
        by_connector = []
        for connector in batches.connector_id:
            mine = batches.filtered(lambda b, c=connector: b.connector_id == c)
            by_connector.append(
                _(
                    "%(connector)s: %(batches)s batches, %(count)s payments, %(amount)s",
                    connector=connector.name,
                    batches=len(mine),
                    count=sum(mine.mapped("total_count")),
                    amount=format_amount(self.env, sum(mine.mapped("total_amount")), mine[:1].currency_id),
                )
            )
        return notification(
            _("Payment batches created"),
            _(
                "%(batches)s payment batches queued for sending (%(details)s). Click Send All "
                "Batches on the payroll, or Send on each one, or let the scheduled send take them.",
                batches=len(batches),
                details="; ".join(by_connector),
            ),
            next_action=batches._action_open(),
        )

    def action_send_batches(self):
        """Send every batch of the payroll that its processor has not accepted yet, each under the
        batch's own lock (never twice): at once when small, in background jobs (chunks of batches,
        one submission at a time in the send channel) when large."""
        self._check_finance()
        runs = self.env["g2p.job.run"]
        for payroll in self:
            runs |= payroll._start_sending()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Sending"))
        accepted = sum(run.params.get("accepted", 0) for run in runs)
        left = [item for run in runs for item in run.params.get("left", [])]
        if not left:
            return notification(
                _("Payment batches"), _("%s payment batches accepted by their processor.", accepted)
            )
        return notification(
            _("Payment batches"),
            _(
                "%(sent)s accepted, %(left)s not sent: %(details)s",
                sent=accepted,
                left=len(left),
                details="; ".join("%s: %s" % (name, error) for name, error in left[:5]),
            ),
            "warning",
        )

    def action_fetch_status(self):
        """Fetch the outcome of every payment of the payroll's batches accepted by their processor
        and reconcile (payment and failure entries): at once when small, in background jobs
        (chunks of batches, in the status channel) when large."""
        self._check_finance()
        runs = self.env["g2p.job.run"]
        for payroll in self:
            runs |= payroll._start_status_fetch()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Payment status"))
        self.invalidate_recordset()
        message = "\n".join(run._record()._status_summary(run) for run in runs)
        unreachable = any(run.params.get("unreachable") for run in runs)
        return notification(_("Payment status"), message, "warning" if unreachable else "success")

    # ------------------------------------------------------------------ batch creation

    def _unbatched_sql(self):
        """The approved payments of the payroll not in a live attempt (columns id, psp_id)."""
        return SQL(
            """SELECT l.id, l.psp_id FROM g2p_payroll_line l
                WHERE l.payroll_id = %s AND l.state = 'approved'
                  AND NOT EXISTS (SELECT 1 FROM g2p_payment_attempt a
                                   WHERE a.payroll_line_id = l.id AND a.state = 'open')""",
            self.id,
        )

    def _start_batching(self, background=None):
        """Start the batch creation: the connector of every PSP checked at once (a PSP without one
        stops it before anything runs), then chunks of the approved payments of one PSP each, by
        payment id. A chunk holds a whole number of the connector's batches, so the batches are
        the same however the work is cut. Returns the stage (``g2p.job.run``)."""
        self.ensure_one()
        if self.state not in ("approved", "in_payment"):
            raise UserError(_("Payroll %s must be approved before its payments are sent.", self.name))
        self._g2p_check_idle()
        self.env["g2p.payroll.line"].flush_model()
        self.env["g2p.payment.attempt"].flush_model()
        psp_ids = [
            psp
            for (psp,) in self.env.execute_query(
                SQL("SELECT DISTINCT u.psp_id FROM (%s) u", self._unbatched_sql())
            )
        ]
        if not psp_ids:
            raise UserError(_("No approved payment of %s is waiting for a batch.", self.name))
        connectors = self._connectors_by_psp(psp_ids)
        chunk_size = g2p_job_mixin.JOB_CHUNK_SIZE
        sizes = {}
        for psp_id, connector in connectors.items():
            rows = connector._get_batch_limits()["max_rows"] or chunk_size
            sizes[psp_id] = max(1, chunk_size // rows) * rows
        ranges = self.env.execute_query(
            SQL(
                """SELECT psp_id, min(id), max(id), count(*)
                     FROM (SELECT u.id, u.psp_id,
                                  (row_number() OVER (PARTITION BY u.psp_id ORDER BY u.id) - 1) / s.size
                                      AS bucket
                             FROM (%(unbatched)s) u
                             JOIN unnest(%(psps)s::int[], %(sizes)s::int[]) AS s(psp, size)
                                  ON s.psp = u.psp_id) numbered
                 GROUP BY psp_id, bucket ORDER BY psp_id, bucket""",
                unbatched=self._unbatched_sql(),
                psps=pg_array(list(sizes)),
                sizes=pg_array(list(sizes.values())),
            )
        )
        self.env["g2p.payment.batch"].flush_model(["payroll_id"])
        [(last_batch,)] = self.env.execute_query(
            SQL("SELECT COALESCE(max(id), 0) FROM g2p_payment_batch WHERE payroll_id = %s", self.id)
        )
        params = {
            # The lowest id of a chunk is a payment of its PSP: it names the chunk's PSP.
            "psp_by_chunk": {str(lo): psp for psp, lo, _hi, _count in ranges},
            # The batches this stage makes come after it (the payroll is locked while it runs).
            "after_batch_id": last_batch,
        }
        return self._g2p_run_stage(
            "batch", [(lo, hi, count) for _psp, lo, hi, count in ranges], params, background=background
        )

    def _batch_chunk(self, run, lo, hi):
        """One chunk of the batch creation: the payments of the chunk's PSP with an id in [lo, hi]
        still without a live attempt, put in new batches. Run twice, the second time finds every
        one of them in a live attempt and creates nothing (the unique index on live attempts
        would refuse a second one anyway)."""
        psp_id = run.params["psp_by_chunk"][str(lo)]
        batches = self._create_payment_batches(id_range=(lo, hi), psp_id=psp_id)
        return sum(batches.mapped("total_count"))

    def _batch_finish(self, run):
        """End of the batch creation, once: what it made, in the payroll's chatter."""
        self.env["g2p.payment.batch"].flush_model(["payroll_id", "total_count"])
        [(batch_ids, payments)] = self.env.execute_query(
            SQL(
                """SELECT COALESCE(array_agg(id ORDER BY id), '{}'), COALESCE(sum(total_count), 0)
                     FROM g2p_payment_batch WHERE payroll_id = %s AND id > %s""",
                self.id,
                run.params["after_batch_id"],
            )
        )
        run.params = dict(run.params, batch_ids=batch_ids)
        self.message_post(
            body=_(
                "%(payments)s payments put in %(batches)s payment batches.",
                payments=payments,
                batches=len(batch_ids),
            )
        )

    # ------------------------------------------------------------------ sending

    def _batch_ranges(self, states, size):
        """([(lo, hi, payments)], batch ids): the payroll's batches in ``states`` by ``size``
        batches (one query over their ids, never OFFSET). A chunk weighs the payments its batches
        carry, so progress counts payments as the other stages do."""
        self.env["g2p.payment.batch"].flush_model(["payroll_id", "state", "total_count"])
        rows = self.env.execute_query(
            SQL(
                """SELECT min(id), max(id), sum(weight)::int, array_agg(id ORDER BY id)
                     FROM (SELECT id, GREATEST(total_count, 1) AS weight,
                                  (row_number() OVER (ORDER BY id) - 1) / %s AS bucket
                             FROM g2p_payment_batch WHERE payroll_id = %s AND state IN %s) numbered
                 GROUP BY bucket ORDER BY bucket""",
                size,
                self.id,
                tuple(states),
            )
        )
        return [(lo, hi, weight) for lo, hi, weight, _ids in rows], [i for *_r, ids in rows for i in ids]

    def _chunk_batches(self, lo, hi, states):
        return self.env["g2p.payment.batch"].search(
            [("payroll_id", "=", self.id), ("id", ">=", lo), ("id", "<=", hi), ("state", "in", list(states))],
            order="id",
        )

    def _start_sending(self, background=None):
        """Start sending the payroll's batches not accepted yet, by chunks of batch ids."""
        self.ensure_one()
        if self.state not in ("approved", "in_payment"):
            raise UserError(_("Payroll %s must be approved before its payments are sent.", self.name))
        self._g2p_check_idle()
        ranges, batch_ids = self._batch_ranges(UNSENT_BATCH_STATES, SEND_CHUNK_BATCHES)
        if not ranges:
            raise UserError(_("No payment batch of %s is waiting to be sent.", self.name))
        return self._g2p_run_stage("send", ranges, {"batch_ids": batch_ids}, background=background)

    def _send_chunk(self, run, lo, hi):
        """One chunk of the sending: the batches with an id in [lo, hi] still unsent, built if
        needed, then sent one by one, each locked (``SKIP LOCKED``) and looked up at the processor
        first when an earlier submission may have reached it. Run twice, the second time finds them
        sent and submits nothing. Returns the payments of the batches accepted."""
        batches = self._chunk_batches(lo, hi, UNSENT_BATCH_STATES)
        batches._build()
        return sum(batches._send_batches().mapped("total_count"))

    def _send_finish(self, run):
        """End of the sending, once: what was accepted and what is left, in the chatter (and in the
        stage's params, for the button's notification)."""
        batches = self.env["g2p.payment.batch"].browse(run.params["batch_ids"]).exists()
        accepted = batches.filtered(lambda b: b.state in OPEN_BATCH_STATES + ("completed",))
        refused = batches.filtered(lambda b: b.state == "failed")
        left = batches.filtered(lambda b: b.state in UNSENT_BATCH_STATES)
        states = dict(BATCH_STATES)
        run.params = dict(
            run.params,
            accepted=len(accepted),
            left=[[batch.name, batch.last_error or states[batch.state]] for batch in refused | left],
        )
        body = _("%(count)s payment batches accepted by their processor.", count=len(accepted))
        if refused:
            body += " " + _(
                "%(count)s refused (their payments can go in new batches): %(names)s",
                count=len(refused),
                names=", ".join(refused[:10].mapped("name")),
            )
        if left:
            body += " " + _(
                "%(count)s not sent (still queued, sent again by a later Send All Batches or the "
                "scheduled send): %(names)s",
                count=len(left),
                names=", ".join(left[:10].mapped("name")),
            )
        self.message_post(body=body)

    # ------------------------------------------------------------------ status

    def _start_status_fetch(self, background=None):
        """Start fetching the outcomes of the payroll's batches accepted by their processor, by
        chunks of batch ids."""
        self.ensure_one()
        self._g2p_check_idle()
        ranges, batch_ids = self._batch_ranges(OPEN_BATCH_STATES, STATUS_CHUNK_BATCHES)
        if not ranges:
            raise UserError(_("No payment batch of %s waits for its outcome.", self.name))
        return self._g2p_run_stage("status", ranges, {"batch_ids": batch_ids}, background=background)

    def _status_chunk(self, run, lo, hi):
        """One chunk of the status fetch: the open batches with an id in [lo, hi], their status
        asked and applied (payroll lines, entries, counts) by the batches' own service. Run twice,
        the second time finds the outcomes applied and posts nothing. In a job a processor that
        cannot be reached fails the chunk (retried by the job, then from the record); at once, it
        is logged on the batch. Returns the payments that got an outcome."""
        summary = self._chunk_batches(lo, hi, OPEN_BATCH_STATES)._fetch_and_apply()
        return summary["paid"] + summary["failed"]

    def _enqueue_apply_outcomes(self):
        """Apply the payrolls' staged outcomes in a job, in the apply channel
        (``root.g2p.payment_hub.apply``, one job at a time): at most one waiting apply job per
        payroll, which then applies what many status jobs staged, in one run.

        A waiting job is joined only while it is locked by this transaction (see
        ``_lock_waiting_apply_job``): the runner cannot hand it to a worker before this
        transaction commits, so its run sees what this transaction staged. Otherwise (none, or
        one already handed over or running) a new job is queued, which starts after this commit.
        Call it last in the transaction: the lock holds the runner back until the commit."""
        for payroll in self.sudo():
            if payroll._lock_waiting_apply_job():
                continue
            payroll.with_delay(
                description=_("Apply the payment outcomes received for %s", payroll.name),
            )._apply_staged_outcomes()

    def _lock_waiting_apply_job(self):
        """Lock the payroll's apply job that waits in the queue (state pending), if there is one,
        until this transaction ends. False when there is none, or when the runner handed it to a
        worker since this transaction began (its run may already have its snapshot)."""
        self.ensure_one()
        self.env["queue.job"].flush_model(["state"])
        try:
            with self.env.cr.savepoint(flush=False):
                # queue_job stores the recordset as a JSON string inside the jsonb: read either.
                rows = self.env.execute_query(
                    SQL(
                        """SELECT id FROM queue_job
                            WHERE state = 'pending' AND model_name = %s AND method_name = %s
                              AND (CASE jsonb_typeof(records) WHEN 'string'
                                        THEN (records #>> '{}')::jsonb ELSE records END) -> 'ids'
                                  = %s::jsonb
                            LIMIT 1
                              FOR UPDATE""",
                        self._name,
                        "_apply_staged_outcomes",
                        json.dumps([self.id]),
                    )
                )
        except psycopg2.errors.SerializationFailure:
            # Its state changed after this transaction's snapshot: handed over, or done.
            return False
        return bool(rows)

    def _apply_staged_outcomes(self):
        """Job: the staged outcomes of the payroll applied together (see ``g2p.payment.outcome``)."""
        self.ensure_one()
        summary = self.env["g2p.payment.outcome"].sudo()._apply_staged(self.sudo())
        return "%(paid)s paid, %(failed)s failed, %(skipped)s already known, %(errors)s errors%(more)s" % {
            **summary,
            "errors": len(summary["errors"]),
            "more": "; more to apply" if summary["more"] else "",
        }

    def _status_finish(self, run):
        """End of the status fetch, once: the payroll's outcomes, in the chatter."""
        batches = self.env["g2p.payment.batch"].browse(run.params["batch_ids"]).exists()
        # A fetch that got an answer clears the batch's last error: those left have none.
        unreachable = batches.filtered(lambda b: b.state in OPEN_BATCH_STATES and b.last_error)
        run.params = dict(run.params, unreachable=unreachable.mapped("name"))
        self.invalidate_recordset()
        self.message_post(body=self._status_summary(run))

    def _status_summary(self, run):
        """The payroll's outcomes after the status fetch ``run``, in words."""
        message = _(
            "%(payroll)s: %(changed)s payments got their outcome; %(paid)s paid and %(failed)s failed "
            "in all, %(pending)s still waiting.",
            payroll=self.name,
            changed=run.result_count,
            paid=self.paid_count,
            failed=self.failed_count,
            pending=self.open_count,
        )
        if run.params.get("unreachable"):
            message += " " + _(
                "No answer for %(batches)s: see the batch log.", batches=", ".join(run.params["unreachable"])
            )
        return message

    def action_view_batches(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Payment batches of %s", self.name),
            "res_model": "g2p.payment.batch",
            "view_mode": "list,form",
            "domain": [("payroll_id", "=", self.id)],
        }

    def _connectors_by_psp(self, psp_ids):
        """{psp id: connector} — the first enabled (or test) connector of each PSP in the payroll's
        company; a PSP without one is an error naming it."""
        connectors = (
            self.env["g2p.payment.connector"]
            .sudo()
            .search(
                [
                    ("psp_id", "in", list(psp_ids)),
                    ("state", "in", ("enabled", "test")),
                    ("company_id", "=", self.company_id.id),
                ],
                order="sequence, id",
            )
        )
        by_psp = {}
        for connector in connectors:
            by_psp.setdefault(connector.psp_id.id, connector)
        missing = set(psp_ids) - set(by_psp)
        if missing:
            names = (
                self.env["res.partner"].sudo().browse(sorted(p for p in missing if p)).mapped("display_name")
            )
            if None in missing or False in missing:
                names.append(_("(payments without PSP)"))
            raise UserError(
                _(
                    "Payroll %(payroll)s: no enabled payment connector for %(psps)s. Configure one under "
                    "Payments > Configuration > Connectors.",
                    payroll=self.name,
                    psps=", ".join(names),
                )
            )
        return by_psp

    def _create_payment_batches(self, lines=None, id_range=None, psp_id=None):
        """Create the batches and their attempts set-based; ``lines`` restricts to those lines, or
        ``id_range`` (lo, hi) and ``psp_id`` to the payments of one PSP in a range of ids (a chunk of
        the batch creation stage, which posts its own message). Returns the new batches, built
        (payload rendered) and queued."""
        self.ensure_one()
        # A chunk started on an approved payroll; run again later, it finds no approved payment.
        if id_range is None and self.state not in ("approved", "in_payment"):
            raise UserError(_("Payroll %s must be approved before its payments are sent.", self.name))
        if id_range is None:
            # Serialise batch creation per payroll: two users clicking at once cannot batch a line
            # twice (the unique index on live attempts would refuse it anyway). The chunks of a
            # stage hold disjoint payments and the stage locks the payroll against a second one.
            self.env.cr.execute(SQL("SELECT id FROM g2p_payroll WHERE id = %s FOR UPDATE", self.id))
        self.env["g2p.payroll.line"].flush_model()
        self.env["g2p.payment.attempt"].flush_model()
        payments = self.env.execute_query_dict(
            SQL(
                """SELECT l.id AS line_id, l.psp_id, l.amount, l.account_type, l.account_identifier,
                          l.account_bic, l.payment_number, c.name AS currency
                     FROM g2p_payroll_line l
                     JOIN res_currency c ON c.id = l.currency_id
                    WHERE l.payroll_id = %(payroll)s AND l.state = 'approved' %(only)s
                      AND NOT EXISTS (SELECT 1 FROM g2p_payment_attempt a
                                       WHERE a.payroll_line_id = l.id AND a.state = 'open')
                    ORDER BY l.id""",
                payroll=self.id,
                only=SQL("AND l.id IN %s", tuple(lines.ids))
                if lines is not None
                else SQL("AND l.id BETWEEN %s AND %s AND l.psp_id = %s", *id_range, psp_id)
                if id_range is not None
                else SQL(""),
            )
        )
        Batch = self.env["g2p.payment.batch"]
        if not payments or (lines is not None and not lines):
            return Batch
        by_psp = defaultdict(list)
        for payment in payments:
            by_psp[payment["psp_id"]].append(payment)
        connectors = self._connectors_by_psp(by_psp)
        chunks = []  # (connector, payments)
        for psp_id, psp_payments in by_psp.items():
            connector = connectors[psp_id]
            for payment, request_id in zip(psp_payments, new_request_ids(len(psp_payments)), strict=True):
                payment["request_id"] = request_id
            connector._set_payee_identifiers(psp_payments)
            chunks.extend((connector, chunk) for chunk in connector._split_payments(psp_payments) if chunk)
        # The payroll's chatter says what was batched: no "created" message per batch.
        batches = (
            Batch.sudo()
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "connector_id": connector.id,
                        "payroll_id": self.id,
                        "company_id": self.company_id.id,
                        "currency_id": self.currency_id.id,
                    }
                    for connector, __ in chunks
                ]
            )
        )
        self._insert_attempts(batches, [chunk for __, chunk in chunks])
        batches._update_counts()
        for connector in {connector for connector, __ in chunks}:
            mine = [
                (batch, chunk) for batch, (c, chunk) in zip(batches, chunks, strict=True) if c == connector
            ]
            connector._build_batches(
                Batch.sudo().union(*[batch for batch, __ in mine]), [c for __, c in mine]
            )
        batches._set_queued()
        if id_range is not None:
            return batches.with_env(self.env)
        self.message_post(
            body=_(
                "%(payments)s payments put in %(batches)s payment batches.",
                payments=sum(len(chunk) for __, chunk in chunks),
                batches=len(batches),
            )
        )
        return batches.with_env(self.env)

    def _insert_attempts(self, batches, chunks):
        """One INSERT for every attempt of ``batches`` (``chunks``: their payments, same order)."""
        columns = defaultdict(list)
        for batch, chunk in zip(batches, chunks, strict=True):
            for payment in chunk:
                columns["batch"].append(batch.id)
                columns["line"].append(payment["line_id"])
                columns["request"].append(payment["request_id"])
                columns["amount"].append(payment["amount"])
                columns["type"].append(payment["payee_identifier_type"])
                columns["value"].append(payment["payee_identifier"])
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_payment_attempt
                          (batch_id, payroll_line_id, request_id, amount, payee_identifier_type,
                           payee_identifier, state)
                   SELECT v.batch, v.line, v.request, v.amount, v.type, v.value, 'open'
                     FROM unnest(%(batch)s::int[], %(line)s::int[], %(request)s::varchar[],
                                 %(amount)s::numeric[], %(type)s::varchar[], %(value)s::varchar[])
                          AS v(batch, line, request, amount, type, value)""",
                **{name: pg_array(values) for name, values in columns.items()},
            )
        )
        self.env["g2p.payment.attempt"].invalidate_model()
