"""Bank file export: ISO 20022 pain.001.001.09 or a plain CSV. The file goes to the bank outside
Odoo; the bank's report comes back through payroll reconciliation (g2p.payroll.reconciliation)."""

import uuid
from decimal import Decimal

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..tools.bank_csv import BankPayment, render_bank_csv
from ..tools.pain001 import CreditTransfer, render_pain001
from odoo.addons.g2p_payment_hub.tools import FormatError
from odoo.addons.g2p_registry.models.g2p_payment_account import compact_bic, compact_iban


class G2pPaymentConnectorFile(models.Model):
    _inherit = "g2p.payment.connector"

    code = fields.Selection(
        selection_add=[("file", "Bank File (pain.001 / CSV)")], ondelete={"file": "set default"}
    )
    file_format = fields.Selection(
        [("pain001", "ISO 20022 pain.001.001.09 (XML)"), ("bank_csv", "CSV")],
        default="pain001",
        help="pain.001 needs the beneficiaries' IBANs; the CSV also takes domestic account numbers.",
    )
    file_debtor_name = fields.Char(
        string="Debtor Name", help="The program's account holder, as the bank knows it."
    )
    file_debtor_iban = fields.Char(string="Debtor IBAN")
    file_debtor_bic = fields.Char(string="Debtor BIC")

    # ------------------------------------------------------------------ hooks

    def _get_required_fields(self):
        if self.code != "file":
            return super()._get_required_fields()
        # as on the form: a pain.001 names the debtor account
        debtor = ["file_debtor_iban", "file_debtor_bic"] if self.file_format == "pain001" else []
        return ["file_format", *debtor]

    def _set_payee_identifiers(self, payments):
        if self.code != "file":
            return super()._set_payee_identifiers(payments)
        for payment in payments:
            kind = "iban" if payment["account_type"] == "bank" else "accountNumber"
            payment["payee_identifier_type"] = kind
            payment["payee_identifier"] = payment["account_identifier"]

    def _build_batch(self, batch):
        """Render the file and attach it to the batch. A payment the format cannot carry (no IBAN,
        amount with too many decimals) stops the whole batch with a clear error."""
        if self.code != "file":
            return super()._build_batch(batch)
        attempts = batch.attempt_ids.filtered(lambda a: a.state == "open")
        rows = [
            {
                "number": a.payment_number,
                "request_id": a.request_id,
                "holder": self._file_holder_name(a),
                "account": a.payee_identifier,
                "bic": a.payroll_line_id.account_bic or "",
                "amount": a.amount,
            }
            for a in attempts
        ]
        content, filename, mimetype = self._render_file(
            batch.name, batch.correlation_id, batch.currency_id, rows
        )
        batch.write({"payload": content.decode(), "payload_filename": filename})
        self.env["ir.attachment"].create(
            {
                "name": filename,
                "res_model": batch._name,
                "res_id": batch.id,
                "raw": content,
                "mimetype": mimetype,
            }
        )

    def _render_file(self, name, message_id, currency, rows):
        """The bank file of ``rows`` (dicts: number, request_id, holder, account, bic, amount) in
        the connector's format: (content, filename, mimetype). A payment the format cannot carry
        is refused with a clear error."""
        self._check_required_fields()
        decimals = currency.decimal_places
        stem = name.replace("/", "_")
        try:
            if self.file_format == "bank_csv":
                content = render_bank_csv(
                    [
                        BankPayment(
                            payment_number=row["number"],
                            request_id=row["request_id"],
                            beneficiary_name=row["holder"],
                            account=row["account"],
                            bic=row["bic"],
                            amount=Decimal(str(row["amount"])),
                            currency=currency.name,
                            reference=row["number"],
                        )
                        for row in rows
                    ],
                    decimals=decimals,
                ).encode()
                return content, "%s.csv" % stem, "text/csv"
            content = render_pain001(
                message_id=uuid.UUID(message_id).hex,
                creation_datetime=fields.Datetime.now(),
                debtor_name=self.file_debtor_name or self.company_id.name,
                debtor_iban=self.file_debtor_iban,
                debtor_bic=self.file_debtor_bic,
                payments=[
                    CreditTransfer(
                        request_id=row["request_id"],
                        amount=Decimal(str(row["amount"])),
                        creditor_name=row["holder"],
                        creditor_iban=row["account"],
                        creditor_bic=row["bic"],
                        remittance_information=row["number"],
                    )
                    for row in rows
                ],
                execution_date=fields.Date.context_today(self),
                currency=currency.name,
                decimals=decimals,
            )
            return content, "%s.xml" % stem, "application/xml"
        except FormatError as error:
            raise UserError(_("%(name)s cannot be written: %(error)s", name=name, error=error)) from None

    def _send(self, batch):
        """The file is handed over outside Odoo: the batch and its payments are sent once it is built."""
        if self.code != "file":
            return super()._send(batch)
        if batch.state == "queued":
            batch._set_sending()
        return batch._set_sent()

    def _fetch_status(self, batch):
        """Outcomes come from the bank's report, applied to the payroll lines by payroll
        reconciliation; the attempts read them from there. Nothing to fetch: the caller then
        recounts the batch and completes it once every payment has its outcome."""
        if self.code != "file":
            return super()._fetch_status(batch)
        return []

    # ------------------------------------------------------------------ single transfers

    def _supports_transfer(self):
        return self.code == "file" or super()._supports_transfer()

    def _request_transfer(self, transfer):
        """A transfer to a bank goes in a file (:meth:`_render_transfer_file`): handed over, it
        awaits the bank's report."""
        if self.code != "file":
            return super()._request_transfer(transfer)
        return {"accepted": True}

    def _fetch_transfer_status(self, transfer):
        """Nothing to ask: the bank's report brings the outcome (Record Bank Report)."""
        if self.code != "file":
            return super()._fetch_transfer_status(transfer)
        return {"status": "pending"}

    def _render_transfer_file(self, transfers, name, record):
        """One bank file of ``transfers``, attached to ``record`` (e.g. a provider payment run)."""
        if self.code != "file":
            return super()._render_transfer_file(transfers, name, record)
        self.ensure_one()
        rows = [
            {
                "number": transfer.name,
                "request_id": transfer.request_id,
                "holder": transfer.payee_id.name,
                "account": transfer.payee_identifier,
                "bic": "",
                "amount": transfer.amount,
            }
            for transfer in transfers
        ]
        content, filename, mimetype = self._render_file(
            name, transfers[:1].request_id, transfers.currency_id[:1], rows
        )
        return self.env["ir.attachment"].create(
            {
                "name": filename,
                "res_model": record._name,
                "res_id": record.id,
                "raw": content,
                "mimetype": mimetype,
            }
        )

    def _test_connection(self):
        if self.code != "file":
            return super()._test_connection()
        if self.file_format == "pain001":
            try:
                compact_iban(self.file_debtor_iban or "")
                compact_bic(self.file_debtor_bic or "")
            except ValueError as error:
                raise UserError(_("Debtor account: %s", error)) from None
        return _("No connection needed: files are handed to the bank; the debtor account is valid.")

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _file_holder_name(attempt):
        line = attempt.payroll_line_id
        account = line.payment_account_id
        return account.holder_name or (line.recipient_id or line.beneficiary_id).name or ""
