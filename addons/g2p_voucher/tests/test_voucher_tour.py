from odoo.tests import HttpCase, tagged

from .common import VoucherCase


@tagged("post_install", "-at_install")
class TestVoucherTour(HttpCase, VoucherCase):
    """The pay-point agent on the redemption page, in the browser: types the code printed on the
    voucher (lower case, without dashes), checks the person, confirms; the payment is paid."""

    def test_agent_redeems_a_voucher_by_typing_its_code(self):
        payroll = self._approved_payroll()
        vouchers = self._issue(payroll)
        voucher = vouchers.filtered(lambda v: v.pay_point_id == self.pay_point)[:1]
        typed = self._code(voucher).replace("-", "").lower()
        # The code reaches the tour in the URL's fragment: the page never reads it from there.
        self.start_tour("/g2p/voucher#%s" % typed, "g2p_voucher_redeem_tour", login="pp_agent")
        self.assertEqual((voucher.state, voucher.redeemed_by_id), ("redeemed", self.agent))
        self.assertEqual(voucher.payroll_line_id.state, "paid")
        self.assertEqual(len(payroll.move_ids.filtered(lambda m: m.g2p_event == "payment")), 1)

    def test_page_refuses_other_users_and_bad_codes(self):
        self.authenticate("finance_officer", "finance_officer")
        self.assertIn("This page is for pay-point agents.", self.url_open("/g2p/voucher").text)
        self.authenticate("pp_agent", "pp_agent")
        page = self.url_open("/g2p/voucher")
        self.assertIn('name="code"', page.text)
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        refused = self.url_open("/g2p/voucher/confirm", data={"code": "AAAA-BBBB", "csrf_token": csrf})
        self.assertIn("not a valid voucher", refused.text)
