"""Provider payment runs paid by bank file: the run writes one CSV of its transfers for the bank;
the bank's report, uploaded, pays or fails each; a rejected payment is sent again in a new file."""

import base64
import csv
import io
from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.g2p_insurance_accounting.tests.common import InsuranceCase


@tagged("post_install", "-at_install")
class TestProviderPaymentBankFile(InsuranceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Connector = cls.env["g2p.payment.connector"]
        if "file" not in dict(Connector._fields["code"].selection):
            cls.skipTest(cls, "g2p_payment_hub_file is not installed")
        cls.bank_psp = (
            cls.env["res.partner"]
            .sudo()
            .create({"name": "KCB Bank (test)", "is_company": True, "is_psp": True})
        )
        cls.connector = Connector.sudo().create(
            {
                "name": "KCB payment file",
                "code": "file",
                "file_format": "bank_csv",
                "state": "test",
                "psp_id": cls.bank_psp.id,
                "company_id": cls.company.id,
            }
        )
        cls.clearing = cls.bank_psp._g2p_psp_clearing_account(cls.company).sudo(False)
        cls.checker = new_test_user(
            cls.env,
            "ins_file_checker",
            groups="g2p_insurance_accounting.group_g2p_insurance_finance",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        for provider, number in ((cls.gertrude, "01108123456700"), (cls.nairobi, "01120987654300")):
            cls.env["res.partner.bank"].sudo().create({"partner_id": provider.id, "acc_number": number})

    def setUp(self):
        super().setUp()
        self.policy = self._policy()
        self.claims = self.env["g2p.insurance.claim"].sudo()
        for provider, reference, amount in (
            (self.gertrude, "GCH-F1", 21_000),
            (self.nairobi, "TNH-F1", 4_500),
        ):
            claim = self._claim(self.policy, provider, reference, self.brian, self.inpatient, amount)
            claim._receive()
            claim._approve(date(2020, 3, 20))
            self.claims |= claim
        self.run = (
            self.env["g2p.provider.payment.run"]
            .with_user(self.finance)
            .create({"connector_id": self.connector.id, "company_id": self.company.id})
        )
        self.run.action_load_claims()
        self.run.action_submit()
        self.run.with_user(self.checker).action_approve()

    def _file_rows(self):
        raw = self.run.sudo().bank_file_id.raw.decode()
        return list(csv.DictReader(io.StringIO(raw)))

    def _report(self, rows, when=date(2020, 4, 2)):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["request_id", "status", "reason", "bank_reference"])
        writer.writeheader()
        writer.writerows(rows)
        wizard = (
            self.env["g2p.provider.payment.bank.report"]
            .with_user(self.finance)
            .create(
                {
                    "run_id": self.run.id,
                    "report_file": base64.b64encode(buffer.getvalue().encode()),
                    "report_filename": "report.csv",
                    "date": when,
                }
            )
        )
        return wizard.action_apply()

    def _transfer(self, provider):
        line = self.run.line_ids.filtered(lambda line: line.payee_id == provider)
        return line, line.transfer_ids.sorted("id")[-1:]

    def test_bank_file_report_pays_rejects_and_a_retry_pays_once(self):
        self.run.with_user(self.finance).action_send()
        self.assertEqual(self.run.state, "in_payment")
        rows = self._file_rows()
        self.assertEqual(len(rows), 2)
        gertrude_line, gertrude_transfer = self._transfer(self.gertrude)
        nairobi_line, nairobi_transfer = self._transfer(self.nairobi)
        by_request = {row["request_id"]: row for row in rows}
        self.assertEqual(by_request[gertrude_transfer.request_id]["account"], "01108123456700")
        self.assertEqual(by_request[gertrude_transfer.request_id]["amount"], "21000.00")
        self.assertEqual({gertrude_transfer.state, nairobi_transfer.state}, {"sent"})
        # A report with an unknown payment records nothing at all.
        with self.assertRaises(UserError) as error:
            self._report(
                [
                    {"request_id": gertrude_transfer.request_id, "status": "ACSC"},
                    {"request_id": "not-a-payment", "status": "ACSC"},
                ]
            )
        self.assertIn("row 3", str(error.exception))
        self.assertEqual(gertrude_transfer.state, "sent")
        self._report(
            [
                {"request_id": gertrude_transfer.request_id, "status": "ACSC", "bank_reference": "KCB123"},
                {
                    "request_id": nairobi_transfer.request_id,
                    "status": "RJCT",
                    "reason": "AC04 account closed",
                },
            ]
        )
        self.assertEqual((gertrude_line.state, nairobi_line.state), ("paid", "failed"))
        payable = self.acc["g2p_ins_provider_payable_account_id"]
        self.assertMove(
            gertrude_line.move_id,
            date(2020, 4, 2),
            self.acc["journal"],
            [(payable, self.gertrude, 21_000, 0), (self.clearing, self.gertrude, 0, 21_000)],
        )
        self.assertEqual(gertrude_transfer.psp_reference, "KCB123")
        nairobi_claim = self.claims.filtered(lambda claim: claim.provider_id == self.nairobi)
        self.assertEqual(nairobi_claim.state, "approved")
        self.assertIn("AC04", nairobi_line.reason)
        # The same report again changes nothing: the paid payment is not paid twice.
        with self.assertRaises(UserError):
            self._report([{"request_id": gertrude_transfer.request_id, "status": "ACSC"}])
        self.assertEqual(len(self.env["account.move"].sudo().search([("ref", "like", self.run.name)])), 1)
        # Retry Failed writes a new file with the new transfer only; its report pays it.
        first_file = self.run.bank_file_id
        self.run.with_user(self.finance).action_retry_failed()
        self.assertNotEqual(self.run.bank_file_id, first_file)
        _line, retry = self._transfer(self.nairobi)
        self.assertEqual(retry.retry_of_id, nairobi_transfer)
        self.assertEqual([row["request_id"] for row in self._file_rows()], [retry.request_id])
        self._report([{"request_id": retry.request_id, "status": "executed"}])
        self.assertEqual(nairobi_line.state, "paid")
        self.assertEqual(self.run.state, "done")
        self.assertEqual(set(self.claims.mapped("state")), {"paid"})
        items = self.claims.sudo().receipt_move_id.line_ids.filtered(lambda line: line.account_id == payable)
        self.assertTrue(all(items.mapped("reconciled")))
