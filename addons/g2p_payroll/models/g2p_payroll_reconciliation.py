import base64
import contextlib
import csv
import hashlib
import io

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from odoo.addons.g2p_registry.tools.notify import notification

# Accepted headers (lower case, spaces or underscores) -> result key.
COLUMNS = {
    "payment_number": "payment_number",
    "payment number": "payment_number",
    "paid": "paid",
    "date": "date",
    "psp_reference": "psp_reference",
    "psp reference": "psp_reference",
    "reason": "reason",
    "reason_code": "reason_code",
    "reason code": "reason_code",
    "amount": "amount",
}
REQUIRED_COLUMNS = ("payment_number", "paid")
#: A report of more rows is applied by a queue job: the request would outlive the HTTP timeouts.
APPLY_INLINE_ROWS = 5000
APPLY_JOB_CHANNEL = "root.g2p.payroll"
YES = {"yes", "y", "true", "1", "paid"}
NO = {"no", "n", "false", "0", "failed", "not paid"}


class G2pPayrollReconciliation(models.Model):
    """A PSP report uploaded to record which payments were made. Rows are staged and checked (dry
    run) before anything is applied; applying goes through the same reconciliation service as the
    payment hub, so a re-uploaded report applies nothing twice."""

    _name = "g2p.payroll.reconciliation"
    _description = "Payroll Reconciliation Report"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    payroll_id = fields.Many2one(
        "g2p.payroll",
        domain=[("state", "in", ("approved", "in_payment"))],
        help="When set, every row must belong to this payroll.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    file = fields.Binary(string="Report (CSV or XLSX)", required=True, attachment=True)
    filename = fields.Char()
    checksum = fields.Char(readonly=True, index=True, help="SHA-256 of the file.")
    state = fields.Selection(
        [("draft", "Draft"), ("checked", "Checked"), ("applying", "Applying"), ("applied", "Applied")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    row_ids = fields.One2many("g2p.payroll.reconciliation.row", "reconciliation_id", readonly=True)
    row_count = fields.Integer(string="Rows", readonly=True)
    paid_count = fields.Integer(string="Paid", readonly=True, help="Rows that mark a payment paid.")
    failed_count = fields.Integer(string="Failed", readonly=True, help="Rows that mark a payment failed.")
    skipped_count = fields.Integer(
        string="Already Applied",
        readonly=True,
        help="Rows whose payment already had the reported outcome (by this or an earlier report): "
        "nothing is applied twice.",
    )
    error_count = fields.Integer(
        string="Rows with Errors", readonly=True, help="Rows that cannot be applied; see each row's message."
    )
    previous_id = fields.Many2one(
        "g2p.payroll.reconciliation",
        string="Same File Applied In",
        readonly=True,
        help="An earlier upload of this exact file.",
    )
    applied_by_id = fields.Many2one("res.users", readonly=True)
    applied_date = fields.Datetime(readonly=True)

    @api.depends("filename", "payroll_id")
    def _compute_name(self):
        for rec in self:
            rec.name = rec.filename or _("PSP report")

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group("g2p_payroll.group_g2p_finance_officer"):
            raise AccessError(_("Only finance officers reconcile payments."))

    # ------------------------------------------------------------------ parsing

    def _read_table(self):
        """(header, rows) of the uploaded file; clear error when it is not a readable CSV/XLSX."""
        self.ensure_one()
        data = base64.b64decode(self.file or b"")
        if not data:
            raise UserError(_("The report is empty."))
        name = (self.filename or "").lower()
        if name.endswith(".xlsx") or data[:2] == b"PK":
            return self._read_xlsx(data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(_("The report is neither UTF-8 CSV nor XLSX.")) from exc
        dialect = csv.excel
        with contextlib.suppress(csv.Error):  # not sniffable (one column): plain CSV
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
        if not rows:
            raise UserError(_("The report is empty."))
        return rows[0], rows[1:]

    def _read_xlsx(self, data):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise UserError(_("The report is not a readable XLSX file: %s", exc)) from exc
        sheet = book.worksheets[0]
        rows = [
            [
                "" if cell is None else (cell.isoformat()[:10] if hasattr(cell, "isoformat") else str(cell))
                for cell in row
            ]
            for row in sheet.iter_rows(values_only=True)
        ]
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        if not rows:
            raise UserError(_("The report is empty."))
        return rows[0], rows[1:]

    def _parse(self):
        """Result dicts for the reconciliation service, one per row, or a clear error on the layout."""
        header, rows = self._read_table()
        keys = [COLUMNS.get(str(h).strip().lower().replace("-", "_")) for h in header]
        unknown = [h for h, key in zip(header, keys, strict=True) if key is None and str(h).strip()]
        missing = [c for c in REQUIRED_COLUMNS if c not in keys]
        if unknown or missing:
            raise UserError(
                _(
                    "Wrong columns in the report%(unknown)s%(missing)s. Expected: payment_number, paid "
                    "(yes/no), and optionally date, psp_reference, reason, reason_code, amount.",
                    unknown=(_(": unknown %s", ", ".join(unknown)) if unknown else ""),
                    missing=(_("; missing %s", ", ".join(missing)) if missing else ""),
                )
            )
        results = []
        for number, row in enumerate(rows, start=2):
            values = {key: (row[i].strip() if i < len(row) else "") for i, key in enumerate(keys) if key}
            paid = values.pop("paid", "").lower()
            status = "paid" if paid in YES else "failed" if paid in NO else paid or "?"
            result = {"row": number, **values, "status": status}
            if (
                status == "failed"
                and not result.get("reason_code")
                and result.get("reason", "").upper() in self._reason_codes()
            ):
                result["reason_code"] = result["reason"].upper()
            results.append(result)
        return results

    def _reason_codes(self):
        return set(
            self.env["g2p.payment.failure.reason"].with_context(active_test=False).search([]).mapped("code")
        )

    # ------------------------------------------------------------------ check / apply

    def _run(self, dry_run):
        self.ensure_one()
        self._check_finance()
        results = self._parse()
        if self.payroll_id:
            numbers = set(self.payroll_id.line_ids.mapped("payment_number"))
            for result in results:
                if result.get("payment_number") and result["payment_number"] not in numbers:
                    result["payment_number_error"] = True
        Line = self.env["g2p.payroll.line"]
        lines = {
            line.payment_number: line
            for line in Line.search([("payment_number", "in", [r.get("payment_number") for r in results])])
        }
        # Rows whose payment already has the reported state, read before anything is applied.
        already = {
            r["row"]
            for r in results
            if r.get("payment_number") in lines and lines[r["payment_number"]].state == r["status"]
        }
        summary = Line._apply_payment_results(
            [r for r in results if not r.get("payment_number_error")], dry_run=dry_run, atomic=True
        )
        errors = dict(summary["errors"])
        for result in results:
            if result.get("payment_number_error"):
                errors[result["row"]] = _(
                    "Payment %(number)s is not in payroll %(payroll)s.",
                    number=result["payment_number"],
                    payroll=self.payroll_id.name,
                )
        if errors and not dry_run:
            summary = Line._apply_payment_results([], dry_run=True)
        self._store_rows(results, errors, lines, already, applied=not dry_run and not errors)
        return summary, errors

    def _store_rows(self, results, errors, lines, already, applied=False):
        self.row_ids.unlink()
        vals = []
        for result in results:
            line = lines.get(result.get("payment_number"))
            error = errors.get(result["row"])
            vals.append(
                {
                    "reconciliation_id": self.id,
                    "row_number": result["row"],
                    "payment_number": result.get("payment_number"),
                    "status": result["status"] if result["status"] in ("paid", "failed") else False,
                    "date": result.get("date") or False,
                    "psp_reference": result.get("psp_reference"),
                    "reason": result.get("reason") or result.get("reason_code"),
                    "line_id": line.id if line else False,
                    "result": "error"
                    if error
                    else ("skipped" if result["row"] in already else ("applied" if applied else "ok")),
                    "message": error or False,
                }
            )
        self.env["g2p.payroll.reconciliation.row"].create(vals)

    def _row_amounts(self, results):
        """(paid, failed) totals of the rows with one of ``results``, formatted in the payments' currency."""
        self.ensure_one()
        rows = self.row_ids.filtered(
            lambda row: row.result in results and row.line_id and row.status in ("paid", "failed")
        )
        currency = self.payroll_id.currency_id or rows.line_id.currency_id[:1] or self.company_id.currency_id
        totals = {"paid": 0.0, "failed": 0.0}
        for row in rows:
            totals[row.status] += row.line_id.amount
        return tuple(format_amount(self.env, totals[status], currency) for status in ("paid", "failed"))

    def action_check(self):
        """Dry run: per-row errors, nothing applied."""
        for rec in self:
            if rec.state == "applied":
                raise UserError(_("This report is already applied."))
            if rec.state == "applying":
                raise UserError(_("This report is being applied in the background."))
            data = base64.b64decode(rec.file or b"")
            checksum = hashlib.sha256(data).hexdigest()
            previous = self.search(
                [("checksum", "=", checksum), ("state", "=", "applied"), ("id", "!=", rec.id)], limit=1
            )
            summary, errors = rec._run(dry_run=True)
            rec.write(
                {
                    "state": "checked",
                    "checksum": checksum,
                    "previous_id": previous.id,
                    "row_count": len(rec.row_ids),
                    "paid_count": summary["paid"],
                    "failed_count": summary["failed"],
                    "skipped_count": summary["skipped"],
                    "error_count": len(errors),
                }
            )
        messages = []
        for rec in self:
            if rec.error_count:
                messages.append(
                    _(
                        "%(errors)s of %(rows)s rows have errors (see the rows in red): fix the file "
                        "and check it again. Nothing is applied while a row has an error.",
                        errors=rec.error_count,
                        rows=rec.row_count,
                    )
                )
            else:
                paid_amount, failed_amount = rec._row_amounts(("ok",))
                messages.append(
                    _(
                        "%(rows)s rows read: %(paid)s payments to mark paid, %(failed)s failed, "
                        "%(skipped)s already applied (%(paid_amount)s paid, %(failed_amount)s failed). "
                        "Nothing is recorded yet: click Apply to record them.",
                        rows=rec.row_count,
                        paid=rec.paid_count,
                        failed=rec.failed_count,
                        skipped=rec.skipped_count,
                        paid_amount=paid_amount,
                        failed_amount=failed_amount,
                    )
                )
        errors = any(self.mapped("error_count"))
        return notification(_("Report checked"), "\n".join(messages), "warning" if errors else "success")

    def _apply_now(self):
        """Apply the rows of each report here and now, all or nothing per report."""
        for rec in self:
            summary, errors = rec._run(dry_run=False)
            if errors:
                rec.error_count = len(errors)
                raise UserError(
                    _(
                        "Nothing applied: %(count)s rows have errors, e.g. row %(row)s: %(message)s",
                        count=len(errors),
                        row=min(errors),
                        message=errors[min(errors)],
                    )
                )
            rec.write(
                {
                    "state": "applied",
                    "paid_count": summary["paid"],
                    "failed_count": summary["failed"],
                    "skipped_count": summary["skipped"],
                    "error_count": 0,
                    "applied_by_id": self.env.uid,
                    "applied_date": fields.Datetime.now(),
                }
            )
            rec.message_post(
                body=_(
                    "Applied: %(paid)s paid, %(failed)s failed, %(skipped)s already applied.",
                    paid=summary["paid"],
                    failed=summary["failed"],
                    skipped=summary["skipped"],
                )
            )

    def _apply_job(self):
        """The queue job of a large report: applies it, or puts it back to *Checked* with the
        reason when a row cannot be applied (the rows were checked, but payments may have moved
        since)."""
        self.ensure_one()
        if self.state != "applying":
            return _("Report %(report)s is not waiting to be applied: nothing to do.", report=self.name)
        try:
            with self.env.cr.savepoint():
                self._apply_now()
        except UserError as e:
            self.write({"state": "checked"})
            self.message_post(body=e.args[0])
            return e.args[0]
        return _(
            "Applied: %(paid)s paid, %(failed)s failed, %(skipped)s already applied.",
            paid=self.paid_count,
            failed=self.failed_count,
            skipped=self.skipped_count,
        )

    def action_apply(self):
        """Apply all rows, or none when any row has an error. A large report is applied by a queue
        job (all or nothing still): the report shows *Applying* until it is done."""
        for rec in self:
            if rec.state != "checked":
                raise UserError(_("Check the report (dry run) before applying it."))
            if rec.error_count:
                raise UserError(
                    _(
                        "Nothing applied: %(count)s rows have errors; fix the file and check it again.",
                        count=rec.error_count,
                    )
                )
        self._check_finance()
        large = self.filtered(lambda r: r.row_count > APPLY_INLINE_ROWS)
        for rec in large:
            rec.state = "applying"
            rec.with_delay(
                channel=APPLY_JOB_CHANNEL, description=_("Apply PSP report %(report)s", report=rec.name)
            )._apply_job()
            rec.message_post(
                body=_("%(rows)s rows to apply: they are applied in the background.", rows=rec.row_count)
            )
        small = self - large
        if small:
            small._apply_now()
        if large and not small:
            return notification(
                _("Applying in the background"),
                _(
                    "%(rows)s rows are being applied by a background job; the report says Applied, with "
                    "the counts, when they are recorded.",
                    rows=sum(large.mapped("row_count")),
                ),
                "info",
            )
        messages = []
        for rec in small:
            paid_amount, failed_amount = rec._row_amounts(("applied",))
            messages.append(
                _(
                    "%(paid)s payments marked paid, %(failed)s failed, %(skipped)s already applied "
                    "(%(paid_amount)s paid, %(failed_amount)s failed); their journal entries are posted.",
                    paid=rec.paid_count,
                    failed=rec.failed_count,
                    skipped=rec.skipped_count,
                    paid_amount=paid_amount,
                    failed_amount=failed_amount,
                )
            )
        return notification(_("Report applied"), "\n".join(messages))
