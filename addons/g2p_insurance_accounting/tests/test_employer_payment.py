import base64
import csv
import io
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError

from .common import InsuranceCase

PAID_ON = date(2020, 2, 3)


class TestEmployerPayment(InsuranceCase):
    """An employer pays the premiums of its workers' covers with one bank transfer, allocated from the
    statement it sends (the Kinoti family cover and three workers' own covers, all paid by Acme)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"].sudo()
        cls.workers = Partner.create(
            [{"given_name": n, "family_name": "Otieno", "is_registrant": True} for n in ("Ann", "Ben", "Cy")]
        )
        cls.workers.action_approve()
        id_type = cls.env["g2p.id.type"].sudo().create({"name": "Staff National ID", "code": "EMP_NID"})
        cls.env["g2p.registrant.id"].sudo().create(
            [
                {"partner_id": worker.id, "id_type_id": id_type.id, "value": number}
                for worker, number in zip(cls.workers, ("2900-0001", "29000002", "29000003"), strict=True)
            ]
        )
        cls.solo = cls._product(code="SOLO", name="Worker Cover", premium=10_000)
        cls.employer.ref = "ACME-01"
        cls.other_employer = Partner.create({"name": "Other Employer Ltd", "is_company": True})

    def setUp(self):
        super().setUp()
        self.family_cover = self._policy(pay=False, payer_id=self.employer.id)
        self.ann, self.ben, self.cy = (
            self._policy(product=self.solo, pay=False, holder_id=worker.id, payer_id=self.employer.id)
            for worker in self.workers
        )
        self.receivable = self.acc["g2p_ins_premium_receivable_account_id"]

    # ------------------------------------------------------------------ helpers

    def _csv(self, rows, header=("cover", "amount")):
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return base64.b64encode(out.getvalue().encode())

    def _xlsx(self, rows, header):
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        for row in [header, *rows]:
            sheet.append(list(row))
        out = io.BytesIO()
        book.save(out)
        return base64.b64encode(out.getvalue())

    def _payment(self, file, received, user=None, filename="statement.csv", **vals):
        return (
            self.env["g2p.insurance.employer.payment"]
            .with_user(user or self.finance)
            .create(
                {
                    "payer_id": self.employer.id,
                    "journal_id": self.bank_journal.id,
                    "date": PAID_ON,
                    "amount_received": received,
                    "bank_reference": vals.pop("bank_reference", "TRF-0001"),
                    "file": file,
                    "filename": filename,
                    **vals,
                }
            )
        )

    def _apply(self, payment):
        payment.action_check_file()
        payment.action_validate()
        self.assertEqual(payment.state, "validated")
        action = payment.action_post()
        self.assertEqual(action["params"]["title"], "Employer payment posted")
        self.assertEqual(payment.state, "posted")
        return action

    def _receivable_items(self, policy):
        return policy.sudo().move_ids.line_ids.filtered(lambda line: line.account_id == self.receivable)

    def _rows(self, payment):
        return [(line.row_number, line.error or "", line.allocated_amount) for line in payment.line_ids]

    # ------------------------------------------------------------------ tests

    def test_happy_path_one_entry_reconciled_per_cover(self):
        rows = [(self.family_cover.name, 30_000), (self.ann.name, 10_000), (self.ben.name, "10,000.00")]
        payment = self._payment(self._csv(rows), 50_000)
        self.assertTrue(payment.name.startswith("EMP/"))
        action = payment.action_check_file()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual((payment.row_count, payment.error_count), (3, 0))
        self.assertEqual(
            (payment.file_total, payment.allocated_total, payment.remainder_amount), (50_000, 50_000, 0)
        )
        line = payment.line_ids[0]
        self.assertEqual(
            (line.policy_id, line.premium_due, line.residual_after), (self.family_cover, 30_000, 0)
        )
        self.assertFalse(payment.move_id, "nothing is posted by checking")
        message = self._apply(payment)["params"]["message"]
        self.assertIn("allocated to 3 cover(s)", message)
        move = payment.move_id
        self.assertEqual(move.sudo().g2p_event, "ins_employer_payment")
        self.assertEqual(move.sudo().g2p_employer_payment_id, payment)
        self.assertMove(
            move,
            PAID_ON,
            self.bank_journal,
            [
                (self.bank, self.employer, 50_000, 0),
                (self.receivable, self.employer, 0, 30_000),
                (self.receivable, self.employer, 0, 10_000),
                (self.receivable, self.employer, 0, 10_000),
            ],
        )
        items = move.sudo().line_ids.filtered("g2p_policy_id")
        self.assertEqual(items.g2p_policy_id, self.family_cover | self.ann | self.ben)
        self.assertTrue(all(items.mapped("reconciled")))
        for cover in (self.family_cover, self.ann, self.ben):
            self.assertEqual(cover.premium_residual, 0)
            self.assertTrue(cover.premium_paid)
            self.assertTrue(all(self._receivable_items(cover).mapped("reconciled")))
            self.assertIn(payment.name, cover.message_ids[0].body)
        self.assertFalse(self.cy.premium_paid)
        self.assertEqual(self.cy.premium_residual, 10_000)
        self.assertEqual((payment.posted_by_id, payment.remainder_amount), (self.finance, 0))
        self.assertIn("allocated to 3 cover(s)", payment.message_ids[0].body)

    def test_partial_payment_advance_and_member_id_in_xlsx(self):
        """A row may pay part of a premium (the rest stays due); a member's ID number names their cover;
        what the rows do not allocate is an advance of the employer on its receivable."""
        self.family_cover._register_premium_payment(5_000, date(2020, 1, 15))  # partly paid before
        rows = [
            (self.family_cover.name, 12_000, "ACME-01"),
            ("29000001", 10_000, ""),  # Ann's ID number as written by HR, dashes stripped
            (self.cy.name.lower(), 4_000.5, "acme-01"),
        ]
        payment = self._payment(
            self._xlsx(rows, ("Cover Reference", "Amount", "Payer Reference")),
            30_000,
            filename="acme.xlsx",
        )
        payment.action_check_file()
        self.assertEqual(self._rows(payment), [(2, "", 12_000), (3, "", 10_000), (4, "", 4_000.5)])
        self.assertEqual(payment.line_ids[1].policy_id, self.ann)
        self.assertEqual(payment.line_ids[0].premium_due, 25_000)
        self.assertEqual(payment.remainder_amount, 3_999.5)
        self._apply(payment)
        self.assertMove(
            payment.move_id,
            PAID_ON,
            self.bank_journal,
            [
                (self.bank, self.employer, 30_000, 0),
                (self.receivable, self.employer, 0, 12_000),
                (self.receivable, self.employer, 0, 10_000),
                (self.receivable, self.employer, 0, 4_000.5),
                (self.receivable, self.employer, 0, 3_999.5),
            ],
        )
        self.assertEqual(self.family_cover.premium_residual, 13_000)
        self.assertFalse(self.family_cover.premium_paid)
        self.assertEqual((self.ann.premium_residual, self.ann.premium_paid), (0, True))
        self.assertEqual(self.cy.premium_residual, 5_999.5)
        advance = payment.move_id.sudo().line_ids.filtered(
            lambda line: line.account_id == self.receivable and not line.g2p_policy_id
        )
        self.assertEqual(
            (advance.credit, advance.amount_residual, advance.reconciled), (3_999.5, -3_999.5, False)
        )
        self.assertEqual(advance.partner_id, self.employer)
        cover_items = payment.move_id.sudo().line_ids.filtered("g2p_policy_id")
        self.assertTrue(all(cover_items.mapped("reconciled")), "part payments are fully used on the premium")

    def test_each_row_error_and_leaving_rows_out(self):
        other_company = self.setup_other_company(name="Other Scheme")["company"]
        product_2 = (
            self.env["g2p.insurance.product"]
            .sudo()
            .create(
                {
                    "name": "Other Cover",
                    "code": "OTH",
                    "company_id": other_company.id,
                    "premium": 1_000,
                    "total_limit": 10_000,
                }
            )
        )
        foreign = (
            self.env["g2p.insurance.policy"]
            .sudo()
            .create(
                {
                    "product_id": product_2.id,
                    "holder_id": self.family.id,
                    "date_start": date(2020, 1, 1),
                    "company_id": other_company.id,
                    "payer_id": self.employer.id,
                }
            )
        )
        not_ours = self._policy(product=self.solo, pay=False, holder_id=self.workers[0].id)
        draft = self._policy(product=self.solo, activate=False, pay=False, holder_id=self.workers[1].id,
                             payer_id=self.employer.id)  # fmt: skip
        rows = [
            (self.family_cover.name, 30_000, ""),  # 2 fine
            ("COV/1999/99999", 1_000, ""),  # 3 unknown
            (not_ours.name, 1_000, ""),  # 4 paid by Ann herself
            (foreign.name, 1_000, ""),  # 5 another company's
            (self.ann.name, 10_000.01, ""),  # 6 over the due
            (self.family_cover.name, 1, ""),  # 7 duplicate of row 2
            (self.ben.name, "ten", ""),  # 8 bad amount
            (self.cy.name, -5, ""),  # 9 bad amount
            (self.cy.name, "12.345", ""),  # 10 more decimals than the currency
            (draft.name, 10_000, ""),  # 11 not in force
            (self.cy.name, 10_000, "SOMEONE-ELSE"),  # 12 another payer's row
            ("29000002", 10_000, ""),  # 13 Ben by ID: two covers (the draft one is not in force) -> ok
        ]
        payment = self._payment(self._csv(rows, ("cover", "amount", "payer_ref")), 70_000)
        action = payment.action_check_file()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(
            self._rows(payment),
            [
                (2, "", 30_000),
                (3, "unknown_cover", 0),
                (4, "other_payer", 0),
                (5, "other_company", 0),
                (6, "over_due", 0),
                (7, "duplicate", 0),
                (8, "bad_amount", 0),
                (9, "bad_amount", 0),
                (10, "bad_amount", 0),
                (11, "not_open", 0),
                (12, "other_payer", 0),
                (13, "", 10_000),
            ],
        )
        messages = payment.line_ids.mapped("message")
        self.assertIn("No cover or member with the reference or ID number COV/1999/99999.", messages)
        self.assertIn("Cover %s is already paid by row 2 of this file." % self.family_cover.name, messages)
        self.assertIn("Cover %s is paid by Ann Otieno, not by Acme Employer Ltd." % not_ours.name, messages)
        self.assertEqual(payment.error_count, 10)
        with self.assertRefused(UserError, "10 row\\(s\\) of the file have errors"):
            payment.action_validate()
        self.assertEqual(payment.state, "draft")
        self.assertFalse(
            self.env["account.move"].sudo().search([("g2p_employer_payment_id", "=", payment.id)])
        )
        payment.skip_errors = True
        self._apply(payment)
        self.assertEqual(payment.allocated_total, 40_000)
        self.assertEqual(payment.remainder_amount, 30_000, "the rows left out stay with the employer")
        lines = payment.move_id.sudo().line_ids
        self.assertEqual(len(lines), 4, "bank, two covers, the advance")
        self.assertEqual(lines.filtered("g2p_policy_id").g2p_policy_id, self.family_cover | self.ben)
        self.assertEqual((self.ann.premium_residual, self.cy.premium_residual), (10_000, 10_000))

    def test_bad_files(self):
        cases = [
            (b"", "Upload the employer's statement file"),
            (b"cover,amount\n", "The file has no rows"),
            (b"policy;money\nCOV/1;3\n", "must name a cover column"),
            ("cover,amount\nCOV/\xe9,3\n".encode("latin-1"), "neither a UTF-8 CSV nor an XLSX"),
            (b"PK\x03\x04 not really a workbook", "not a readable XLSX"),
        ]
        for data, error in cases:
            with self.subTest(error=error):
                payment = self._payment(base64.b64encode(data) if data else False, 1_000)
                with self.assertRefused(UserError, error):
                    payment.action_check_file()
                self.assertFalse(payment.line_ids)

    def test_more_allocated_than_received_refused(self):
        payment = self._payment(self._csv([(self.ann.name, 10_000), (self.ben.name, 10_000)]), 15_000)
        payment.action_check_file()
        self.assertEqual(payment.remainder_amount, -5_000)
        with self.assertRefused(UserError, "more than the .* received"):
            payment.action_validate()

    def test_same_statement_applied_twice_refused(self):
        self._apply(self._payment(self._csv([(self.ann.name, 5_000)]), 5_000, bank_reference="TRF-77"))
        again = self._payment(self._csv([(self.ann.name, 5_000)]), 5_000, bank_reference=" trf-77 ")
        again.action_check_file()
        with self.assertRefused(UserError, "already applied by EMP/"):
            again.action_validate()
        self.assertEqual((again.state, self.ann.premium_residual), ("draft", 5_000))
        # Another employer's statement may carry the same bank reference.
        self.ben.sudo()._internal_write({"payer_id": self.other_employer.id})
        other = self._payment(
            self._csv([(self.ben.name, 10_000)]),
            10_000,
            bank_reference="TRF-77",
            payer_id=self.other_employer.id,
        )
        self._apply(other)
        self.assertTrue(self.ben.premium_paid)

    def test_cancel_reverses_the_entry(self):
        payment = self._payment(self._csv([(self.family_cover.name, 30_000), (self.ann.name, 4_000)]), 40_000)
        self._apply(payment)
        self.assertTrue(self.family_cover.premium_paid)
        with self.assertRefused(UserError, "cannot be deleted"):
            payment.unlink()
        action = payment.action_cancel()
        self.assertIn("reversed by", action["params"]["message"])
        self.assertEqual(payment.state, "cancelled")
        move, reversal = payment.move_id.sudo(), payment.reversal_move_id.sudo()
        self.assertEqual(move.state, "posted", "a posted entry is reversed, never deleted")
        self.assertEqual((reversal.state, reversal.reversed_entry_id), ("posted", move))
        self.assertEqual(reversal.g2p_event, "ins_employer_payment_cancel")
        self.assertEqual(sum(reversal.line_ids.mapped("debit")), 40_000)
        self.assertTrue(
            all(
                (move | reversal)
                .line_ids.filtered(lambda line: line.account_id.reconcile)
                .mapped("reconciled")
            )
        )
        self.assertEqual(
            (self.family_cover.premium_residual, self.family_cover.premium_paid), (30_000, False)
        )
        self.assertEqual(self.ann.premium_residual, 10_000)
        self.assertIn("cancelled", self.family_cover.message_ids[0].body)
        # The statement is free again: corrected, it can be applied.
        fixed = self._payment(self._csv([(self.family_cover.name, 30_000)]), 40_000)
        self._apply(fixed)
        self.assertEqual(self.family_cover.premium_residual, 0)
        self.assertEqual(fixed.remainder_amount, 10_000)

    def test_suspended_cover_paid_in_full_is_active_again(self):
        self.ann._set_suspended(date(2020, 2, 1))
        self._apply(self._payment(self._csv([(self.ann.name, 10_000)]), 10_000))
        self.assertEqual((self.ann.state, self.ann.premium_paid), ("active", True))

    def test_claims_officer_cannot_post(self):
        payment = self._payment(self._csv([(self.ann.name, 10_000)]), 10_000)
        payment.action_check_file()
        payment.action_validate()
        with self.assertRaises(AccessError):
            payment.with_user(self.officer).action_post()
        with self.assertRaises(AccessError):
            self._payment(self._csv([(self.ben.name, 10_000)]), 10_000, user=self.officer, bank_reference="X")
        with self.assertRaises(AccessError):
            payment.with_user(self.officer).read(["state"])
        self.assertEqual(payment.state, "validated")
        menu = self.env.ref("g2p_insurance_accounting.menu_g2p_insurance_employer_payments")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.finance)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.officer)._visible_menu_ids())

    def test_large_file_in_one_entry(self):
        """Hundreds of covers: one search for the references, one entry written in one statement."""
        Policy = self.env["g2p.insurance.policy"].with_user(self.finance)
        covers = Policy.create(
            [
                {
                    "product_id": self.solo.id,
                    "holder_id": self.workers[2].id,
                    "payer_id": self.employer.id,
                    "date_start": date(2020, 1, 1),
                    "company_id": self.company.id,
                    "member_ids": [Command.set(self.workers[2].ids)],
                }
                for _i in range(300)
            ]
        )
        covers.action_activate()
        rows = [(cover.name, 10_000 if i % 3 else 2_500) for i, cover in enumerate(covers)]
        payment = self._payment(self._csv(rows), 2_250_000)
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        payment.action_check_file()
        self.env.flush_all()
        self.assertLess(self.env.cr.sql_log_count - before, 300, "not one query (or more) per row")
        self.assertEqual(
            (payment.row_count, payment.error_count, payment.allocated_total), (300, 0, 2_250_000)
        )
        payment.action_validate()
        payment.action_post()
        items = payment.move_id.sudo().line_ids.filtered("g2p_policy_id")
        self.assertEqual(len(items), 300)
        self.assertTrue(all(items.mapped("reconciled")))
        self.assertEqual(sum(covers.mapped("premium_residual")), 100 * 7_500)
        self.assertEqual(len(covers.filtered("premium_paid")), 200)
