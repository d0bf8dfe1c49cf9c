"""The golden path: fund, generate, approve, pay some, fail some, cancel one, re-pay the failed
next cycle — every entry asserted, nobody paid twice."""

import psycopg2

from odoo.tools import SQL, mute_logger

from .common import PayrollCase


def iban(number):
    """A valid German IBAN for a test account number."""
    bban = "37040044%010d" % number
    check = 98 - int(bban + "131400") % 97
    return "DE%02d%s" % (check, bban)


class TestGoldenPayroll(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(24):
            ages = [40, 12] + [5] * (i % 4)
            psp = "bank" if i >= 18 else "mobile"
            number = iban(i) if psp == "bank" else "+25471%07d" % i
            cls.households |= cls._paid_household("GH%02d" % i, ages, psp=psp, number=number)
        cls.unpaid = cls._family("No Account A", [35]) | cls._family("No Account B", [50, 10])
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.expected = {h: 1000 + 250 * len(h.group_membership_ids) for h in cls.households}

    def _lines(self, payroll, households):
        return payroll.line_ids.filtered(lambda line: line.beneficiary_id in households)

    def _results(self, lines, status, **extra):
        return [{"payment_number": line.payment_number, "status": status, **extra} for line in lines]

    def test_golden_path(self):
        Line = self.env["g2p.payroll.line"]
        total1 = sum(self.expected.values())
        self._fund(total1 + 10_000)
        cycle1 = self._approved_cycle()

        # Generation: one line per household with an account; the two without are counted.
        payroll = self._payroll(cycle1)
        self.assertEqual(len(payroll.line_ids), 24)
        self.assertEqual(payroll.skipped_count, 2)
        for line in payroll.line_ids:
            self.assertEqual(line.amount, self.expected[line.beneficiary_id])
            self.assertEqual(
                line.payment_number, "%s-%s" % (payroll.name, line.beneficiary_id.registrant_number)
            )
            self.assertEqual(line.recipient_id, line.beneficiary_id)
        bank_lines = payroll.line_ids.filtered(lambda line: line.psp_id == self.bank_psp)
        self.assertEqual(len(bank_lines), 6)
        self.assertEqual(set(bank_lines.mapped("account_identifier")), {iban(i) for i in range(18, 24)})
        summary = {s.psp_id: (s.line_count, s.amount) for s in payroll.psp_summary_ids}
        self.assertEqual(summary[self.bank_psp], (6, sum(bank_lines.mapped("amount"))))

        # Approval: Dr benefit expense (analytic program/cycle) / Cr payable per beneficiary.
        self._approve(payroll)
        self.assertEqual(payroll.state, "approved")
        self.assertEqual(payroll.approved_by_id, self.approver)
        approval = payroll.move_ids.filtered(lambda m: m.g2p_event == "approval")
        self.assertEqual(len(approval), 1)
        expense = approval.line_ids.filtered(
            lambda aml: aml.account_id == self.program.benefit_expense_account_id
        )
        self.assertEqual(expense.debit, total1)
        self.assertEqual(
            set(expense.analytic_distribution),
            {"%s,%s" % (self.program.analytic_account_id.id, cycle1.analytic_account_id.id)},
        )
        payables = approval.line_ids - expense
        self.assertEqual(len(payables), 24)
        for aml in payables:
            line = aml.g2p_payroll_line_id
            self.assertEqual(aml.account_id, self.program.beneficiary_payable_account_id)
            self.assertEqual(
                (aml.partner_id, aml.credit, aml.name),
                (line.beneficiary_id, line.amount, line.payment_number),
            )
            self.assertEqual(line.approval_move_line_id, aml)
        self.assertEqual(self._open_payables(), -total1)
        self.assertEqual(self.program.funds_committed, total1)
        self.assertEqual(self.program.funds_available, 10_000)

        # Prefunding: Dr PSP clearing per PSP / Cr bank.
        payroll.with_user(self.finance).action_transfer_to_psp()
        transfer = payroll.move_ids.filtered(lambda m: m.g2p_event == "prefunding")
        mobile_clearing = self.mobile_psp._g2p_psp_clearing_account(self.company)
        bank_clearing = self.bank_psp._g2p_psp_clearing_account(self.company)
        mobile_total = total1 - sum(bank_lines.mapped("amount"))
        self.assertEqual(
            sorted((aml.account_id.id, aml.debit, aml.credit) for aml in transfer.line_ids),
            sorted(
                [
                    (mobile_clearing.id, mobile_total, 0),
                    (bank_clearing.id, sum(bank_lines.mapped("amount")), 0),
                    (self.program.funding_journal_id.default_account_id.id, 0, total1),
                ]
            ),
        )

        # Ten mobile payments handed to the PSP, then outcomes: 16 paid, 5 failed, 1 cancelled, 2 open.
        h = self.households
        self._lines(payroll, h[:10])._mark_sent()
        self.assertEqual(payroll.state, "in_payment")
        paid_lines = self._lines(payroll, h[:10] | h[18:24])
        closed = self._lines(payroll, h[10:13])
        deceased = self._lines(payroll, h[13])
        not_collected = self._lines(payroll, h[14])
        cancelled = self._lines(payroll, h[15])
        still_open = self._lines(payroll, h[16:18])
        cancelled.with_user(self.manager).action_cancel()
        results = (
            self._results(paid_lines, "paid", psp_reference="TX1", date=cycle1.start_date)
            + self._results(closed, "failed", reason_code="ACCOUNT_CLOSED", reason="wallet closed")
            + self._results(deceased, "failed", reason_code="DECEASED")
            + self._results(not_collected, "failed", reason_code="NOT_COLLECTED")
        )
        summary = Line._apply_payment_results(results)
        self.assertEqual((summary["paid"], summary["failed"], summary["errors"]), (16, 5, []))
        self.assertEqual(set(paid_lines.mapped("state")), {"paid"})
        self.assertEqual(deceased.failure_reason_id.code, "DECEASED")
        self.assertEqual(closed[0].failure_note, "wallet closed")

        payment = payroll.move_ids.filtered(lambda m: m.g2p_event == "payment")
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.date, cycle1.start_date)
        debits = payment.line_ids.filtered(lambda aml: aml.debit)
        self.assertEqual(
            sorted((aml.partner_id.id, aml.debit) for aml in debits),
            sorted((line.beneficiary_id.id, line.amount) for line in paid_lines),
        )
        credits = {aml.account_id: aml.credit for aml in payment.line_ids if aml.credit}
        self.assertEqual(
            credits[mobile_clearing],
            sum(paid_lines.filtered(lambda x: x.psp_id == self.mobile_psp).mapped("amount")),
        )
        self.assertEqual(credits[bank_clearing], sum(bank_lines.mapped("amount")))
        failure = payroll.move_ids.filtered(lambda m: m.g2p_event == "failure")
        failed = closed | deceased | not_collected
        self.assertEqual(
            failure.line_ids.filtered("credit").account_id, self.program.benefit_expense_account_id
        )
        self.assertEqual(sum(failure.line_ids.mapped("credit")), sum(failed.mapped("amount")))
        cancellation = payroll.move_ids.filtered(lambda m: m.g2p_event == "cancellation")
        self.assertEqual(cancellation.line_ids.filtered("debit").partner_id, cancelled.beneficiary_id)
        self.assertEqual(sum(cancellation.line_ids.mapped("debit")), cancelled.amount)
        for line in paid_lines | failed | cancelled:
            self.assertTrue(line.approval_move_line_id.reconciled, line.payment_number)
            self.assertTrue(line.settlement_move_line_id.reconciled, line.payment_number)
        self.assertFalse(still_open.approval_move_line_id.filtered("reconciled"))
        # Open payables are exactly the approved payments without an outcome.
        self.assertEqual(self._open_payables(), -sum(still_open.mapped("amount")))
        self.assertEqual(self.program.funds_committed, sum((paid_lines | still_open).mapped("amount")))

        # Idempotent: the same outcomes again change nothing; a contradiction is refused.
        moves_before = payroll.move_ids
        again = Line._apply_payment_results(results)
        self.assertEqual((again["paid"], again["failed"], again["skipped"]), (0, 0, 21))
        self.assertEqual(payroll.move_ids, moves_before)
        contradiction = Line._apply_payment_results(self._results(deceased, "paid"))
        self.assertRegex(contradiction["errors"][0][1], "is Failed: it cannot become Paid")

        # Next cycle: everyone due again, plus the retryable failures (not the deceased).
        self.env.flush_all()
        cycle1.action_mark_distributed()
        cycle1.action_close()
        cycle2 = self._approved_cycle()
        self._fund(sum(self.expected.values()) + 5_000)
        payroll2 = self._payroll(cycle2)
        repays = payroll2.line_ids.filtered("repay_of_line_id")
        self.assertEqual(repays.repay_of_line_id, closed | not_collected)
        self.assertEqual(set(repays.entitlement_cycle_id.ids), {cycle1.id})
        self.assertEqual(len(payroll2.line_ids), 24 + 4)
        self._approve(payroll2)
        Line._apply_payment_results(self._results(payroll2.line_ids, "paid", psp_reference="TX2"))
        self.assertEqual(payroll2.state, "reconciled")

        # Nobody paid twice, and a failure that was re-paid can never be paid as well.
        rows = self.env.execute_query(
            SQL(
                """SELECT entitlement_cycle_id, beneficiary_id, count(*) FROM g2p_payroll_line
                    WHERE program_id = %s AND state = 'paid' GROUP BY 1, 2""",
                self.program.id,
            )
        )
        self.assertTrue(rows)
        self.assertEqual({count for *_key, count in rows}, {1})
        paid_cycle1 = {ben for cyc, ben, _count in rows if cyc == cycle1.id}
        self.assertEqual(paid_cycle1, set((paid_lines | closed | not_collected).beneficiary_id.ids))
        self.assertEqual(len([1 for cyc, _b, _c in rows if cyc == cycle2.id]), 24)
        refused = Line._apply_payment_results(self._results(closed[:1], "paid"))
        self.assertTrue(refused["errors"])
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(SQL("UPDATE g2p_payroll_line SET state = 'paid' WHERE id = %s", closed[0].id))
        # A second payroll for a cycle already paid finds nobody to pay.
        self.assertEqual(len(self._payroll(cycle2).line_ids), 0)

        # The ledger: every G2P entry balanced; open payables = approved payments without outcome.
        moves = payroll.move_ids | payroll2.move_ids
        self.assertBalanced(moves)
        self.assertEqual(self._open_payables(), -sum(still_open.mapped("amount")))
