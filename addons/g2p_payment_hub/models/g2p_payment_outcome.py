import logging

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

#: One apply run takes at most this many outcomes; the rest go to the next run (queued at once).
APPLY_LIMIT = 50_000
#: First key of the advisory lock that keeps two apply runs of one payroll apart (second: its id).
APPLY_LOCK_KEY = 7_410_201


class G2pPaymentOutcome(models.Model):
    """A payment outcome (paid or failed) reported by a processor, staged by a status job and
    applied later, with the other outcomes of its payroll, by one apply run.

    Status jobs run in parallel, one per batch; if each posted its own settlement entries and
    reconciled, a national payroll would make hundreds of small entries and the jobs would collide
    on the payroll's payable and clearing lines. Staging makes a status job an insert, and the
    apply run (one at a time per payroll: its channel and an advisory lock) posts one settlement
    entry per processor for tens of thousands of outcomes. An outcome is staged once per request
    id and status (a repeated callback or fetch inserts nothing), and applying it twice changes
    nothing (the payroll service skips a line already in that state)."""

    _name = "g2p.payment.outcome"
    _description = "Payment Outcome (staged)"
    _order = "id"
    _log_access = False

    batch_id = fields.Many2one(
        "g2p.payment.batch", required=True, ondelete="cascade", index=True, readonly=True
    )
    # Indexed: deleting payroll lines (a draft payroll regenerated) checks this table per line.
    payroll_id = fields.Many2one("g2p.payroll", required=True, ondelete="cascade", index=True, readonly=True)
    payroll_line_id = fields.Many2one(
        "g2p.payroll.line", required=True, ondelete="cascade", index=True, readonly=True
    )
    request_id = fields.Char(required=True, readonly=True)
    status = fields.Selection([("paid", "Paid"), ("failed", "Failed")], required=True, readonly=True)
    # As reported (a date the payroll service refuses is reported by it when applied, as it would
    # have been without staging).
    date = fields.Char(readonly=True, help="The payment's date as the processor reported it.")
    psp_reference = fields.Char(string="PSP Reference", readonly=True)
    reason_code = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    applied = fields.Boolean(readonly=True, default=False)

    def init(self):
        # An outcome is staged once; the apply run reads a payroll's unapplied outcomes in order.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS g2p_payment_outcome_request_status_uniq
                   ON g2p_payment_outcome (request_id, status)"""
        )
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS g2p_payment_outcome_to_apply_idx
                   ON g2p_payment_outcome (payroll_id, id) WHERE applied IS NOT TRUE"""
        )

    @api.model
    def _stage(self, results):
        """Store the final ``results`` (the batches' result dicts with ``line_id`` and
        ``batch_id``) in one statement; outcomes already staged are left as they are. Returns the
        payrolls that got new outcomes."""
        final = [r for r in results if r.get("status") in ("paid", "failed")]
        if not final:
            return self.env["g2p.payroll"]
        columns = (
            "batch_id",
            "payroll_line_id",
            "request_id",
            "status",
            "date",
            "psp_reference",
            "reason_code",
            "reason",
        )
        values = {column: [] for column in columns}
        for result in final:
            values["batch_id"].append(result["batch_id"])
            values["payroll_line_id"].append(result["line_id"])
            values["request_id"].append(result["request_id"])
            values["status"].append(result["status"])
            values["date"].append(str(result["date"]) if result.get("date") else None)
            for key in ("psp_reference", "reason_code", "reason"):
                values[key].append(str(result[key]) if result.get(key) else None)
        rows = self.env.execute_query(
            SQL(
                """INSERT INTO g2p_payment_outcome
                          (batch_id, payroll_id, payroll_line_id, request_id, status, date,
                           psp_reference, reason_code, reason, received_at, applied)
                   SELECT v.batch_id, b.payroll_id, v.line_id, v.request_id, v.status, v.date,
                          v.psp_reference, v.reason_code, v.reason, now() AT TIME ZONE 'UTC', FALSE
                     FROM unnest(%s::int[], %s::int[], %s::varchar[], %s::varchar[], %s::varchar[],
                                 %s::varchar[], %s::varchar[], %s::varchar[])
                          AS v(batch_id, line_id, request_id, status, date, psp_reference,
                               reason_code, reason)
                     JOIN g2p_payment_batch b ON b.id = v.batch_id
              ON CONFLICT (request_id, status) DO NOTHING
                RETURNING payroll_id""",
                *(values[column] for column in columns),
            )
        )
        return self.env["g2p.payroll"].browse({payroll_id for (payroll_id,) in rows})

    @api.model
    def _apply_staged(self, payroll):
        """Apply up to ``APPLY_LIMIT`` staged outcomes of ``payroll`` through the batches' service
        (lines, entries, counts, states), mark them applied, and queue the next run when more are
        waiting. Returns the batches' summary, with ``more``."""
        locked = self.env.execute_query(
            SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", APPLY_LOCK_KEY, payroll.id)
        )
        if not locked[0][0]:
            # Another run of this payroll holds the lock: this one tries again once it is done.
            raise RetryableJobError(
                "The outcomes of payroll %s are being applied by another job." % payroll.id,
                seconds=2,
                ignore_retry=True,
            )
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT id, batch_id, payroll_line_id, request_id, status, date, psp_reference,
                          reason_code, reason
                     FROM g2p_payment_outcome
                    WHERE payroll_id = %s AND applied IS NOT TRUE
                 ORDER BY id
                    LIMIT %s""",
                payroll.id,
                APPLY_LIMIT,
            )
        )
        summary = {"paid": 0, "failed": 0, "skipped": 0, "errors": [], "line_ids": [], "more": False}
        if not rows:
            return summary
        results = [
            {
                key: value
                for key, value in (
                    ("batch_id", batch_id),
                    ("line_id", line_id),
                    ("request_id", request_id),
                    ("status", status),
                    ("date", day),
                    ("psp_reference", psp_reference),
                    ("reason_code", reason_code),
                    ("reason", reason),
                )
                if value
            }
            for _id, batch_id, line_id, request_id, status, day, psp_reference, reason_code, reason in rows
        ]
        batches = (
            self.env["g2p.payment.batch"]
            .sudo()
            .with_company(payroll.company_id)
            .browse(sorted({r["batch_id"] for r in results}))
        )
        summary.update(batches._apply_results(results))
        self.env.cr.execute(
            SQL("UPDATE g2p_payment_outcome SET applied = TRUE WHERE id = ANY(%s)", [row[0] for row in rows])
        )
        self.invalidate_model(["applied"])
        if len(rows) == APPLY_LIMIT:
            summary["more"] = True
            payroll._enqueue_apply_outcomes()
        return summary
