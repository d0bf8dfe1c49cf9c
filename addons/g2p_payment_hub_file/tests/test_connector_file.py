"""Bank file connector: pain.001 / CSV attached to the batch, outcomes through payroll reconciliation."""

import base64
import csv
import io
import uuid

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools.pain001 import NAMESPACE
from odoo.addons.g2p_payment_hub.tests.psp_common import PspCase

NS = {"p": NAMESPACE}


@tagged("post_install", "-at_install")
class TestFileConnector(PspCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connector = cls.env["g2p.payment.connector"].create(
            {
                "name": "National Bank (pain.001)",
                "code": "file",
                "psp_id": cls.bank_psp.id,
                "state": "enabled",
                "file_format": "pain001",
                "file_debtor_name": "Ministry of Social Protection",
                "file_debtor_iban": "DE89 3704 0044 0532 0130 00",
                "file_debtor_bic": "COBADEFFXXX",
            }
        )

    def setUp(self):
        super().setUp()
        self.payroll = self._approved_payroll()
        self.lines = self._lines(self.payroll, self.bank_psp)
        self.assertEqual(len(self.lines), 3)

    def _batch(self):
        batch = self.payroll._create_payment_batches(self.lines)
        self.assertEqual(len(batch), 1)
        return batch

    def _attachment(self, batch):
        return self.env["ir.attachment"].search([("res_model", "=", batch._name), ("res_id", "=", batch.id)])

    def _upload(self, rows):
        """A bank report uploaded, checked and applied by a finance officer."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["payment_number", "paid", "date", "psp_reference", "reason_code", "reason"])
        writer.writerows(rows)
        report = (
            self.env["g2p.payroll.reconciliation"]
            .with_user(self.finance)
            .create(
                {
                    "payroll_id": self.payroll.id,
                    "file": base64.b64encode(buffer.getvalue().encode()),
                    "filename": "bank-report.csv",
                }
            )
        )
        report.action_check()
        report.action_apply()
        return report

    def test_pain001_then_bank_report(self):
        batch = self._batch()
        batch.with_user(self.finance).action_send()
        self.assertEqual(batch.state, "sent")
        self.assertEqual(set(self.lines.mapped("state")), {"sent"})

        attachment = self._attachment(batch)
        self.assertEqual(len(attachment), 1)
        self.assertTrue(attachment.name.endswith(".xml"))
        document = etree.fromstring(attachment.raw)
        self.assertEqual(document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS), "3")
        self.assertEqual(
            document.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS), uuid.UUID(batch.correlation_id).hex
        )
        self.assertEqual(
            document.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS), "DE89370400440532013000"
        )
        self.assertEqual(
            float(document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS)), sum(self.lines.mapped("amount"))
        )
        transfers = document.findall(".//p:CdtTrfTxInf", namespaces=NS)
        by_request = {a.request_id: a for a in batch.attempt_ids}
        for transfer in transfers:
            request_id = str(uuid.UUID(transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS)))
            attempt = by_request[request_id]
            line = attempt.payroll_line_id
            self.assertEqual(
                transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS), line.account_identifier
            )
            self.assertEqual(float(transfer.findtext("p:Amt/p:InstdAmt", namespaces=NS)), line.amount)
            self.assertEqual(transfer.findtext("p:RmtInf/p:Ustrd", namespaces=NS), line.payment_number)
        self.assertEqual(len(transfers), 3)

        # The bank's report: two credited, one refused (account closed).
        paid, failed = self.lines[:2], self.lines[2]
        report = self._upload(
            [[line.payment_number, "yes", "", "BANK-%s" % line.id, "", ""] for line in paid]
            + [[failed.payment_number, "no", "", "", "ACCOUNT_CLOSED", "Account closed on 1 March"]]
        )
        self.assertEqual((report.paid_count, report.failed_count, report.error_count), (2, 1, 0))
        self.assertSettled(self.payroll, paid, failed)
        self.assertEqual(failed.failure_reason_id.code, "ACCOUNT_CLOSED")
        self.assertEqual(paid[0].psp_reference, "BANK-%s" % paid[0].id)

        # The batch follows the lines: its attempts show the same outcome, no entry twice.
        moves = self.payroll.move_ids
        batch._fetch_and_apply()
        self.assertEqual(batch.state, "completed")
        self.assertEqual((batch.paid_count, batch.failed_count), (2, 1))
        self.assertEqual(self.payroll.move_ids, moves)
        refused = batch.attempt_ids.filtered(lambda a: a.payroll_line_id == failed)
        self.assertEqual((refused.status, refused.failure_note), ("failed", "Account closed on 1 March"))

        # The same report uploaded again applies nothing.
        again = self._upload(
            [[line.payment_number, "yes", "", "BANK-%s" % line.id, "", ""] for line in paid]
            + [[failed.payment_number, "no", "", "", "ACCOUNT_CLOSED", "Account closed on 1 March"]]
        )
        self.assertEqual((again.paid_count, again.failed_count, again.skipped_count), (0, 0, 3))
        self.assertEqual(again.previous_id, report)
        self.assertEqual(self.payroll.move_ids, moves)

    def test_partial_report_leaves_batch_open(self):
        batch = self._batch()
        batch._send_batches()
        self._upload([[self.lines[0].payment_number, "paid", "", "", "", ""]])
        batch._fetch_and_apply()
        self.assertEqual(batch.state, "partially_completed")
        self.assertEqual((batch.paid_count, batch.pending_count), (1, 2))

    def test_bank_csv(self):
        self.connector.file_format = "bank_csv"
        batch = self._batch()
        attachment = self._attachment(batch)
        self.assertTrue(attachment.name.endswith(".csv"))
        rows = list(csv.DictReader(io.StringIO(attachment.raw.decode())))
        self.assertEqual(len(rows), 3)
        by_number = {line.payment_number: line for line in self.lines}
        for row in rows:
            line = by_number[row["payment_number"]]
            self.assertEqual(row["account"], line.account_identifier)
            self.assertEqual(float(row["amount"]), line.amount)
            self.assertEqual(row["currency"], line.currency_id.name)
            self.assertIn(row["request_id"], batch.attempt_ids.mapped("request_id"))

    def test_invalid_debtor_refused(self):
        self.connector.file_debtor_iban = "DE00 1234"
        with self.assertRaisesRegex(UserError, "debtor IBAN"):
            self._batch()
        with self.assertRaisesRegex(UserError, "Debtor account"):
            self.connector.action_test_connection()

    def test_pain001_needs_ibans(self):
        """A payment to a domestic account number cannot go in a pain.001: a clear error."""
        self.lines[0].sudo().account_identifier = "12345678"
        with self.assertRaisesRegex(UserError, "not a valid IBAN"):
            self._batch()

    def test_connector_form(self):
        """The bank file fields are on the connector form, required where the type needs them."""
        self.assertConnectorForm("file", {"file_format": "bank_csv"})
