from collections import defaultdict

from odoo import api, models
from odoo.fields import Domain

RECONCILIATION_STATES = ("in_payment", "reconciled", "closed")
PAYMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/payment-type"


class G2pFhirPaymentReconciliation(models.AbstractModel):
    """PaymentReconciliation: the outcome of a payroll sent to its PSPs (``g2p.payroll`` in
    payment, reconciled or closed).

    identifier = the payroll reference (``sid/payroll``); created = the payroll date; paymentIssuer
    = the company; outcome ``queued`` (nothing settled yet), ``partial`` (some payments settled),
    ``complete`` (every payment has its outcome); disposition counts paid, failed and awaiting;
    paymentAmount = what was paid; paymentDate = the last payment day; one ``detail`` per paid
    payment: identifier = the payment number, request = its PaymentNotice, date, amount."""

    _name = "g2p.fhir.payment.reconciliation"
    _inherit = "g2p.fhir.insurance"
    _description = "FHIR PaymentReconciliation"
    _fhir_type = "PaymentReconciliation"
    _fhir_model = "g2p.payroll"

    @api.model
    def _fhir_domain(self):
        return [("state", "in", RECONCILIATION_STATES)]

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "created": self._fhir_date_param("date", "created"),
            }
        )
        return params

    @api.model
    def _fhir_identifier_domain(self, system, value):
        if system and system != self._fhir_system("payroll"):
            return Domain.FALSE
        return Domain("name", "=", value)

    @api.model
    def _fhir_to_dicts(self, records):
        records.mapped("company_id.partner_id")
        records.mapped("currency_id.decimal_places")
        # Every line of the page's payrolls in one query (the caller's rights apply).
        lines = self.env["g2p.payroll.line"].search_fetch(
            [("payroll_id", "in", records.ids)],
            ["payroll_id", "payment_number", "amount", "state", "paid_date"],
            order="payroll_id, id",
        )
        by_payroll = defaultdict(list)
        for line in lines:
            by_payroll[line.payroll_id.id].append(line)
        system = self._fhir_system("payroll")
        number_system = self._fhir_system("payment-number")
        result = []
        for payroll in records:
            currency = payroll.currency_id
            payroll_lines = by_payroll[payroll.id]
            paid = [line for line in payroll_lines if line.state == "paid"]
            failed = sum(1 for line in payroll_lines if line.state == "failed")
            open_count = sum(1 for line in payroll_lines if line.state in ("approved", "sent"))
            if not open_count:
                outcome = "complete"
            elif paid or failed:
                outcome = "partial"
            else:
                outcome = "queued"
            paid_dates = [line.paid_date for line in paid if line.paid_date]
            result.append(
                self._fhir_clean(
                    {
                        "resourceType": "PaymentReconciliation",
                        "id": str(payroll.id),
                        "meta": self._fhir_meta(payroll),
                        "identifier": [{"use": "official", "system": system, "value": payroll.name}],
                        "status": "active",
                        "created": self._fhir_date(payroll.date),
                        "paymentIssuer": self._fhir_partner_ref(payroll.company_id.partner_id),
                        "outcome": outcome,
                        "disposition": self.env._(
                            "%(paid)s paid, %(failed)s failed, %(open)s awaiting their outcome.",
                            paid=len(paid),
                            failed=failed,
                            open=open_count,
                        ),
                        "paymentDate": self._fhir_date(max(paid_dates) if paid_dates else payroll.date),
                        "paymentAmount": self._fhir_money(sum(line.amount for line in paid), currency),
                        "detail": [
                            {
                                "identifier": {"system": number_system, "value": line.payment_number},
                                "type": self._fhir_coding(PAYMENT_TYPE_SYSTEM, "payment", "Payment"),
                                "request": {"reference": "PaymentNotice/%s" % line.id},
                                "date": self._fhir_date(line.paid_date),
                                "amount": self._fhir_money(line.amount, currency),
                            }
                            for line in paid
                        ],
                    }
                )
            )
        return result
