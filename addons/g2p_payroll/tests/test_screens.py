"""What the back office tells the user: notifications after each payroll action, the registrants
left out listed with their reason, the journal-entry list behind the Entries button, the PSP
report rows after applying, and the company header of the payroll PDF."""

import base64

from odoo.tools import format_amount, html2plaintext

from .common import PayrollCase


class TestPayrollScreens(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.paid = cls._paid_household("SC0", [35, 6], number="+254730000001") | cls._paid_household(
            "SC1", [40, 9, 3], number="+254730000002"
        )
        cls.no_account = cls._family("SC-NOACC", [30, 2])
        cls.moved = cls._paid_household("SC-MOVED", [50, 12], number="+254730000003")
        cls.program.with_user(cls.manager)._enrol_eligible()
        # Enrolled, then disabled in the registry: due but not paid.
        cls.moved.sudo()._disable("Moved abroad")
        cls._fund(100_000)

    def _params(self, action):
        self.assertEqual((action["type"], action["tag"]), ("ir.actions.client", "display_notification"))
        self.assertEqual(action["params"]["next"]["type"], "ir.actions.client")
        return action["params"]

    def _money(self, amount):
        return format_amount(self.env, amount, self.currency)

    def test_generate_notifies_counts_amount_and_lists_who_is_left_out(self):
        payroll = (
            self.env["g2p.payroll"].with_user(self.manager).create({"cycle_id": self._approved_cycle().id})
        )
        params = self._params(payroll.action_generate())
        total = 1000 + 250 * 2 + 1000 + 250 * 3
        self.assertEqual(payroll.line_count, 2)
        self.assertEqual(params["type"], "warning", "people were left out: not a plain success")
        self.assertIn("2 payments, %s in all." % self._money(total), params["message"])
        self.assertIn("2 registrants left out", params["message"])
        self.assertEqual(payroll.skipped_count, 2)
        self.assertEqual(
            {(s.partner_id, s.reason) for s in payroll.skipped_ids},
            {(self.no_account, "no_account"), (self.moved, "inactive")},
        )
        action = payroll.with_user(self.manager).action_view_skipped()
        self.assertEqual(action["res_model"], "g2p.payroll.skipped")
        self.assertEqual(
            self.env["g2p.payroll.skipped"].with_user(self.manager).search(action["domain"]),
            payroll.skipped_ids,
        )
        # Generating again rebuilds the list rather than adding to it.
        payroll.with_user(self.manager).action_generate()
        self.assertEqual(len(payroll.skipped_ids), 2)

    def test_submit_approve_and_transfer_say_what_happened(self):
        payroll = self._payroll(self._approved_cycle())
        self.env.flush_all()
        self.env.cr.precommit.run()
        total = self._money(payroll.total_amount)
        params = self._params(payroll.with_user(self.manager).action_submit())
        self.assertIn("2 payments, %s" % total, params["message"])
        params = self._params(payroll.with_user(self.approver).action_approve())
        self.assertIn("approved: 2 payments, %s committed" % total, params["message"])
        # Tracking values are written when the transaction commits.
        self.env.flush_all()
        self.env.cr.precommit.run()
        chatter = [html2plaintext(m.body) for m in payroll.message_ids]
        self.assertTrue(any("Approved by %s: 2 payments" % self.approver.name in body for body in chatter))
        tracked = payroll.message_ids.tracking_value_ids
        self.assertIn("state", tracked.field_id.mapped("name"), "the state change is still tracked")
        self.assertNotIn("approved_by_id", tracked.field_id.mapped("name"), "no 'None → approver' line")

        self.assertFalse(payroll.is_prefunded)
        params = self._params(payroll.with_user(self.finance).action_transfer_to_psp())
        self.assertEqual(params["type"], "success")
        self.assertIn("%s for 2 payments transferred" % total, params["message"])
        self.assertIn(self.mobile_psp.name, params["message"])
        payroll.invalidate_recordset()
        self.assertTrue(payroll.is_prefunded, "the Transfer button hides once the funds went out")

    def test_entries_button_opens_journal_entries(self):
        payroll = self._payroll(self._approved_cycle())
        self._approve(payroll)
        action = payroll.with_user(self.finance).action_view_moves()
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(
            {mode: view for view, mode in action["views"]}["list"],
            self.env.ref("account.view_move_tree").id,
        )
        moves = self.env["account.move"].search(action["domain"])
        self.assertEqual(moves, payroll.move_ids)
        self.assertEqual(set(moves.mapped("move_type")), {"entry"})

    def test_cancel_notifies(self):
        payroll = self._payroll(self._approved_cycle())
        params = self._params(payroll.with_user(self.manager).action_cancel())
        self.assertIn("2 payments will not be made", params["message"])

    def test_fund_receipt_notifies_amount_and_funds_left(self):
        fund = (
            self.env["g2p.program.fund"]
            .with_user(self.finance)
            .create({"program_id": self.program.id, "amount": 2500})
        )
        params = self._params(fund.action_post())
        self.assertIn("%s posted to" % self._money(2500), params["message"])
        self.assertIn("%s available" % self._money(102_500), params["message"])

    def test_payroll_pdf_has_the_company_header(self):
        payroll = self._payroll(self._approved_cycle())
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "g2p_payroll.action_report_g2p_payroll", payroll.ids
        )
        html = html.decode()
        self.assertIn('class="header', html)
        self.assertIn(self.company.name, html)


