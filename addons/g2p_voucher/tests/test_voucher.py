"""Vouchers: bulk idempotent issue, signed codes (forged, altered, expired refused), redemption
once through the payroll's outcome service, pay-point record rules, the expiry job."""

import base64
import struct
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.g2p_voucher import VoucherRefused
from ..tools import voucher_token
from .common import VoucherCase


@tagged("post_install", "-at_install")
class TestVoucher(VoucherCase):
    def setUp(self):
        super().setUp()
        self.payroll = self._approved_payroll()
        self.vouchers = self._issue(self.payroll)
        self.kisumu = self.vouchers.filtered(lambda v: v.pay_point_id == self.pay_point).sorted("id")
        self.voucher = self.kisumu[0]
        self.Voucher = self.env["g2p.voucher"].with_user(self.agent)

    # ------------------------------------------------------------------ issue

    def test_issue_one_voucher_per_cash_payment_idempotent(self):
        cash = self.payroll.line_ids.filtered(lambda line: line.account_type == "cash")
        self.assertEqual(len(cash), 4)
        self.assertEqual(
            self.vouchers.payroll_line_id, cash, "one voucher per cash payment, none for the wallet"
        )
        self.assertEqual(len(self.kisumu), 3)
        self.assertEqual(
            self.vouchers.filtered(lambda v: v.pay_point_id == self.pay_point_2).beneficiary_name, "VN0"
        )
        self.assertEqual(set(cash.mapped("state")), {"sent"}, "handed to the pay points: the hub leaves them")
        self.assertEqual(
            self.payroll.line_ids.filtered(lambda line: line.account_type != "cash").state, "approved"
        )
        voucher = self.voucher
        line = voucher.payroll_line_id
        self.assertEqual(
            (voucher.payment_number, voucher.amount, voucher.currency_id, voucher.registrant_number),
            (line.payment_number, line.amount, line.currency_id, line.beneficiary_id.registrant_number),
        )
        self.assertEqual(voucher.valid_from, self.today)
        self.assertEqual(voucher.valid_until, self.today + timedelta(days=29), "30 days by default")
        self.assertEqual(
            voucher_token.decode(self.env, self._code(voucher)), (voucher.id, voucher.valid_until)
        )
        self.assertEqual(len(set(self.vouchers.sudo().mapped("token"))), 4)

        # Twice: nothing new, even called directly (no button hidden to rely on).
        again, missing = self.env["g2p.voucher"].with_user(self.finance)._issue(self.payroll)
        self.assertFalse(again)
        self.assertEqual(missing, 0)
        self.assertEqual(self.env["g2p.voucher"].search_count([("payroll_id", "=", self.payroll.id)]), 4)
        self.assertEqual(self.payroll.cash_due_count, 0)

    def test_issue_is_set_based(self):
        """Issuing costs the same number of queries for one cash payment or for ten."""
        counts = []
        for size in (1, 10):
            program = self._program(
                name="Cash %s" % size, base_amount=500, psp_ids=[(6, 0, self.cash_psp.ids)]
            )
            program.action_activate()
            for i in range(size):
                self._cash_household("SB%s-%s" % (size, i), self.pay_point)
            program.with_user(self.manager)._enrol_eligible()
            self._fund(100_000, program)
            payroll = self._payroll(self._approved_cycle(program))
            self._approve(payroll)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            vouchers, _missing = self.env["g2p.voucher"].with_user(self.finance)._issue(payroll)
            counts.append(self.env.cr.sql_log_count - before)
            # The fixture's four cash households (and the previous loop's) are eligible too.
            self.assertEqual(len(vouchers), {1: 5, 10: 15}[size])
        self.assertEqual(counts[0], counts[1], "no query per payment")

    def test_validity_from_the_program(self):
        program = self._program(name="Short", base_amount=500, psp_ids=[(6, 0, self.cash_psp.ids)])
        program.write({"voucher_validity_days": 7})
        program.action_activate()
        self._cash_household("SH0", self.pay_point)
        program.with_user(self.manager)._enrol_eligible()
        self._fund(100_000, program)
        payroll = self._payroll(self._approved_cycle(program))
        self._approve(payroll)
        vouchers = self._issue(payroll)
        self.assertEqual(set(vouchers.mapped("valid_until")), {self.today + timedelta(days=6)})

    def test_cancelled_voucher_refused_and_reissued(self):
        self.voucher.with_user(self.finance).action_cancel()
        self.assertEqual(self.voucher.state, "cancelled")
        old_code = self._code(self.voucher)
        with self.assertRefused(VoucherRefused, "was cancelled by the program: do not pay it"):
            self.Voucher._redeem(old_code)
        self.assertEqual(self.payroll.cash_due_count, 0, "the payment is still sent: due a new voucher")
        new = self._issue(self.payroll) - self.vouchers
        self.assertEqual(len(new), 1)
        self.assertEqual(new.payroll_line_id, self.voucher.payroll_line_id)
        self.assertNotEqual(self._code(new), old_code)
        self.Voucher._redeem(self._code(new))
        self.assertEqual(new.payroll_line_id.state, "paid")

    def test_only_finance_issues_and_cancels(self):
        with self.assertRefused(AccessError, "Only finance officers"):
            self.payroll.with_user(self.manager).action_issue_vouchers()
        with self.assertRefused(AccessError, "Only finance officers"):
            self.voucher.with_user(self.agent).action_cancel()

    # ------------------------------------------------------------------ codes

    def test_forged_and_altered_codes_refused(self):
        code = voucher_token.normalize(self._code(self.voucher))
        forged = "Only the database that issued the voucher"
        refused = r"not a valid voucher.*forged or altered: do not pay it"
        # Altered: every single character changed in turn is refused.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        for position in range(len(code)):
            changed = alphabet[(alphabet.index(code[position]) + 1) % 32]
            altered = code[:position] + changed + code[position + 1 :]
            with self.assertRefused(VoucherRefused, refused):
                self.Voucher._find_for_code(altered)
        # Forged: the right layout signed with another key, or a later expiry with the old mac.
        payload = struct.pack(">IH", self.voucher.id, (self.voucher.valid_until - voucher_token.EPOCH).days)
        raw = base64.b32decode(code)
        later = struct.pack(
            ">IH", self.voucher.id, (self.voucher.valid_until - voucher_token.EPOCH).days + 30
        )
        for bad in (
            base64.b32encode(payload + b"\x00" * 9).decode(),
            base64.b32encode(later + raw[6:]).decode(),
            "",
            "hello",
            code[:-1],
            code + "A",
            forged,
        ):
            with self.assertRefused(VoucherRefused, refused):
                self.Voucher._redeem(bad)
        # A genuine signature whose date differs from the voucher's (a re-dated voucher).
        redated = voucher_token.encode(
            self.env, self.voucher.id, self.voucher.valid_until + timedelta(days=30)
        )
        with self.assertRefused(VoucherRefused, "not known to the program"):
            self.Voucher._redeem(redated)
        self.assertEqual(self.voucher.state, "issued")
        self.assertEqual(self.voucher.payroll_line_id.state, "sent", "nothing changed")
        # What people type: lower case, no dashes, spaces, look-alike digits, or the scanned link.
        typed = code.lower().replace("o", "0").replace("i", "1")
        self.assertEqual(self.Voucher._find_for_code(" %s " % typed), self.voucher)
        self.assertEqual(
            self.Voucher._find_for_code("https://x.example/g2p/voucher?code=%s" % code), self.voucher
        )

    def test_expired_voucher_refused(self):
        with freeze_time(self._last_day(self.voucher)):
            self.assertEqual(self.Voucher._find_for_code(self._code(self.voucher)), self.voucher, "last day")
        with (
            freeze_time(self._after_validity(self.voucher)),
            self.assertRefused(VoucherRefused, r"expired on .*: it can no longer be paid out here"),
        ):
            self.Voucher._redeem(self._code(self.voucher))
        self.assertEqual(self.voucher.payroll_line_id.state, "sent")

    # ------------------------------------------------------------------ redemption

    def test_redeem_once_through_the_outcome_service(self):
        line = self.voucher.payroll_line_id
        open_before = self._open_payables()
        self.assertEqual(open_before, -5 * 1500, "credit balance: 5 payments owed")
        redeemed = self.Voucher._redeem(self._code(self.voucher))
        self.assertEqual(redeemed, self.voucher)
        self.assertEqual(
            (self.voucher.state, self.voucher.redeemed_by_id, line.state, line.paid_date),
            ("redeemed", self.agent, "paid", self.today),
        )
        self.assertTrue(self.voucher.redeemed_date)
        self.assertEqual(line.write_uid, self.agent, "the agent is recorded as who paid")
        payment = self.payroll.move_ids.filtered(lambda m: m.g2p_event == "payment")
        self.assertEqual(len(payment), 1)
        self.assertBalanced(payment)
        clearing = self.cash_psp._g2p_psp_clearing_account(self.company)
        self.assertEqual(payment.line_ids.filtered(lambda aml: aml.account_id == clearing).credit, 1500)
        self.assertEqual(line.settlement_move_line_id.move_id, payment)
        self.assertTrue(line.approval_move_line_id.reconciled, "the payable is cleared")
        self.assertEqual(self._open_payables(), open_before + 1500)

        with self.assertRefused(
            VoucherRefused, r"Already paid: .* redeemed on .* by Agnes Agent at Kisumu PO"
        ):
            self.Voucher._redeem(self._code(self.voucher))
        self.assertEqual(len(self.payroll.move_ids.filtered(lambda m: m.g2p_event == "payment")), 1)

    def test_payment_settled_elsewhere_is_refused(self):
        """A payment marked paid by a PSP report meanwhile: the voucher is not paid out again."""
        self.env["g2p.payroll.line"].with_user(self.finance)._apply_payment_results(
            [{"line_id": self.voucher.payroll_line_id.id, "status": "paid"}]
        )
        with self.assertRefused(VoucherRefused, "is no longer due"):
            self.Voucher._redeem(self._code(self.voucher))

    def test_other_pay_point_refused_by_record_rules(self):
        other = self.env["g2p.voucher"].with_user(self.agent_2)
        self.assertEqual(
            other.search([]), self.vouchers.filtered(lambda v: v.pay_point_id == self.pay_point_2)
        )
        with self.assertRaises(AccessError):
            other.browse(self.voucher.id).read(["payment_number"])
        with self.assertRefused(VoucherRefused, "is for pay point Kisumu PO, not yours"):
            other._redeem(self._code(self.voucher))
        # Even made an agent of the pay point by name only, the rules decide (not the page).
        self.assertEqual(self.voucher.state, "issued")
        self.assertEqual(self.voucher.payroll_line_id.state, "sent")
        self.assertEqual(self.Voucher.search_count([]), 3)

    def test_agents_see_nothing_else(self):
        registrant = self.voucher.beneficiary_id
        with self.assertRaises(AccessError):
            registrant.with_user(self.agent).read(["name"])
        self.assertFalse(self.env["res.partner"].with_user(self.agent).search([("is_registrant", "=", True)]))
        # Contacts that are not registrants (their PSP, themselves) still read.
        self.cash_psp.with_user(self.agent).read(["name"])
        self.agent.partner_id.with_user(self.agent).read(["name"])
        for model in ("g2p.payroll", "g2p.payroll.line", "g2p.payment.account", "g2p.program.membership"):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.agent).search([], limit=1)
        with self.assertRaises(AccessError):
            self.voucher.with_user(self.agent).write({"state": "redeemed"})
        with self.assertRaises(AccessError):
            self.voucher.with_user(self.agent).read(["token"])
        # Staff with a registry role keep reading registrants if they are also agents.
        self.registrar.group_ids = [(4, self.env.ref("g2p_voucher.group_g2p_pay_point_agent").id)]
        registrant.with_user(self.registrar).read(["name"])

    def test_agent_menus(self):
        visible = self.env["ir.ui.menu"].with_user(self.agent)._visible_menu_ids()
        root = self.env.ref("g2p_registry.menu_g2p_root")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", root.id)])
        # The web client shows a menu when it and every menu above it are visible.
        shown = menus.filtered(lambda m: all(int(i) in visible for i in m.parent_path.strip("/").split("/")))
        self.assertEqual(
            set(shown.mapped("complete_name")),
            {"G2P", "G2P/Vouchers", "G2P/Vouchers/Redeem a Voucher", "G2P/Vouchers/Vouchers"},
        )

    # ------------------------------------------------------------------ expiry

    def test_expiry_fails_unredeemed_payments_as_not_collected(self):
        self.Voucher._redeem(self._code(self.voucher))
        open_before = self._open_payables()
        self.assertEqual(open_before, -4 * 1500)
        moves_before = self.payroll.move_ids
        with freeze_time(self._last_day(self.voucher)):
            self.env["g2p.voucher"]._cron_expire()
        self.assertEqual(
            set(self.vouchers.mapped("state")), {"issued", "redeemed"}, "not before the last day"
        )

        with freeze_time(self._after_validity(self.voucher)):
            # What the daily job runs (its own transaction would not see this test's data).
            cron = self.env.ref("g2p_voucher.ir_cron_g2p_voucher_expire")
            self.assertEqual(
                (cron.code.strip(), cron.interval_type, cron.active), ("model._cron_expire()", "days", True)
            )
            self.env["g2p.voucher"]._cron_expire()
            unredeemed = self.vouchers - self.voucher
            self.assertEqual(set(unredeemed.mapped("state")), {"expired"})
            self.assertEqual(self.voucher.state, "redeemed")
            lines = unredeemed.payroll_line_id
            self.assertEqual(set(lines.mapped("state")), {"failed"})
            self.assertEqual(set(lines.mapped("failure_reason_id.code")), {"NOT_COLLECTED"})
            self.assertTrue(all(lines.failure_reason_id.mapped("retryable")))
            failure = self.payroll.move_ids - moves_before
            self.assertEqual(failure.mapped("g2p_event"), ["failure"])
            self.assertBalanced(failure)
            expense = self.program.benefit_expense_account_id
            self.assertEqual(
                failure.line_ids.filtered(lambda aml: aml.account_id == expense).credit, 3 * 1500
            )
            self.assertTrue(all(lines.approval_move_line_id.mapped("reconciled")))
            self.assertEqual(self._open_payables(), -1500, "only the wallet payment is still open")
            with self.assertRefused(VoucherRefused, "expired on"):
                self.Voucher._redeem(self._code(unredeemed[0]))

            # Again (the button): nothing more.
            self.payroll.with_user(self.finance).action_expire_vouchers()
            self.assertEqual(self.payroll.move_ids - moves_before, failure)

            # Not collected allows a retry: the next payroll pays them again (to a new voucher).
            self.program.allow_overlapping_cycles = True
            payroll = self._payroll(self._approved_cycle())
            self.assertEqual(payroll.line_ids.repay_of_line_id, lines)
