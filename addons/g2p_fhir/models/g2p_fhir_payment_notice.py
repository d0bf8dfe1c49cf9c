from odoo import api, models
from odoo.fields import Domain

from .g2p_fhir_insurance import PAYMENT_STATUS_SYSTEM

NOTICE_STATES = ("sent", "paid", "failed")


class G2pFhirPaymentNotice(models.AbstractModel):
    """PaymentNotice: a benefit payment of a payroll line (``g2p.payroll.line``) once it is sent
    to or settled by the PSP (states sent, paid, failed).

    identifier = the payment number (``sid/payment-number``) and the PSP's reference
    (``sid/psp-reference``); request = the beneficiary (Patient or Group); payment = the payroll's
    PaymentReconciliation; recipient = the PSP (Organization; the company when none); amount with
    the line's currency; paymentDate and paymentStatus ``paid`` when paid. A failed payment's
    notice is ``cancelled`` with its reason in the ``payment-failure`` extension; the exact state
    is in ``payment-state``. created = when it was sent (else the day of its outcome).

    Claim payments to providers are in their ClaimResponse.payment (a PaymentNotice has one Odoo
    model, and a claim's payment is no separate record)."""

    _name = "g2p.fhir.payment.notice"
    _inherit = "g2p.fhir.insurance"
    _description = "FHIR PaymentNotice"
    _fhir_type = "PaymentNotice"
    _fhir_model = "g2p.payroll.line"

    @api.model
    def _fhir_domain(self):
        return [("state", "in", NOTICE_STATES)]

    @api.model
    def _fhir_status_domains(self):
        return {
            "active": [("state", "in", ("sent", "paid"))],
            "cancelled": [("state", "=", "failed")],
            "draft": Domain.FALSE,
            "entered-in-error": Domain.FALSE,
        }

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "payment-status": (
                    "token",
                    lambda v, m, p: self._fhir_code_domain(
                        v,
                        m,
                        "payment-status",
                        {"paid": [("state", "=", "paid")], "cleared": Domain.FALSE},
                        (PAYMENT_STATUS_SYSTEM,),
                    ),
                ),
                "request": (
                    "reference",
                    lambda v, m, p: self._fhir_ref_domain(
                        "beneficiary_id", v, m, "request", ("Patient", "Group")
                    ),
                ),
                "created": ("date", self._fhir_created_domain),
            }
        )
        return params

    @api.model
    def _fhir_created_domain(self, value, modifier, prefix):
        self._fhir_no_modifier("created", modifier)
        sent = Domain(self._fhir_date_domain("sent_date", value, prefix, "created", datetime_field=True))
        unsent = Domain("sent_date", "=", False)
        paid = (
            unsent
            & Domain("state", "=", "paid")
            & Domain(self._fhir_date_domain("paid_date", value, prefix, "created"))
        )
        failed = (
            unsent
            & Domain("state", "=", "failed")
            & Domain(self._fhir_date_domain("failed_date", value, prefix, "created"))
        )
        return sent | paid | failed

    @api.model
    def _fhir_identifier_domain(self, system, value):
        if not system or system == self._fhir_system("payment-number"):
            domain = Domain("payment_number", "=", value)
            if not system:
                domain |= Domain("psp_reference", "=", value)
            return domain
        if system == self._fhir_system("psp-reference"):
            return Domain("psp_reference", "=", value)
        return Domain.FALSE

    @api.model
    def _fhir_to_dicts(self, records):
        records.mapped("beneficiary_id.is_registrant")
        records.mapped("psp_id.is_registrant")
        records.mapped("company_id.partner_id")
        records.mapped("currency_id.decimal_places")
        records.mapped("failure_reason_id.name")
        number_system, psp_system = self._fhir_system("payment-number"), self._fhir_system("psp-reference")
        state_url, failure_url = (
            self._fhir_extension_url("payment-state"),
            self._fhir_extension_url("payment-failure"),
        )
        result = []
        for line in records:
            extension = [{"url": state_url, "valueCode": line.state}]
            if line.state == "failed":
                reason = " — ".join(filter(None, [line.failure_reason_id.name, line.failure_note]))
                extension.append({"url": failure_url, "valueString": reason or self.env._("Failed")})
            identifiers = [{"use": "official", "system": number_system, "value": line.payment_number}]
            if line.psp_reference:
                identifiers.append({"use": "secondary", "system": psp_system, "value": line.psp_reference})
            if line.sent_date:
                created = self._fhir_datetime(line.sent_date)
            else:
                created = self._fhir_date(line.paid_date or line.failed_date) or self._fhir_datetime(
                    line.write_date
                )
            result.append(
                self._fhir_clean(
                    {
                        "resourceType": "PaymentNotice",
                        "id": str(line.id),
                        "meta": self._fhir_meta(line),
                        "extension": extension,
                        "identifier": identifiers,
                        "status": "cancelled" if line.state == "failed" else "active",
                        "request": self._fhir_partner_ref(line.beneficiary_id),
                        "created": created,
                        "payment": {"reference": "PaymentReconciliation/%s" % line.payroll_id.id},
                        "paymentDate": self._fhir_date(line.paid_date) if line.state == "paid" else None,
                        "recipient": self._fhir_partner_ref(line.psp_id or line.company_id.partner_id),
                        "amount": self._fhir_money(line.amount, line.currency_id),
                        "paymentStatus": (
                            self._fhir_coding(PAYMENT_STATUS_SYSTEM, "paid", "Paid")
                            if line.state == "paid"
                            else None
                        ),
                    }
                )
            )
        return result