class TestPspReportScreens(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(2):
            cls._paid_household("RS%s" % i, [33, 4], number="+25474%07d" % i)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(10_000)

    def test_rows_say_applied_after_applying(self):
        payroll = self._payroll(self._approved_cycle())
        self._approve(payroll)
        lines = payroll.line_ids.sorted("payment_number")
        csv = "payment_number,paid,date,psp_reference,reason\n%s,yes,%s,MP1,\n%s,no,%s,,ACCOUNT_CLOSED" % (
            lines[0].payment_number,
            self.today,
            lines[1].payment_number,
            self.today,
        )
        report = (
            self.env["g2p.payroll.reconciliation"]
            .with_user(self.finance)
            .create({"file": base64.b64encode(csv.encode()), "filename": "r.csv", "payroll_id": payroll.id})
        )
        params = report.action_check()["params"]
        self.assertIn("2 rows read: 1 payments to mark paid, 1 failed, 0 already applied", params["message"])
        self.assertEqual(set(report.row_ids.mapped("result")), {"ok"})
        params = report.action_apply()["params"]
        self.assertIn("1 payments marked paid, 1 failed", params["message"])
        self.assertEqual(set(report.row_ids.mapped("result")), {"applied"}, "no 'To apply' once applied")
        labels = dict(report.row_ids._fields["result"]._description_selection(self.env))
        self.assertEqual(labels["applied"], "Applied")

    def test_program_accounting_defaults_are_not_tracked_as_none_to_account(self):
        created = self.env["g2p.program"].with_user(self.manager).create({"name": "Quiet Accounts Grant"})
        program = created.sudo()  # tracking values are for administrators to read
        self.assertTrue(program.beneficiary_payable_account_id, "the company defaults are filled in")
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = program.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertFalse(
            [name for name in tracked if name.endswith(("_account_id", "_journal_id"))],
            "no 'None → account' lines in the chatter of a new program",
        )
        # Filled in later (the company had no default then): one readable note, no tracking lines.
        program.sudo().with_context(mail_notrack=True).fee_expense_account_id = False
        program._g2p_default_accounting()
        self.env.flush_all()
        self.env.cr.precommit.run()
        notes = [html2plaintext(m.body) for m in program.message_ids]
        self.assertTrue(any("completed from the company defaults" in body for body in notes), notes)
        self.assertFalse(
            [
                n
                for n in program.message_ids.tracking_value_ids.field_id.mapped("name")
                if n.endswith("_account_id")
            ]
        )

    def test_accounting_defaults_are_not_logged_as_changes(self):
        self.env.flush_all()
        self.env.cr.precommit.run()
        journal = self.program.benefits_journal_id
        self.assertTrue(journal)
        self.program.benefits_journal_id = False
        self.env.flush_all()
        self.env.cr.precommit.run()
        # Filled in again from the company's defaults (as on the next approval): no "None → …" line.
        self.program._g2p_accounting()
        self.assertEqual(self.program.benefits_journal_id, journal)
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id", "in", self.program.message_ids.ids),
                ("field_id.name", "=", "benefits_journal_id"),
            ]
        )
        self.assertEqual(len(values), 1, "only the change a person made is tracked")
        self.assertFalse(values.new_value_integer)
