from odoo.exceptions import AccessError

from .common import PayrollCase
from .test_golden import iban

KANBAN_FIGURES = [
    "dashboard_enrolled_count",
    "dashboard_cycle_id",
    "dashboard_cycle_state",
    "amount_paid",
    "amount_failed",
    "amount_pending",
    "failed_count",
    "funds_received",
    "funds_committed",
    "funds_available",
]


class TestDashboards(PayrollCase):
    """The program and finance dashboards on a small payroll: 4 mobile and 2 bank households;
    3 paid, 1 failed (deceased), 1 cancelled, 1 still sent to the PSP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.name = "Dashboard Grant"
        cls.households = cls.env["res.partner"]
        for i in range(6):
            psp = "bank" if i >= 4 else "mobile"
            number = iban(900 + i) if psp == "bank" else "+2547120000%02d" % i
            cls.households |= cls._paid_household("DB%02d" % i, [40] + [6] * (i % 2), psp=psp, number=number)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.fund = cls._fund(50_000)
        cls.cycle = cls._approved_cycle()

    def _scenario(self):
        payroll = self._payroll(self.cycle)
        self._approve(payroll)
        payroll.with_user(self.finance).action_transfer_to_psp()
        lines = {line.beneficiary_id: line for line in payroll.line_ids}
        h = self.households
        lines[h[5]].with_user(self.manager).action_cancel()
        (lines[h[0]] | lines[h[1]] | lines[h[4]] | lines[h[3]])._mark_sent()
        results = [
            {"payment_number": lines[x].payment_number, "status": "paid", "psp_reference": "TX%s" % i}
            for i, x in enumerate((h[0], h[1], h[4]))
        ] + [{"payment_number": lines[h[2]].payment_number, "status": "failed", "reason_code": "DECEASED"}]
        summary = self.env["g2p.payroll.line"]._apply_payment_results(results)
        self.assertEqual((summary["paid"], summary["failed"], summary["errors"]), (3, 1, []))
        return payroll, lines

    # ------------------------------------------------------------------ program dashboard

    def test_program_figures_match_the_payroll(self):
        payroll, lines = self._scenario()
        h = self.households
        program = self.program.with_user(self.finance)
        amount = {x: lines[x].amount for x in h}
        self.assertEqual(program.dashboard_enrolled_count, 6)
        self.assertEqual(program.dashboard_cycle_id, self.cycle)
        self.assertEqual(program.dashboard_cycle_state, self.cycle.state)
        self.assertEqual(program.amount_paid, amount[h[0]] + amount[h[1]] + amount[h[4]])
        self.assertEqual(program.amount_failed, amount[h[2]])
        self.assertEqual(program.failed_count, 1)
        self.assertEqual(program.amount_pending, amount[h[3]])
        self.assertEqual(program.funds_received, 50_000)
        committed = amount[h[0]] + amount[h[1]] + amount[h[3]] + amount[h[4]]
        self.assertEqual(program.funds_committed, committed)
        self.assertEqual(program.funds_available, 50_000 - committed)

        action = program.with_context(g2p_line_states="failed").action_dashboard_lines()
        self.assertEqual(action["res_model"], "g2p.payroll.line")
        self.assertEqual(self.env["g2p.payroll.line"].search(action["domain"]), lines[h[2]])
        action = program.with_context(g2p_line_states="pending").action_dashboard_lines()
        self.assertEqual(self.env["g2p.payroll.line"].search(action["domain"]), lines[h[3]])
        action = program.with_context(g2p_line_states="committed").action_dashboard_lines()
        self.assertEqual(
            sum(self.env["g2p.payroll.line"].search(action["domain"]).mapped("amount")), committed
        )
        action = self.program.with_user(self.manager).action_dashboard_enrolled()
        self.assertEqual(action["res_model"], "g2p.program.membership")
        self.assertEqual(len(self.env["g2p.program.membership"].search(action["domain"])), 6)
        action = program.action_dashboard_analysis()
        self.assertEqual(action["res_model"], "g2p.payroll.analysis")
        self.assertEqual(action["domain"], [("program_id", "=", self.program.id)])

    def test_kanban_figures_queries_do_not_grow_with_programs(self):
        self._scenario()
        others = self.env["g2p.program"]
        for i in range(5):
            others |= self._program(name="Other %s" % i)
            self._fund(1000 + i, program=others[-1])

        def count_queries(programs):
            self.env.flush_all()
            self.env.invalidate_all()
            programs = programs.with_user(self.finance)
            before = self.env.cr.sql_log_count
            programs.read(KANBAN_FIGURES)
            return self.env.cr.sql_log_count - before

        count_queries(self.program | others)  # warm the access caches
        two = count_queries(self.program | others[0])
        six = count_queries(self.program | others)
        self.assertEqual(six, two)
        self.assertLessEqual(two, 12)

    # ------------------------------------------------------------------ payments analysis

    def test_analysis_has_no_empty_groups(self):
        payroll, lines = self._scenario()
        Analysis = self.env["g2p.payroll.analysis"].with_user(self.manager)
        for field in ("program_id", "cycle_id", "payroll_id", "psp_id", "state", "failure_reason"):
            groups = Analysis._read_group([("program_id", "=", self.program.id)], [field], ["__count"])
            self.assertTrue(groups, field)
            for value, _count in groups:
                self.assertTrue(value, "empty %s group" % field)
        reasons = dict(
            Analysis._read_group([("program_id", "=", self.program.id)], ["failure_reason"], ["amount:sum"])
        )
        h = self.households
        deceased = self.env["g2p.payment.failure.reason"].search([("code", "=", "DECEASED")])
        self.assertEqual(reasons[deceased.name], lines[h[2]].amount)
        self.assertEqual(reasons["Not failed"], sum(lines[x].amount for x in (h[0], h[1], h[3], h[4])))
        total = Analysis._read_group([("payroll_id", "=", payroll.id)], [], ["line_count:sum", "amount:sum"])
        self.assertEqual(total[0], (6, sum(payroll.line_ids.mapped("amount"))))

    # ------------------------------------------------------------------ finance dashboard

    def _figures(self, **keys):
        Figure = self.env["g2p.finance.figure"].with_user(self.finance)
        return Figure.search([(name, "=", value) for name, value in keys.items()])

    def _items(self, figure):
        action = figure.action_open_items()
        self.assertEqual(action["res_model"], "account.move.line")
        return self.env["account.move.line"].search(action["domain"])

    def test_finance_figures_match_the_ledger(self):
        payroll, lines = self._scenario()
        h = self.households
        program = self.program
        # Open payables: the unreconciled items of the payable account, by PSP.
        payables = self._figures(kind="payable", program_id=program.id)
        self.assertEqual(sum(payables.mapped("amount")), -self._open_payables())
        self.assertEqual(-self._open_payables(), lines[h[3]].amount)
        for figure in payables:
            items = self._items(figure)
            self.assertEqual(figure.amount, -sum(items.mapped("amount_residual")))
            self.assertEqual(figure.item_count, len(items))
            self.assertEqual(set(items.mapped("account_id")), {program.beneficiary_payable_account_id})
        self.assertEqual(payables.psp_id, self.mobile_psp)
        self.assertEqual(payables.action_open_items()["context"]["group_by"], ["g2p_psp_id", "partner_id"])

        # PSP clearing: transferred minus confirmed payments, per PSP.
        for psp, paid in ((self.mobile_psp, (h[0], h[1])), (self.bank_psp, (h[4],))):
            clearing = self._figures(kind="clearing", psp_id=psp.id)
            account = psp._g2p_psp_clearing_account(self.company)
            ledger = self.env["account.move.line"].search(
                [("account_id", "=", account.id), ("parent_state", "=", "posted")]
            )
            self.assertEqual(clearing.amount, sum(ledger.mapped("balance")))
            # The cancelled payment was transferred before it was cancelled: the PSP still holds it.
            transferred = sum(x.amount for x in lines.values() if x.psp_id == psp)
            self.assertEqual(clearing.amount, transferred - sum(lines[x].amount for x in paid))
            self.assertEqual(self._items(clearing), ledger)

        # Funds by program: the ledger agrees with the program's own figures.
        received = self._figures(kind="funds_received", program_id=program.id)
        committed = self._figures(kind="funds_committed", program_id=program.id)
        left = self._figures(kind="funds_left", program_id=program.id)
        self.assertEqual(
            (received.amount, committed.amount, left.amount),
            (program.funds_received, program.funds_committed, program.funds_available),
        )
        self.assertEqual(
            self._items(received),
            self.fund.move_id.line_ids.filtered(lambda aml: aml.account_id == program.funding_account_id),
        )
        self.assertEqual(-sum(self._items(committed).mapped("balance")), program.funds_committed)
        left_items = self._items(left)
        self.assertEqual(left_items, self._items(received) | self._items(committed))

        # Payments by state per payroll, each opening the payable items of its lines.
        figures = self._figures(kind="reconciliation", payroll_id=payroll.id)
        states = {f.line_state: (f.item_count, f.amount) for f in figures}
        self.assertEqual(
            states,
            {
                "paid": (3, sum(lines[x].amount for x in (h[0], h[1], h[4]))),
                "failed": (1, lines[h[2]].amount),
                "sent": (1, lines[h[3]].amount),
                "cancelled": (1, lines[h[5]].amount),
            },
        )
        paid = self._figures(kind="reconciliation", payroll_id=payroll.id, line_state="paid")
        paid_lines = lines[h[0]] | lines[h[1]] | lines[h[4]]
        self.assertEqual(
            self._items(paid), paid_lines.approval_move_line_id | paid_lines.settlement_move_line_id
        )

    def test_finance_figures_keep_their_ids_when_others_appear(self):
        """A finance officer's open list must still open the right items after a new fund arrives."""
        self._scenario()

        def keyed():
            return {
                (f.kind, f.program_id.id, f.psp_id.id, f.payroll_id.id, f.line_state): f.id
                for f in self._figures()
            }

        before = keyed()
        other = self._program(name="Later Grant", amount_per_member=10)
        other.action_activate()
        self._fund(500, program=other)
        self.env["g2p.finance.figure"].invalidate_model()
        after = keyed()
        self.assertGreater(len(after), len(before), "the new program's funds are new figures")
        self.assertEqual({key: after[key] for key in before}, before)
        self.assertEqual(len(set(after.values())), len(after), "one id per figure")

    def test_finance_dashboard_is_for_finance(self):
        self._scenario()
        with self.assertRaises(AccessError):
            self.env["g2p.finance.figure"].with_user(self.manager).search([])
        self.assertTrue(self._figures(program_id=self.program.id))
        finance_group = self.env.ref("g2p_payroll.group_g2p_finance_officer")
        menu = self.env.ref("g2p_payroll.menu_g2p_reporting_finance")
        self.assertEqual(menu.group_ids, finance_group)
        for xmlid in ("menu_g2p_reporting_programs", "menu_g2p_reporting_payments"):
            parent = self.env.ref("g2p_payroll.%s" % xmlid).parent_id
            self.assertIn(finance_group, parent.group_ids)
            self.assertIn(self.env.ref("g2p_program.group_g2p_program_manager"), parent.group_ids)
