"""The pay lists (one page per pay point, with a signature column) and the vouchers (payment
number, amount with currency, beneficiary, pay point, validity, QR code of the signed code)."""

import unittest

from odoo.tests import tagged

from .common import VoucherCase


@tagged("post_install", "-at_install")
class TestVoucherReports(VoucherCase):
    def setUp(self):
        super().setUp()
        self.payroll = self._approved_payroll()
        self.vouchers = self._issue(self.payroll)
        self.Report = self.env["ir.actions.report"].with_user(self.finance)

    def _html(self, report, ids):
        html, _type = self.Report._render_qweb_html(report, ids)
        return html.decode()

    def test_pay_lists_one_per_pay_point(self):
        html = self._html("g2p_voucher.action_report_g2p_pay_list", self.payroll.ids)
        self.assertEqual(html.count('class="page g2p_pay_list"'), 2, "Kisumu and Nakuru")
        self.assertIn("Pay List: <span>Kisumu PO</span>", html)
        self.assertIn("Signature or Thumbprint", html)
        for voucher in self.vouchers:
            self.assertIn(voucher.payment_number, html)
            self.assertIn(voucher.beneficiary_name, html)
        self.assertIn("Total: 3 payments", html)

    def test_vouchers(self):
        html = self._html("g2p_voucher.action_report_g2p_voucher", self.vouchers.ids)
        self.assertEqual(html.count('class="g2p_voucher '), 4)
        voucher = self.vouchers[0]
        for text in (
            voucher.payment_number,
            voucher.registrant_number,
            voucher.beneficiary_name,
            voucher.pay_point_id.name,
            self._code(voucher),
            "1,500.00",
            voucher.currency_id.symbol,
        ):
            self.assertIn(text, html)
        self.assertIn("data:image/png;base64,", html, "the QR code is drawn in the page")

    def test_print_buttons(self):
        action = self.payroll.with_user(self.finance).action_print_vouchers()
        self.assertEqual(action["report_name"], "g2p_voucher.report_g2p_voucher")
        self.assertEqual(sorted(action["context"]["active_ids"]), sorted(self.vouchers.ids))
        action = self.payroll.with_user(self.finance).action_print_pay_lists()
        self.assertEqual(action["report_name"], "g2p_voucher.report_g2p_pay_list")

    def test_pdf(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() not in ("ok", "upgrade"):
            raise unittest.SkipTest("wkhtmltopdf is not installed")
        Report = self.Report.with_context(force_report_rendering=True)
        for report, ids in (
            # Each report is one document (several need a wkhtmltopdf with patched Qt).
            ("g2p_voucher.action_report_g2p_voucher", self.vouchers.ids),
            ("g2p_voucher.action_report_g2p_pay_list", self.payroll.ids),
        ):
            pdf, kind = Report._render_qweb_pdf(report, ids)
            self.assertEqual(kind, "pdf")
            self.assertTrue(pdf.startswith(b"%PDF"), report)
