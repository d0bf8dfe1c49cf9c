"""Payroll PDF, reconciliation summary, funds statement and XLSX export: real content, right
figures, and nothing for users who cannot read the payroll."""

import io

import openpyxl

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user

from .common import PayrollCase


def iban(number):
    """A valid German IBAN for a test account number."""
    bban = "37040044%010d" % number
    return "DE%02d%s" % (98 - int(bban + "131400") % 97, bban)


def money(amount):
    return f"{amount:,.2f}"


class PayrollReportCase(PayrollCase):
    """One approved payroll of eight households (six by wallet, two by bank): four paid, two
    failed, one cancelled after approval, one awaiting its outcome."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(8):
            psp = "bank" if i >= 6 else "mobile"
            number = iban(900 + i) if psp == "bank" else "+2547200000%02d" % i
            cls.households |= cls._paid_household("RH%02d" % i, [40] + [8] * (i % 3), psp=psp, number=number)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.fund = cls._fund(50_000)
        cls.cycle = cls._approved_cycle()
        payroll = cls.env["g2p.payroll"].with_user(cls.manager).create({"cycle_id": cls.cycle.id})
        payroll.action_generate()
        payroll.action_submit()
        payroll.with_user(cls.approver).action_approve()
        cls.payroll = cls.env["g2p.payroll"].browse(payroll.id)
        lines = cls.payroll.line_ids.sorted("id")
        cls.paid, cls.failed = lines[:4], lines[4:6]
        cls.cancelled, cls.open = lines[6], lines[7]
        cls.cancelled.with_user(cls.manager).action_cancel()
        Line = cls.env["g2p.payroll.line"].with_user(cls.finance)
        summary = Line._apply_payment_results(
            [
                {"payment_number": line.payment_number, "status": "paid", "psp_reference": "TX-%s" % i}
                for i, line in enumerate(cls.paid)
            ]
            + [
                {
                    "payment_number": cls.failed[0].payment_number,
                    "status": "failed",
                    "reason_code": "ACCOUNT_CLOSED",
                },
                {
                    "payment_number": cls.failed[1].payment_number,
                    "status": "failed",
                    "reason_code": "DECEASED",
                },
            ]
        )
        assert not summary["errors"], summary["errors"]
        cls.env.flush_all()

    def _html(self, report, records, user=None):
        Report = self.env["ir.actions.report"].with_user(user or self.finance)
        return Report._render_qweb_html(report, records.ids)[0].decode()


class TestPayrollReports(PayrollReportCase):
    def test_payroll_pdf_lists_payments_and_totals(self):
        html = self._html("g2p_payroll.action_report_g2p_payroll", self.payroll, user=self.manager)
        self.assertIn(self.payroll.name, html)
        self.assertIn(self.program.name, html)
        self.assertIn(self.approver.name, html)
        for line in self.payroll.line_ids:
            self.assertIn(line.payment_number, html)
            self.assertIn(line.beneficiary_id.registrant_number, html)
            self.assertIn(line.account_identifier, html)
            self.assertIn(money(line.amount), html)
        # Totals: live payments (the cancelled one is left out), and per PSP.
        total = sum((self.paid | self.failed | self.open).mapped("amount"))
        self.assertEqual(self.payroll.total_amount, total)
        self.assertIn(money(total), html)
        self.assertIn(self.mobile_psp.name, html)
        self.assertIn(self.bank_psp.name, html)

    def test_payroll_pdf_prints_only_the_summary_above_the_limit(self):
        self.env["ir.config_parameter"].sudo().set_param("g2p_payroll.report_pdf_line_limit", "3")
        html = self._html("g2p_payroll.action_report_g2p_payroll", self.payroll)
        self.assertIn("only the summary is printed", html)
        self.assertIn(money(self.payroll.total_amount), html)
        self.assertNotIn(self.paid[0].payment_number, html)

    def test_payroll_pdf_renders_with_wkhtmltopdf(self):
        Report = self.env["ir.actions.report"]
        if Report.get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not available")
        pdf, kind = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            "g2p_payroll.action_report_g2p_payroll", self.payroll.ids
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_reconciliation_summary_by_psp_and_reason(self):
        values = self.payroll._report_reconciliation_values()[self.payroll.id]
        totals = values["totals"]
        self.assertEqual(
            (
                totals["paid_count"],
                totals["failed_count"],
                totals["pending_count"],
                totals["cancelled_count"],
            ),
            (4, 2, 1, 1),
        )
        self.assertEqual(totals["paid_amount"], sum(self.paid.mapped("amount")))
        self.assertEqual(totals["failed_amount"], sum(self.failed.mapped("amount")))
        self.assertEqual(totals["pending_amount"], self.open.amount)
        by_psp = {row["psp"]: row for row in values["by_psp"]}
        for psp in (self.mobile_psp, self.bank_psp):
            row = by_psp[psp.name]
            for state, lines in (("paid", self.paid), ("failed", self.failed), ("cancelled", self.cancelled)):
                mine = lines.filtered(lambda line, p=psp: line.psp_id == p)
                self.assertEqual(
                    (row[state + "_count"], row[state + "_amount"]), (len(mine), sum(mine.mapped("amount")))
                )
        reasons = {
            (row["outcome"], row["reason_code"]): (row["count"], row["amount"]) for row in values["by_reason"]
        }
        self.assertEqual(
            reasons,
            {
                ("failed", "ACCOUNT_CLOSED"): (1, self.failed[0].amount),
                ("failed", "DECEASED"): (1, self.failed[1].amount),
                ("cancelled", "CANCELLED"): (1, self.cancelled.amount),
            },
        )
        html = self._html("g2p_payroll.action_report_g2p_payroll_reconciliation", self.payroll)
        for text in ("ACCOUNT_CLOSED", "DECEASED", money(totals["paid_amount"]), self.bank_psp.name):
            self.assertIn(text, html)

    def test_funds_statement(self):
        program = self.program.with_user(self.finance)
        statement = program._report_funds_statement()
        rows = [(row["kind"], row["reference"], row["amount"]) for row in statement["rows"]]
        approved = self.paid | self.failed | self.cancelled | self.open
        self.assertEqual(rows[0], ("receipt", self.fund.name, 50_000))
        self.assertIn(("committed", self.payroll.name, -sum(approved.mapped("amount"))), rows)
        self.assertIn(("reversal_failed", self.payroll.name, sum(self.failed.mapped("amount"))), rows)
        self.assertIn(("reversal_cancelled", self.payroll.name, self.cancelled.amount), rows)
        self.assertEqual(len(rows), 4)
        self.assertEqual(statement["balance"], program.funds_available)
        self.assertEqual(statement["rows"][-1]["balance"], program.funds_available)
        self.assertEqual(program.funds_available, 50_000 - sum((self.paid | self.open).mapped("amount")))
        # A reversed receipt shows twice: received, then reversed.
        spare = self._fund(1_000)
        spare.with_user(self.finance).action_cancel()
        statement = program._report_funds_statement()
        self.assertIn(
            ("receipt_reversal", spare.name, -1_000),
            [(r["kind"], r["reference"], r["amount"]) for r in statement["rows"]],
        )
        self.assertEqual(statement["balance"], program.funds_available)
        html = self._html("g2p_payroll.action_report_g2p_program_funds", self.program)
        self.assertIn(self.fund.name, html)
        self.assertIn(money(program.funds_available), html)

    def test_xlsx_export(self):
        payroll = self.payroll.with_user(self.finance)
        action = payroll.action_export_xlsx()
        self.assertEqual(action["url"], "/g2p_payroll/payroll/%s/payments.xlsx" % payroll.id)
        book = openpyxl.load_workbook(io.BytesIO(payroll._export_xlsx()), read_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        header = rows[0]
        self.assertEqual(header[:3], ("Payment Number", "Beneficiary", "Registrant Number"))
        col = {name: index for index, name in enumerate(header)}
        data = {row[0]: row for row in rows[1:]}
        self.assertEqual(len(data), len(self.payroll.line_ids))
        for line in self.payroll.line_ids:
            row = data[line.payment_number]
            self.assertEqual(row[col["Amount"]], line.amount)
            self.assertEqual(row[col["Beneficiary"]], line.beneficiary_id.name)
            self.assertEqual(row[col["Registrant Number"]], line.beneficiary_id.registrant_number)
            self.assertEqual(row[col["PSP"]], line.psp_id.name)
            # Identifiers stay text (no number conversion of MSISDNs).
            self.assertEqual(row[col["Account"]], line.account_identifier)
        paid = data[self.paid[0].payment_number]
        self.assertEqual((paid[col["State"]], paid[col["PSP Reference"]]), ("Paid", "TX-0"))
        self.assertTrue(paid[col["Paid"]])
        failed = data[self.failed[1].payment_number]
        self.assertEqual((failed[col["State"]], failed[col["Reason Code"]]), ("Failed", "DECEASED"))
        self.assertEqual(data[self.open.payment_number][col["State"]], "Approved")
        self.assertEqual(
            sum(row[col["Amount"]] for row in data.values()), sum(self.payroll.line_ids.mapped("amount"))
        )

    def test_reports_refused_without_access(self):
        outsider = new_test_user(self.env, "no_payroll_access", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.payroll.with_user(outsider)._export_xlsx()
        with self.assertRaises(AccessError):
            self._html("g2p_payroll.action_report_g2p_payroll", self.payroll, user=outsider)
        with self.assertRaises(AccessError):
            self.program.with_user(outsider)._report_funds_statement()
        # Approvers do not see drafts (record rule), so they cannot export one either.
        draft = self.env["g2p.payroll"].with_user(self.manager).create({"cycle_id": self.cycle.id})
        with self.assertRaises(AccessError):
            draft.with_user(self.approver)._export_xlsx()
        self.assertTrue(self.payroll.with_user(self.approver)._export_xlsx())


class TestPayrollXlsxRoute(HttpCase, PayrollReportCase):
    def test_download_route(self):
        url = "/g2p_payroll/payroll/%s/payments.xlsx" % self.payroll.id
        self.authenticate("finance_officer", "finance_officer")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        self.assertEqual(book.active.max_row, 1 + len(self.payroll.line_ids))
        new_test_user(self.env, "no_payroll_access", groups="base.group_user")
        self.authenticate("no_payroll_access", "no_payroll_access")
        self.assertEqual(self.url_open(url).status_code, 403)
