import base64
import csv
import io

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_registry.tools.notify import notification

#: What banks write in a report's status column (ISO 20022 codes or words) -> the transfer status.
PAID_WORDS = {"paid", "executed", "settled", "acsc", "accc", "acsp"}
FAILED_WORDS = {"failed", "rejected", "returned", "rjct"}


class G2pProviderPaymentBankReport(models.TransientModel):
    """The bank's report on a payment file: a CSV with, per payment, its ``request_id`` (the
    file's EndToEndId) or ``payment_number``, a ``status`` (paid / executed / ACSC, or failed /
    rejected / RJCT), and optionally ``reason`` and ``bank_reference``. The whole file is checked
    first: a row that names an unknown payment or status stops it with the row's number, and
    nothing is applied. Payments the report does not name keep awaiting the bank."""

    _name = "g2p.provider.payment.bank.report"
    _description = "Bank Report of a Provider Payment File"

    run_id = fields.Many2one("g2p.provider.payment.run", required=True, readonly=True)
    report_file = fields.Binary(string="Bank Report (CSV)", required=True)
    report_filename = fields.Char()
    date = fields.Date(
        string="Executed On",
        required=True,
        default=fields.Date.context_today,
        help="The date of the payments' entries.",
    )

    def _rows(self):
        try:
            text = base64.b64decode(self.report_file).decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError):
            raise UserError(_("The bank report must be a UTF-8 CSV file.")) from None
        reader = csv.DictReader(io.StringIO(text))
        columns = {name.strip().lower() for name in reader.fieldnames or []}
        if "status" not in columns or not columns & {"request_id", "payment_number"}:
            raise UserError(
                _("The bank report needs a status column and a request_id or payment_number column.")
            )
        return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]

    @api.model
    def _status(self, word):
        word = word.lower()
        if word in PAID_WORDS:
            return "paid"
        if word in FAILED_WORDS:
            return "failed"
        return None

    def _staged(self):
        """(transfer, status, reason, bank reference) per row, or a UserError naming every bad row."""
        self.ensure_one()
        awaiting = self.run_id.line_ids.transfer_ids.filtered(lambda transfer: transfer.state == "sent")
        by_key = {transfer.request_id: transfer for transfer in awaiting}
        by_key.update({transfer.name: transfer for transfer in awaiting})
        staged, errors, seen = [], [], set()
        for number, row in enumerate(self._rows(), start=2):
            key = row.get("request_id") or row.get("payment_number")
            transfer = by_key.get(key)
            status = self._status(row.get("status", ""))
            if not transfer:
                errors.append(
                    _("row %(row)s: %(key)s is no payment of this run awaiting the bank", row=number, key=key)
                )
            elif status is None:
                errors.append(
                    _("row %(row)s: unknown status %(status)r", row=number, status=row.get("status"))
                )
            elif transfer in seen:
                errors.append(_("row %(row)s: %(key)s is reported twice", row=number, key=key))
            else:
                seen.add(transfer)
                staged.append((transfer, status, row.get("reason"), row.get("bank_reference")))
        if errors:
            raise UserError(_("Nothing was recorded. The bank report has errors:\n%s", "\n".join(errors)))
        if not staged:
            raise UserError(_("The bank report names no payment of this run."))
        return staged

    def action_apply(self):
        self.run_id._check_finance()
        staged = self._staged()
        for transfer, status, reason, reference in staged:
            transfer._apply_status(
                {
                    "status": status,
                    "date": self.date,
                    "reason": reason or (_("Rejected by the bank") if status == "failed" else None),
                    "psp_reference": reference,
                }
            )
        self.run_id._update_state()
        paid = sum(1 for row in staged if row[1] == "paid")
        message = _("%(paid)s payments executed, %(failed)s rejected.", paid=paid, failed=len(staged) - paid)
        return notification(
            _("Bank report recorded"), message, "warning" if paid < len(staged) else "success"
        )
