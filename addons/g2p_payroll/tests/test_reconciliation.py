"""PSP report upload: dry run with per-row errors, all-or-nothing apply, idempotent re-upload."""

import base64
import io

from odoo.exceptions import AccessError, UserError

from .common import PayrollCase


class TestReconciliationFile(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(5):
            cls._paid_household("RC%s" % i, [33, 4], number="+25473%07d" % i)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(5 * 1500)

    def setUp(self):
        super().setUp()
        self.payroll = self._payroll(self._approved_cycle())
        self._approve(self.payroll)
        self.lines = self.payroll.line_ids.sorted("payment_number")

    def _upload(self, content, filename="report.csv"):
        data = content.encode() if isinstance(content, str) else content
        return (
            self.env["g2p.payroll.reconciliation"]
            .with_user(self.finance)
            .create({"file": base64.b64encode(data), "filename": filename, "payroll_id": self.payroll.id})
        )

    def _csv(self, rows, header="payment_number,paid,date,psp_reference,reason"):
        return "\n".join([header, *(",".join(map(str, row)) for row in rows)])

    def _good_rows(self):
        n = self.lines.mapped("payment_number")
        return [
            (n[0], "yes", str(self.today), "MP1", ""),
            (n[1], "yes", str(self.today), "MP2", ""),
            (n[2], "no", str(self.today), "", "ACCOUNT_CLOSED"),
            (n[3], "no", str(self.today), "", "wallet suspended"),
        ]

    def test_dry_run_then_apply_then_reupload_applies_nothing_twice(self):
        report = self._upload(self._csv(self._good_rows()))
        report.action_check()
        self.assertEqual(
            (report.state, report.paid_count, report.failed_count, report.error_count), ("checked", 2, 2, 0)
        )
        self.assertEqual(set(report.row_ids.mapped("result")), {"ok"})
        self.assertEqual(set(self.lines.mapped("state")), {"approved"}, "a dry run applies nothing")
        self.assertFalse(self.payroll.move_ids.filtered(lambda m: m.g2p_event == "payment"))

        report.action_apply()
        self.assertEqual(report.state, "applied")
        self.assertEqual(self.lines.mapped("state"), ["paid", "paid", "failed", "failed", "approved"])
        self.assertEqual(self.lines[0].psp_reference, "MP1")
        self.assertEqual(self.lines[2].failure_reason_id.code, "ACCOUNT_CLOSED")
        self.assertEqual(
            (self.lines[3].failure_reason_id.code, self.lines[3].failure_note), ("OTHER", "wallet suspended")
        )
        moves = self.payroll.move_ids

        again = self._upload(self._csv(self._good_rows()))
        again.action_check()
        self.assertEqual(again.previous_id, report)
        self.assertEqual((again.paid_count, again.failed_count, again.skipped_count), (0, 0, 4))
        self.assertEqual(set(again.row_ids.mapped("result")), {"skipped"})
        again.action_apply()
        self.assertEqual(self.payroll.move_ids, moves, "re-uploading posts nothing")
        self.assertBalanced(moves)

    def test_wrong_columns(self):
        report = self._upload("number,status\nX,yes")
        with self.assertRefused(
            UserError, r"Wrong columns in the report: unknown number, status; missing payment_number, paid"
        ):
            report.action_check()
        self.assertEqual(report.state, "draft")

    def test_unknown_numbers_negative_amounts_bad_status_nothing_applied(self):
        n = self.lines.mapped("payment_number")
        content = self._csv(
            [
                (n[0], "yes", self.today, "A", "", "1500"),
                ("PR-NOPE-1", "yes", self.today, "B", "", "1500"),
                (n[1], "yes", self.today, "C", "", "-1500"),
                (n[2], "maybe", self.today, "D", "", ""),
                (n[3], "yes", self.today, "E", "", "1499"),
                (n[4], "no", self.today, "", "NO_SUCH_CODE", ""),
            ],
            header="payment_number,paid,date,psp_reference,reason_code,amount",
        )
        report = self._upload(content)
        report.action_check()
        messages = dict(
            zip(report.row_ids.mapped("row_number"), report.row_ids.mapped("message"), strict=True)
        )
        self.assertFalse(messages[2])
        self.assertRegex(messages[3], "not in payroll")
        self.assertRegex(messages[4], "negative amount")
        self.assertRegex(messages[5], "'maybe' is neither paid nor failed")
        self.assertRegex(messages[6], "differs from the payroll amount")
        self.assertRegex(messages[7], "unknown reason code NO_SUCH_CODE")
        self.assertEqual(report.error_count, 5)
        with self.assertRefused(UserError, "Nothing applied: 5 rows have errors"):
            report.action_apply()
        self.assertEqual(set(self.lines.mapped("state")), {"approved"})

    def test_duplicate_row_and_future_date(self):
        n = self.lines.mapped("payment_number")
        tomorrow = self.today.replace(year=self.today.year + 1)
        report = self._upload(
            self._csv(
                [
                    (n[0], "yes", self.today, "", ""),
                    (n[0], "yes", self.today, "", ""),
                    (n[1], "yes", tomorrow, "", ""),
                ]
            )
        )
        report.action_check()
        errors = report.row_ids.filtered(lambda r: r.result == "error").mapped("message")
        self.assertEqual(len(errors), 2)
        self.assertRegex(errors[0], "reported twice")
        self.assertRegex(errors[1], "in the future")

    def test_xlsx_report(self):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Payment Number", "Paid", "Date", "PSP Reference", "Reason"])
        for number, paid, day, ref, reason in self._good_rows():
            sheet.append([number, paid, day, ref, reason])
        buffer = io.BytesIO()
        book.save(buffer)
        report = self._upload(buffer.getvalue(), filename="report.xlsx")
        report.action_check()
        self.assertEqual((report.paid_count, report.failed_count, report.error_count), (2, 2, 0))
        report.action_apply()
        self.assertEqual(self.lines.mapped("state")[:2], ["paid", "paid"])

    def test_only_finance_reconciles(self):
        report = self._upload(self._csv(self._good_rows()))
        with self.assertRefused(AccessError, "Payroll Reconciliation Report"):
            report.with_user(self.manager).action_check()
        with self.assertRefused(AccessError, "Only finance officers reconcile"):
            report.with_user(self.approver)._run(dry_run=True)

    def test_empty_and_garbage_files(self):
        with self.assertRefused(UserError, "neither UTF-8 CSV nor XLSX"):
            self._upload(b"\xff\xfe\x00garbage\x99", filename="x.csv").action_check()
        with self.assertRefused(UserError, "not a readable XLSX"):
            self._upload(b"PK\x03\x04broken", filename="x.xlsx").action_check()

    def test_a_large_report_is_applied_by_a_job_all_or_nothing(self):
        from unittest.mock import patch

        from odoo.addons.queue_job.tests.common import trap_jobs

        module = "odoo.addons.g2p_payroll.models.g2p_payroll_reconciliation"
        report = self._upload(self._csv(self._good_rows()))
        report.action_check()
        with patch(module + ".APPLY_INLINE_ROWS", 3), trap_jobs() as trap:
            action = report.action_apply()
            self.assertEqual(action["params"]["title"], "Applying in the background")
            self.assertEqual(report.state, "applying")
            self.assertEqual(set(self.lines.mapped("state")), {"approved"}, "nothing applied in the request")
            with self.assertRaises(UserError):
                report.action_check()
            trap.assert_jobs_count(1)
            trap.enqueued_jobs[0].perform()
        self.assertEqual(report.state, "applied")
        self.assertEqual(self.lines.mapped("state"), ["paid", "paid", "failed", "failed", "approved"])
        self.assertEqual((report.paid_count, report.failed_count), (2, 2))
        self.assertBalanced(self.payroll.move_ids)
        self.assertEqual(report.applied_by_id, self.finance, "the job runs as the finance officer")

        # A report whose rows no longer apply when its job runs goes back to Checked, applying nothing.
        n = self.lines.mapped("payment_number")
        stale = self._upload(
            self._csv([(n[4], "yes", str(self.today), "MP5", ""), (n[0], "yes", str(self.today), "MP1", "")])
        )
        stale.action_check()
        self.assertEqual((stale.error_count, stale.paid_count, stale.skipped_count), (0, 1, 1))
        with patch(module + ".APPLY_INLINE_ROWS", 1), trap_jobs() as trap:
            stale.action_apply()
            self.lines[4].sudo().action_cancel()
            trap.enqueued_jobs[0].perform()
        self.assertEqual(stale.state, "checked")
        self.assertIn("Nothing applied", stale.message_ids[0].body)
        self.assertEqual(self.lines[4].state, "cancelled", "cancelled meanwhile, and not paid")
