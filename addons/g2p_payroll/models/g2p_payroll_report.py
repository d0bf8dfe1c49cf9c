"""Report helpers of payrolls and programs: the rows of the PDF reports, the XLSX export and the
demo flow. Every figure is read set-based in SQL (one grouped query per table), never per line,
after checking that the user may read the record the report is about."""

import io
from datetime import date, datetime

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, LazyTranslate

_lt = LazyTranslate(__name__)

# Above this many payments the payroll PDF prints the summary only: about 70 pages, beyond what
# anyone reads on paper (measured with wkhtmltopdf 0.12.6: 2,000 rows in ~3 s, 10,000 rows in ~7 s
# and 330 pages). The XLSX export has them all. Override with the system parameter below.
PDF_LINE_LIMIT = 2000
PDF_LINE_LIMIT_PARAM = "g2p_payroll.report_pdf_line_limit"
# Rows fetched from PostgreSQL at a time while writing the XLSX export.
XLSX_FETCH_SIZE = 5000

XLSX_COLUMNS = [
    # (header, width, kind)
    (_lt("Payment Number"), 28, "text"),
    (_lt("Beneficiary"), 32, "text"),
    (_lt("Registrant Number"), 18, "text"),
    (_lt("Recipient"), 28, "text"),
    (_lt("PSP"), 22, "text"),
    (_lt("Account Type"), 14, "text"),
    (_lt("Account"), 28, "text"),
    (_lt("Amount"), 14, "amount"),
    (_lt("Currency"), 9, "text"),
    (_lt("State"), 11, "text"),
    (_lt("PSP Reference"), 22, "text"),
    (_lt("Reason Code"), 16, "text"),
    (_lt("Reason"), 30, "text"),
    (_lt("Reason Details"), 30, "text"),
    (_lt("Sent"), 18, "datetime"),
    (_lt("Paid"), 11, "date"),
    (_lt("Failed"), 11, "date"),
]


