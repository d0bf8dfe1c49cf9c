from odoo import _, api, fields, models
from odoo.tools import SQL, format_amount
from odoo.tools.translate import LazyTranslate

from odoo.addons.g2p_registry.models.g2p_payment_mechanism import ACCOUNT_TYPES
from odoo.addons.g2p_registry.tools.sql import pg_array

LINE_STATES = [
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("sent", "Sent"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
FINAL_LINE_STATES = ("paid", "failed", "cancelled")

_lt = LazyTranslate(__name__)


class G2pPayrollLine(models.Model):
    """One payment of a payroll. Lines are created set-based by the payroll (never one by one)
    and carry a snapshot of the payment account at generation, so a later change in the
    registry cannot redirect an approved payment."""

    _name = "g2p.payroll.line"
    _description = "Payroll Line"
    _inherit = ["g2p.state.mixin"]
    _g2p_state_label = _lt("Payment")
    _order = "payroll_id, id"
    _rec_name = "payment_number"
    _check_company_auto = True

    payroll_id = fields.Many2one(
        "g2p.payroll", required=True, ondelete="cascade", index=True, check_company=True
    )
    # Few distinct values per table (program, cycles, companies, PSPs): no index, each would be
    # written at every state change of every line; queries reach lines through the payroll (whose
    # index serves the program's figures too), the payment number or the beneficiary.
    program_id = fields.Many2one("g2p.program", required=True, ondelete="restrict")
    cycle_id = fields.Many2one("g2p.cycle", required=True, ondelete="restrict")
    entitlement_cycle_id = fields.Many2one(
        "g2p.cycle",
        required=True,
        ondelete="restrict",
        help="Cycle the money is owed for: the payroll's cycle, or for a re-payment the cycle of "
        "the failed payment it replaces. At most one line per beneficiary and entitlement is paid.",
    )
    company_id = fields.Many2one("res.company", required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    payment_number = fields.Char(
        required=True, readonly=True, help="Unique reference sent to the PSP: payroll and registrant number."
    )
    beneficiary_id = fields.Many2one("res.partner", required=True, ondelete="restrict", index=True)
    registrant_number = fields.Char(related="beneficiary_id.registrant_number")
    recipient_id = fields.Many2one(
        "res.partner",
        ondelete="restrict",
        index=True,
        help="Holder of the payment account (the head for a household).",
    )
    # Indexed: deleting or merging a partner or an account checks these references.
    payment_account_id = fields.Many2one("g2p.payment.account", ondelete="restrict", index="btree_not_null")
    psp_id = fields.Many2one("res.partner", string="PSP", ondelete="restrict", index="btree_not_null")
    account_type = fields.Selection(ACCOUNT_TYPES, readonly=True)
    account_identifier = fields.Char(
        readonly=True, help="IBAN, account number, wallet MSISDN or pay point code at generation."
    )
    account_bic = fields.Char(string="BIC", readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    # Not indexed on its own: lines are always reached through their payroll, program or number,
    # and every state change of a large payroll would pay for the index.
    state = fields.Selection(LINE_STATES, default="pending", required=True, readonly=True)
    failure_reason_id = fields.Many2one("g2p.payment.failure.reason", string="Reason", readonly=True)
    failure_note = fields.Char(string="Reason Details", readonly=True)
    psp_reference = fields.Char(string="PSP Reference", readonly=True, copy=False)
    sent_date = fields.Datetime(readonly=True)
    paid_date = fields.Date(readonly=True)
    failed_date = fields.Date(readonly=True)
    repay_of_line_id = fields.Many2one(
        "g2p.payroll.line",
        string="Re-payment of",
        readonly=True,
        # Needed by the foreign key itself: deleting lines looks up their re-payments.
        index="btree_not_null",
        help="The failed payment this line pays again.",
    )
    approval_move_line_id = fields.Many2one("account.move.line", string="Payable Item", readonly=True)
    settlement_move_line_id = fields.Many2one(
        "account.move.line",
        string="Settlement Item",
        readonly=True,
        help="Payment, failure or cancellation item that cleared the payable.",
    )

    _payment_number_uniq = models.UniqueIndex("(payment_number)", "Payment numbers are unique.")
    _one_payment_per_entitlement = models.UniqueIndex(
        "(entitlement_cycle_id, beneficiary_id) WHERE repay_of_line_id IS NULL AND state != 'cancelled'",
        "A beneficiary is paid once per cycle: it already has a payment for this cycle.",
    )
    _one_repayment_per_failure = models.UniqueIndex(
        "(repay_of_line_id) WHERE repay_of_line_id IS NOT NULL AND state != 'cancelled'",
        "This failed payment is already being re-paid.",
    )
    _paid_once = models.UniqueIndex(
        "(entitlement_cycle_id, beneficiary_id) WHERE state = 'paid'",
        "This beneficiary has already been paid for this cycle.",
    )
    _amount_positive = models.Constraint("CHECK (amount > 0)", "A payment amount must be positive.")

    # ------------------------------------------------------------------ state changes (set-based)

    def _write_states(self, rows):
        """Apply ``rows`` = [(line id, state, date, psp reference, reason id, note[, settlement
        item])] in one UPDATE."""
        if not rows:
            return
        rows = [(*row, None) if len(row) == 6 else row for row in rows]
        # Sorted by id: the rows are then visited in the table's order.
        rows = sorted(rows, key=lambda row: row[0])
        ids, states, dates, refs, reasons, notes, items = (pg_array(col) for col in zip(*rows, strict=True))
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_payroll_line l
                      SET state = v.state,
                          paid_date = CASE WHEN v.state = 'paid' THEN v.day ELSE l.paid_date END,
                          failed_date = CASE WHEN v.state = 'failed' THEN v.day ELSE l.failed_date END,
                          psp_reference = COALESCE(v.ref, l.psp_reference),
                          failure_reason_id = COALESCE(v.reason, l.failure_reason_id),
                          failure_note = COALESCE(v.note, l.failure_note),
                          settlement_move_line_id = COALESCE(v.item, l.settlement_move_line_id),
                          write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                     FROM unnest(%s::int[], %s::varchar[], %s::date[],
                                 %s::varchar[], %s::int[], %s::varchar[], %s::int[])
                          AS v(id, state, day, ref, reason, note, item)
                    WHERE l.id = v.id""",
                self.env.uid,
                ids,
                states,
                dates,
                refs,
                reasons,
                notes,
                items,
            )
        )
        self._invalidate_after_sql()

    def _invalidate_after_sql(self):
        """After a set-based UPDATE: lines, and what is computed from their states (committed
        funds, payroll totals)."""
        self.invalidate_model()
        self.env["g2p.program"].invalidate_model(["funds_committed", "funds_available"])
        self.env["g2p.payroll"].invalidate_model()

    def _mark_sent(self):
        """Approved lines handed to a PSP or payment hub. Returns the lines that changed."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_payroll_line SET state = 'sent', sent_date = now() AT TIME ZONE 'UTC',
                          write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                    WHERE id = ANY(%s) AND state = 'approved' RETURNING id""",
                self.env.uid,
                self.ids,
            )
        )
        sent = self.browse([row[0] for row in self.env.cr.fetchall()])
        self.invalidate_model()
        sent.payroll_id._update_payment_state()
        return sent

    def action_cancel(self):
        """Cancel pending or approved (not yet sent) lines; approved ones get a reversal entry."""
        self.payroll_id._check_can_cancel_lines()
        # Lines change state in SQL (with their settlement), so only the checks of the mixin are
        # used: cancelled lines are a logged no-op, sent or settled ones refuse the whole call.
        todo = self._g2p_transition_todo(
            "cancelled",
            {"pending", "approved"},
            why=_("Only pending or approved payments can be cancelled."),
        )
        reason = self.env.ref("g2p_payroll.failure_reason_cancelled")
        today = fields.Date.context_today(self)
        for payroll in todo.payroll_id:
            lines = todo.filtered(lambda line, p=payroll: line.payroll_id == p)
            approved = lines.filtered(lambda line: line.state == "approved")
            lines._write_states([(line.id, "cancelled", today, None, reason.id, None) for line in lines])
            if approved:
                payroll._post_settlement(approved, "cancellation", today)
            payroll.message_post(
                body=_(
                    "%(count)s payments cancelled: %(numbers)s",
                    count=len(lines),
                    numbers=", ".join(lines.mapped("payment_number")),
                )
            )
            payroll._update_payment_state()
        return True

    # ------------------------------------------------------------------ reconciliation service

    @api.model
    def _apply_payment_results(self, results, dry_run=False, atomic=True):
        """Apply payment outcomes reported by a PSP or the payment hub.

        ``results``: iterable of dicts with ``line_id`` or ``payment_number``, ``status``
        ('paid' | 'failed'), and optionally ``date``, ``psp_reference``, ``reason_code``, ``reason``,
        ``amount`` (checked against the line) and ``row`` (number used in messages).

        Idempotent: a line already in the reported state is skipped, so a re-sent callback or a
        re-uploaded file applies nothing twice. With ``atomic`` (file uploads) nothing is applied
        when any row has an error; without it (payment hub) the valid rows are applied.
        Returns {'paid': n, 'failed': n, 'skipped': n, 'errors': [(row, message)], 'line_ids': [...]}."""
        results = list(results)
        lines_by_key = self._lines_for_results(results)
        reasons = {
            r.code: r
            for r in self.env["g2p.payment.failure.reason"].with_context(active_test=False).search([])
        }
        today = fields.Date.context_today(self)
        errors, todo, skipped, seen = [], [], 0, set()
        for index, result in enumerate(results, start=1):
            row = result.get("row", index)
            error, entry = self._check_payment_result(result, lines_by_key, reasons, today, seen)
            if error:
                errors.append((row, error))
            elif entry is None:
                skipped += 1
            else:
                todo.append(entry)
        summary = {
            "paid": sum(1 for entry in todo if entry[1] == "paid"),
            "failed": sum(1 for entry in todo if entry[1] == "failed"),
            "skipped": skipped,
            "errors": errors,
            "line_ids": [entry[0] for entry in todo],
        }
        if dry_run or not todo or (atomic and errors):
            if atomic and errors:
                summary.update(paid=0, failed=0, line_ids=[])
            return summary
        self._apply_checked_results(todo)
        return summary

    @api.model
    def _lines_for_results(self, results):
        """{key: line values} for the reported lines, in one query (key: id and payment number)."""
        ids = [r["line_id"] for r in results if r.get("line_id")]
        numbers = [str(r["payment_number"]).strip() for r in results if r.get("payment_number")]
        self.flush_model()
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT l.id, l.payment_number, l.state, l.amount, l.payroll_id, l.currency_id
                     FROM g2p_payroll_line l
                    WHERE l.id = ANY(%s) OR l.payment_number = ANY(%s)""",
                ids,
                numbers,
            )
        )
        # Only lines the user may see: the multi-company rules, checked per payroll, not per line.
        payrolls = self.env["g2p.payroll"].browse({row["payroll_id"] for row in rows})
        visible = set(payrolls._filtered_access("read").ids)
        lines = {}
        for row in rows:
            if row["payroll_id"] in visible:
                lines[row["id"]] = row
                lines[row["payment_number"]] = row
        return lines

    @api.model
    def _check_payment_result(self, result, lines_by_key, reasons, today, seen):
        """(error, entry) for one reported outcome; entry None means already applied."""
        key = result.get("line_id") or str(result.get("payment_number") or "").strip()
        if not key:
            return _("No payment number."), None
        line = lines_by_key.get(key)
        if not line:
            return _("Unknown payment number %s.", key), None
        number = line["payment_number"]
        if line["id"] in seen:
            return _("Payment %s is reported twice.", number), None
        seen.add(line["id"])
        status = str(result.get("status") or "").strip().lower()
        if status not in ("paid", "failed"):
            return _(
                "Payment %(number)s: status %(status)r is neither paid nor failed.",
                number=number,
                status=status,
            ), None
        amount = result.get("amount")
        if amount not in (None, ""):
            try:
                amount = float(amount)
            except (TypeError, ValueError):
                return _(
                    "Payment %(number)s: amount %(amount)r is not a number.", number=number, amount=amount
                ), None
            currency = self.env["res.currency"].browse(line["currency_id"])
            if amount < 0:
                return _(
                    "Payment %(number)s: negative amount %(amount)s.",
                    number=number,
                    amount=format_amount(self.env, amount, currency),
                ), None
            if currency.compare_amounts(amount, float(line["amount"])):
                return _(
                    "Payment %(number)s: reported amount %(reported)s differs from the payroll "
                    "amount %(amount)s.",
                    number=number,
                    reported=format_amount(self.env, amount, currency),
                    amount=format_amount(self.env, float(line["amount"]), currency),
                ), None
        day = result.get("date") or today
        if isinstance(day, str):
            try:
                day = fields.Date.to_date(day.strip()[:10])
            except ValueError:
                return _(
                    "Payment %(number)s: date %(date)r is not YYYY-MM-DD.", number=number, date=day
                ), None
        if day > today:
            return _("Payment %(number)s: date %(date)s is in the future.", number=number, date=day), None
        state = line["state"]
        if state == status:
            return None, None
        if state not in ("approved", "sent"):
            return _(
                "Payment %(number)s is %(state)s: it cannot become %(status)s.",
                number=number,
                state=dict(LINE_STATES)[state],
                status=dict(LINE_STATES)[status],
            ), None
        reason_id = None
        if status == "failed":
            code = str(result.get("reason_code") or "OTHER").strip().upper()
            if code not in reasons:
                return _(
                    "Payment %(number)s: unknown reason code %(code)s (known: %(codes)s).",
                    number=number,
                    code=code,
                    codes=", ".join(sorted(reasons)),
                ), None
            reason_id = reasons[code].id
        reference = str(result.get("psp_reference") or "").strip() or None
        note = str(result.get("reason") or "").strip()[:250] or None
        return None, (line["id"], status, day, reference, reason_id, note, line["payroll_id"])

    @api.model
    def _apply_checked_results(self, todo):
        """Post the payment and failure entries per payroll and date, write the states with their
        settlement items in one UPDATE, then reconcile."""
        groups = {}
        for line_id, status, day, *_rest, payroll_id in todo:
            groups.setdefault((payroll_id, status, day), []).append(line_id)
        Payroll = self.env["g2p.payroll"]
        items = {}
        for (payroll_id, status, day), line_ids in sorted(groups.items()):
            payroll, lines = Payroll.browse(payroll_id), self.browse(line_ids)
            move = payroll._post_settlement_move(lines, "payment" if status == "paid" else "failure", day)
            items.update(payroll._settlement_items(lines, move))
        self._write_states([(*entry[:6], items[entry[0]]) for entry in todo])
        for payroll_id in {key[0] for key in groups}:
            payroll = Payroll.browse(payroll_id)
            payroll._reconcile_payables(self.browse([entry[0] for entry in todo if entry[6] == payroll_id]))
        Payroll.browse({key[0] for key in groups})._update_payment_state()
