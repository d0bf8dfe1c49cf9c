from collections import defaultdict

from odoo import api, models
from odoo.fields import Domain

from odoo.addons.g2p_insurance_accounting.models.g2p_insurance_policy import FINANCE_GROUP

RECEIVABLE = [("account_id.account_type", "=", "asset_receivable")]
SETTLED = Domain("line_ids", "any", [*RECEIVABLE, ("reconciled", "=", True)])


class G2pFhirInvoice(models.AbstractModel):
    """Invoice: the premium of a cover, i.e. its premium entry (``account.move`` with event
    ``ins_premium``), readable by insurance finance officers.

    status draft, issued (posted, premium due), balanced (posted, the receivable reconciled: the
    premium is paid) or cancelled; subject = the holder (Group for a household, else Patient);
    recipient = the third-party payer (Organization) or the holder (the head for a household);
    issuer = the company; one lineItem with the product (code system ``insurance-product``) and
    its base price; totalNet = totalGross = the premium. The cover is in the ``invoice-coverage``
    extension."""

    _name = "g2p.fhir.invoice"
    _inherit = "g2p.fhir.insurance"
    _description = "FHIR Invoice"
    _fhir_type = "Invoice"
    _fhir_model = "account.move"
    _fhir_read_groups = (FINANCE_GROUP,)

    @api.model
    def _fhir_domain(self):
        return [("g2p_event", "=", "ins_premium"), ("g2p_policy_id", "!=", False)]

    _fhir_status_system = "http://hl7.org/fhir/invoice-status"

    @api.model
    def _fhir_status_domains(self):
        posted = Domain("state", "=", "posted")
        return {
            "draft": [("state", "=", "draft")],
            "issued": posted & ~SETTLED,
            "balanced": posted & SETTLED,
            "cancelled": [("state", "=", "cancel")],
            "entered-in-error": Domain.FALSE,
        }

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "patient": ("reference", self._fhir_patient_domain),
                "subject": (
                    "reference",
                    lambda v, m, p: self._fhir_ref_domain(
                        "g2p_policy_id.holder_id", v, m, "subject", ("Patient", "Group")
                    ),
                ),
                "recipient": ("reference", self._fhir_recipient_domain),
                "date": self._fhir_date_param("date", "date"),
            }
        )
        return params

    @api.model
    def _fhir_patient_domain(self, value, modifier, prefix):
        """Premiums of the covers held by or covering the Patient."""
        ids = Domain(self._fhir_ref_domain("id", value, modifier, "patient", ("Patient",)))
        if ids.is_false():
            return ids
        ids = ids.value
        return Domain("g2p_policy_id.holder_id", "in", ids) | Domain("g2p_policy_id.member_ids", "in", ids)

    @api.model
    def _fhir_recipient_domain(self, value, modifier, prefix):
        """As emitted: the payer, else the individual holder, else the household's head."""
        domain = Domain(
            self._fhir_ref_domain("id", value, modifier, "recipient", ("Organization", "Patient"))
        )
        if domain.is_false():
            return domain
        ids = domain.value
        no_payer = Domain("g2p_policy_id.payer_id", "=", False)
        return (
            Domain("g2p_policy_id.payer_id", "in", ids)
            | (
                no_payer
                & Domain("g2p_policy_id.holder_id", "in", ids)
                & Domain("g2p_policy_id.holder_id.is_group", "=", False)
            )
            | (no_payer & Domain("g2p_policy_id.holder_id.head_id", "in", ids))
        )

    @api.model
    def _fhir_identifier_domain(self, system, value):
        if system and system != self._fhir_system("premium-invoice"):
            return Domain.FALSE
        return Domain("name", "=", value)

    @api.model
    def _fhir_to_dicts(self, records):
        # Whole page at once: account.move does not prefetch its many2one across records here.
        records.fetch(["name", "state", "date", "company_id", "g2p_policy_id", "write_date"])
        records.g2p_policy_id.fetch(["holder_id", "payer_id", "product_id"])
        records.mapped("g2p_policy_id.holder_id.head_id")
        records.mapped("g2p_policy_id.payer_id.is_registrant")
        records.mapped("g2p_policy_id.product_id.code")
        records.mapped("company_id.partner_id")
        # The premium receivable of every entry of the page in one query.
        receivables = defaultdict(lambda: self.env["account.move.line"])
        for line in self.env["account.move.line"].search_fetch(
            [("move_id", "in", records.ids), *RECEIVABLE], ["move_id", "balance", "reconciled"]
        ):
            receivables[line.move_id.id] |= line
        system = self._fhir_system("premium-invoice")
        product_system = self._fhir_code_system("insurance-product")
        coverage_url = self._fhir_extension_url("invoice-coverage")
        result = []
        for move in records:
            policy = move.g2p_policy_id
            currency = move.company_id.currency_id
            lines = receivables[move.id]
            amount = self._fhir_money(sum(lines.mapped("balance")), currency)
            if move.state == "draft":
                status = "draft"
            elif move.state == "cancel":
                status = "cancelled"
            else:
                status = "balanced" if lines and all(lines.mapped("reconciled")) else "issued"
            holder = policy.holder_id
            recipient = policy.payer_id or (holder.head_id if holder.is_group else holder)
            result.append(
                self._fhir_clean(
                    {
                        "resourceType": "Invoice",
                        "id": str(move.id),
                        "meta": self._fhir_meta(move),
                        "extension": [
                            {"url": coverage_url, "valueReference": {"reference": "Coverage/%s" % policy.id}}
                        ],
                        "identifier": [{"use": "official", "system": system, "value": move.name}],
                        "status": status,
                        "subject": self._fhir_partner_ref(holder),
                        "recipient": self._fhir_partner_ref(recipient),
                        "date": self._fhir_date(move.date),
                        "issuer": self._fhir_partner_ref(move.company_id.partner_id),
                        "lineItem": [
                            {
                                "sequence": 1,
                                "chargeItemCodeableConcept": self._fhir_coding(
                                    product_system, policy.product_id.code, policy.product_id.name
                                ),
                                "priceComponent": [{"type": "base", "amount": amount}],
                            }
                        ],
                        "totalNet": amount,
                        "totalGross": amount,
                    }
                )
            )
        return result
