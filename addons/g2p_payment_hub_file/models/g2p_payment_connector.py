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
        self._check_required_fields()
        attempts = batch.attempt_ids.filtered(lambda a: a.state == "open")
        currency = batch.currency_id
        decimals = currency.decimal_places
        try:
            if self.file_format == "bank_csv":
                content = render_bank_csv(
                    [
                        BankPayment(
                            payment_number=a.payment_number,
                            request_id=a.request_id,
                            beneficiary_name=self._file_holder_name(a),
                            account=a.payee_identifier,
                            bic=a.payroll_line_id.account_bic or "",
                            amount=Decimal(str(a.amount)),
                            currency=currency.name,
                            reference=a.payment_number,
                        )
                        for a in attempts
                    ],
                    decimals=decimals,
                ).encode()
                filename, mimetype = "%s.csv" % batch.name.replace("/", "_"), "text/csv"
            else:
                content = render_pain001(
                    message_id=uuid.UUID(batch.correlation_id).hex,
                    creation_datetime=fields.Datetime.now(),
                    debtor_name=self.file_debtor_name or self.company_id.name,
                    debtor_iban=self.file_debtor_iban,
                    debtor_bic=self.file_debtor_bic,
                    payments=[
                        CreditTransfer(
                            request_id=a.request_id,
                            amount=Decimal(str(a.amount)),
                            creditor_name=self._file_holder_name(a),
                            creditor_iban=a.payee_identifier,
                            creditor_bic=a.payroll_line_id.account_bic or "",
                            remittance_information=a.payment_number,
                        )
                        for a in attempts
                    ],
                    execution_date=fields.Date.context_today(self),
                    currency=currency.name,
                    decimals=decimals,
                )
                filename, mimetype = "%s.xml" % batch.name.replace("/", "_"), "application/xml"
        except FormatError as error:
            raise UserError(
                _("Batch %(batch)s cannot be written: %(error)s", batch=batch.name, error=error)
            ) from None
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