class G2pPayrollReport(models.Model):
    _inherit = "g2p.payroll"

    # ------------------------------------------------------------------ shared queries

    def _report_check_access(self):
        """Reports read lines in SQL (no record rules), so check the payrolls themselves first:
        what the user cannot open in the form, the user cannot print or export."""
        self.check_access("read")
        self.env["g2p.payroll.line"].check_access("read")

    @api.model
    def _report_pdf_line_limit(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PDF_LINE_LIMIT_PARAM)
        try:
            return int(value) if value else PDF_LINE_LIMIT
        except ValueError:
            return PDF_LINE_LIMIT

    def _report_lines_sql(self, limit=None):
        """The payments of the payrolls, one row each, with their names resolved (one query)."""
        lang = self.env.lang or "en_US"
        return SQL(
            """SELECT l.id, l.payroll_id, l.payment_number, ben.name AS beneficiary,
                      ben.registrant_number, rcp.name AS recipient, psp.name AS psp,
                      l.account_type, l.account_identifier, l.amount, cur.name AS currency, l.state,
                      l.psp_reference, r.code AS reason_code,
                      COALESCE(r.name->>%(lang)s, r.name->>'en_US') AS reason, l.failure_note,
                      l.sent_date, l.paid_date, l.failed_date
                 FROM g2p_payroll_line l
                 JOIN res_partner ben ON ben.id = l.beneficiary_id
                 JOIN res_currency cur ON cur.id = l.currency_id
            LEFT JOIN res_partner rcp ON rcp.id = l.recipient_id
            LEFT JOIN res_partner psp ON psp.id = l.psp_id
            LEFT JOIN g2p_payment_failure_reason r ON r.id = l.failure_reason_id
                WHERE l.payroll_id IN %(payrolls)s
             ORDER BY l.payroll_id, l.payment_number
                %(limit)s""",
            lang=lang,
            payrolls=tuple(self.ids) or (None,),
            limit=SQL("LIMIT %s", limit) if limit else SQL(),
        )

    def _report_flush(self):
        self.env["g2p.payroll.line"].flush_model()
        self.env["res.partner"].flush_model(["name", "registrant_number"])

    # ------------------------------------------------------------------ payroll PDF

    def _report_payroll_values(self):
        """{payroll id: {'lines': [row dicts] or None when over the limit, 'limit': n}}."""
        self._report_check_access()
        self._report_flush()
        limit = self._report_pdf_line_limit()
        values = {}
        for payroll in self:
            count = self.env["g2p.payroll.line"].search_count([("payroll_id", "=", payroll.id)])
            lines = None
            if count <= limit:
                lines = self.env.execute_query_dict(payroll._report_lines_sql())
            values[payroll.id] = {"lines": lines, "line_total": count, "limit": limit}
        return values

    # ------------------------------------------------------------------ reconciliation PDF

    def _report_reconciliation_values(self):
        """Counts and amounts paid / failed / pending / cancelled, by PSP and by reason."""
        self._report_check_access()
        self._report_flush()
        lang = self.env.lang or "en_US"
        outcome = SQL(
            """CASE WHEN l.state = 'paid' THEN 'paid' WHEN l.state = 'failed' THEN 'failed'
                    WHEN l.state = 'cancelled' THEN 'cancelled' ELSE 'pending' END"""
        )
        by_psp = self.env.execute_query_dict(
            SQL(
                """SELECT l.payroll_id, COALESCE(psp.name, '') AS psp,
                          count(*) FILTER (WHERE l.state = 'paid') AS paid_count,
                          COALESCE(sum(l.amount) FILTER (WHERE l.state = 'paid'), 0) AS paid_amount,
                          count(*) FILTER (WHERE l.state = 'failed') AS failed_count,
                          COALESCE(sum(l.amount) FILTER (WHERE l.state = 'failed'), 0) AS failed_amount,
                          count(*) FILTER (WHERE l.state IN ('pending', 'approved', 'sent'))
                              AS pending_count,
                          COALESCE(sum(l.amount) FILTER (WHERE l.state IN ('pending', 'approved', 'sent')),
                                   0) AS pending_amount,
                          count(*) FILTER (WHERE l.state = 'cancelled') AS cancelled_count,
                          COALESCE(sum(l.amount) FILTER (WHERE l.state = 'cancelled'), 0)
                              AS cancelled_amount
                     FROM g2p_payroll_line l
                LEFT JOIN res_partner psp ON psp.id = l.psp_id
                    WHERE l.payroll_id IN %s
                 GROUP BY l.payroll_id, psp.name
                 ORDER BY l.payroll_id, psp.name""",
                tuple(self.ids),
            )
        )
        by_reason = self.env.execute_query_dict(
            SQL(
                """SELECT l.payroll_id, %(outcome)s AS outcome, r.code AS reason_code,
                          COALESCE(r.name->>%(lang)s, r.name->>'en_US') AS reason,
                          count(*) AS count, sum(l.amount) AS amount
                     FROM g2p_payroll_line l
                LEFT JOIN g2p_payment_failure_reason r ON r.id = l.failure_reason_id
                    WHERE l.payroll_id IN %(payrolls)s AND l.state IN ('failed', 'cancelled')
                 GROUP BY l.payroll_id, 2, r.code, r.sequence, 4
                 ORDER BY l.payroll_id, 2 DESC, r.sequence, r.code""",
                outcome=outcome,
                lang=lang,
                payrolls=tuple(self.ids),
            )
        )
        keys = ("paid", "failed", "pending", "cancelled")
        values = {
            payroll.id: {
                "by_psp": [],
                "by_reason": [],
                "totals": {f"{k}_{m}": 0 for k in keys for m in ("count", "amount")},
            }
            for payroll in self
        }
        for row in by_psp:
            val = values[row["payroll_id"]]
            val["by_psp"].append(row)
            for key in val["totals"]:
                val["totals"][key] += row[key]
        for row in by_reason:
            values[row["payroll_id"]]["by_reason"].append(row)
        return values

    # ------------------------------------------------------------------ XLSX export

    def action_export_xlsx(self):
        """Download the payments as XLSX (served by the controller, which checks access again)."""
        self.ensure_one()
        self._report_check_access()
        return {
            "type": "ir.actions.act_url",
            "url": "/g2p_payroll/payroll/%s/payments.xlsx" % self.id,
            "target": "download",
        }

    def _export_xlsx_filename(self):
        self.ensure_one()
        return "%s-payments.xlsx" % self.name.replace("/", "-")

    def _export_xlsx(self):
        """The payments of one payroll as an XLSX file (bytes). One query read through a
        server-side cursor in chunks and written in xlsxwriter's constant-memory mode, so memory
        stays bounded by the chunk size (plus the compressed output)."""
        self.ensure_one()
        self._report_check_access()
        self._report_flush()
        states = dict(self.env["g2p.payroll.line"]._fields["state"]._description_selection(self.env))
        types = dict(self.env["g2p.payroll.line"]._fields["account_type"]._description_selection(self.env))
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "remove_timezone": True})
        bold = workbook.add_format({"bold": True, "bg_color": "#DDDDDD"})
        digits = self.currency_id.decimal_places
        money = workbook.add_format({"num_format": "#,##0.%s" % ("0" * digits) if digits else "#,##0"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet = workbook.add_worksheet(_("Payments"))
        for col, (header, width, _kind) in enumerate(XLSX_COLUMNS):
            sheet.set_column(col, col, width)
            sheet.write(0, col, str(header), bold)
        sheet.freeze_panes(1, 0)
        # A server-side cursor: psycopg2 would otherwise load every row into memory on execute.
        cr = self.env.cr
        cursor = SQL.identifier("g2p_payroll_xlsx_%s" % self.id)
        cr.execute(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", cursor, self._report_lines_sql()))
        row_index = 0
        while True:
            cr.execute(SQL("FETCH FORWARD %s FROM %s", XLSX_FETCH_SIZE, cursor))
            rows = cr.dictfetchall()
            if not rows:
                break
            for row in rows:
                row_index += 1
                values = [
                    row["payment_number"],
                    row["beneficiary"],
                    row["registrant_number"],
                    row["recipient"],
                    row["psp"],
                    types.get(row["account_type"], row["account_type"]),
                    row["account_identifier"],
                    row["amount"],
                    row["currency"],
                    states.get(row["state"], row["state"]),
                    row["psp_reference"],
                    row["reason_code"],
                    row["reason"],
                    row["failure_note"],
                    row["sent_date"],
                    row["paid_date"],
                    row["failed_date"],
                ]
                for col, value in enumerate(values):
                    kind = XLSX_COLUMNS[col][2]
                    if value is None or value is False:
                        continue
                    if kind == "amount":
                        sheet.write_number(row_index, col, float(value), money)
                    elif kind == "datetime" and isinstance(value, datetime):
                        sheet.write_datetime(row_index, col, value, moment)
                    elif kind == "date" and isinstance(value, date):
                        sheet.write_datetime(
                            row_index, col, datetime.combine(value, datetime.min.time()), day
                        )
                    else:
                        # Strings only: identifiers such as MSISDNs must not become numbers or formulas.
                        sheet.write_string(row_index, col, str(value))
        cr.execute(SQL("CLOSE %s", cursor))
        if row_index:
            sheet.autofilter(0, 0, row_index, len(XLSX_COLUMNS) - 1)
        workbook.close()
        return output.getvalue()


class G2pProgramReport(models.Model):
    _inherit = "g2p.program"

    # ------------------------------------------------------------------ funds statement

    def _report_funds_statement(self):
        """Movements of the program's funds in date order, with the running balance:
        posted receipts (+), their reversals (-), each approved payroll's committed amount (-) and
        the failed or cancelled-after-approval payments returned to the funds (+). The closing
        balance equals ``funds_available``."""
        self.ensure_one()
        self.check_access("read")
        self.env["g2p.program.fund"].check_access("read")
        self.env["g2p.payroll"].check_access("read")
        self.env["g2p.program.fund"].flush_model()
        self.env["g2p.payroll"].flush_model()
        self.env["g2p.payroll.line"].flush_model()
        self.env["account.move"].flush_model(["date"])
        self.env["account.move.line"].flush_model(["date"])
        # The funds figures are computed without dependencies: never trust a cached value here.
        self.invalidate_recordset(["funds_received", "funds_committed", "funds_available"])
        # Lines whose amount was committed at approval: approved since, or failed, or cancelled
        # after approval (a cancelled line with a payable item).
        committed = SQL(
            """(l.state IN ('approved', 'sent', 'paid', 'failed')
                OR (l.state = 'cancelled' AND l.approval_move_line_id IS NOT NULL))"""
        )
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT * FROM (
                   SELECT f.date AS date, 1 AS seq, 'receipt' AS kind, f.name AS reference,
                          src.name AS label, f.amount AS amount
                     FROM g2p_program_fund f
                LEFT JOIN res_partner src ON src.id = f.source_partner_id
                    WHERE f.program_id = %(program)s
                      AND (f.state = 'posted' OR (f.state = 'cancelled' AND f.move_id IS NOT NULL))
                UNION ALL
                   SELECT COALESCE(rm.date, f.write_date::date), 2, 'receipt_reversal', f.name,
                          src.name, -f.amount
                     FROM g2p_program_fund f
                LEFT JOIN account_move rm ON rm.id = f.reversal_move_id
                LEFT JOIN res_partner src ON src.id = f.source_partner_id
                    WHERE f.program_id = %(program)s AND f.state = 'cancelled' AND f.move_id IS NOT NULL
                UNION ALL
                   SELECT p.date, 3, 'committed', p.name, c.name, -sum(l.amount)
                     FROM g2p_payroll p
                     JOIN g2p_cycle c ON c.id = p.cycle_id
                     JOIN g2p_payroll_line l ON l.payroll_id = p.id
                    WHERE p.program_id = %(program)s AND %(committed)s
                 GROUP BY p.id, p.date, p.name, c.name
                UNION ALL
                   SELECT COALESCE(l.failed_date, aml.date, l.write_date::date), 4, 'reversal_' || l.state,
                          p.name, count(*)::text, sum(l.amount)
                     FROM g2p_payroll p
                     JOIN g2p_payroll_line l ON l.payroll_id = p.id
                LEFT JOIN account_move_line aml ON aml.id = l.settlement_move_line_id
                    WHERE p.program_id = %(program)s AND l.state IN ('failed', 'cancelled')
                      AND l.approval_move_line_id IS NOT NULL
                 GROUP BY 1, p.id, p.name, l.state
                ) movements
                ORDER BY date, seq, reference""",
                program=self.id,
                committed=committed,
            )
        )
        kinds = {
            "receipt": _("Fund receipt"),
            "receipt_reversal": _("Fund receipt reversed"),
            "committed": _("Payroll approved (committed)"),
            "reversal_failed": _("Failed payments returned"),
            "reversal_cancelled": _("Cancelled payments returned"),
        }
        balance = 0.0
        received = committed_total = returned = 0.0
        for row in rows:
            amount = float(row["amount"])
            row["amount"] = amount
            balance += amount
            row["balance"] = balance
            row["kind_label"] = kinds[row["kind"]]
            if row["kind"] in ("receipt", "receipt_reversal"):
                received += amount
            elif row["kind"] == "committed":
                committed_total -= amount
            else:
                returned += amount
                row["label"] = _("%s payments", row["label"])
        return {
            "rows": rows,
            "received": received,
            "committed": committed_total,
            "returned": returned,
            "balance": balance,
        }

    # ------------------------------------------------------------------ demo data

    @api.model
    def _demo_payroll_flow(self, program_id, maker_id, approver_id, finance_id):
        """Demo data: a posted fund receipt, then a payroll for the program's approved cycle,
        generated and submitted by ``maker``, approved by ``approver``, prefunded and partly
        reconciled (most paid, a few failed, the rest awaiting an outcome) by ``finance``."""
        program = self.browse(program_id).exists()
        Users = self.env["res.users"]
        maker, approver, finance = Users.browse(maker_id), Users.browse(approver_id), Users.browse(finance_id)
        if not program or program.sudo().payroll_ids:
            return False
        program = program.sudo()
        program._g2p_accounting()
        cycle = program.cycle_ids.filtered(lambda c: c.state == "approved")[:1]
        if not cycle:
            return False
        payroll = self.env["g2p.payroll"].with_user(maker).create({"cycle_id": cycle.id})
        payroll.action_generate()
        if not payroll.line_ids:
            return False
        # Enough for this payroll and the next one.
        needed = payroll.total_amount * 2
        fund = (
            self.env["g2p.program.fund"]
            .with_user(finance)
            .create(
                {
                    "program_id": program.id,
                    "amount": program.currency_id.round(needed + 10_000),
                    "source_partner_id": self.env.company.partner_id.id,
                    "note": _("Treasury release (demo)"),
                }
            )
        )
        fund.action_post()
        payroll.action_submit()
        payroll.with_user(approver).action_approve()
        payroll = payroll.with_user(finance)
        payroll.action_transfer_to_psp()
        lines = payroll.line_ids.sorted("id")
        sent = lines[: max(1, len(lines) * 9 // 10)]
        sent._mark_sent()
        failing = sent[-4:] if len(sent) > 8 else sent[-1:]
        reasons = ["ACCOUNT_CLOSED", "NOT_COLLECTED", "ACCOUNT_NOT_FOUND", "PSP_REJECTED"]
        today = fields.Date.context_today(payroll)
        note = _("Reported by the PSP (demo)")
        results = [
            {
                "payment_number": line.payment_number,
                "status": "paid",
                "date": today,
                "psp_reference": "DEMO-%06d" % line.id,
            }
            for line in sent - failing
        ] + [
            {
                "payment_number": line.payment_number,
                "status": "failed",
                "date": today,
                "reason_code": reasons[index % len(reasons)],
                "reason": note,
            }
            for index, line in enumerate(failing)
        ]
        summary = self.env["g2p.payroll.line"].with_user(finance)._apply_payment_results(results)
        if summary["errors"]:
            raise UserError(_("Demo payment results refused: %s", summary["errors"]))
        return payroll.id
