from odoo import api, models
from odoo.fields import Domain

from .g2p_fhir_insurance import ADJUDICATION_SYSTEM, PAYMENT_TYPE_SYSTEM, REMITTANCE_OUTCOMES

# Claim state -> ClaimResponse.outcome (queued | complete | error | partial).
OUTCOME = {"received": "queued", "approved": "complete", "paid": "complete", "rejected": "error"}


class G2pFhirClaimResponse(models.AbstractModel):
    """ClaimResponse: the adjudication of a received claim (``g2p.insurance.claim`` out of
    draft; the ClaimResponse has the id of its Claim).

    outcome queued (received, not yet adjudicated), complete (approved or paid), error
    (rejected, the reason in disposition and error). Item and total adjudication: ``submitted`` =
    claimed, ``benefit`` = what the cover pays (the approved amount), ``copay`` = the excess the
    family pays. payment: once the provider is paid (in full: the cover's part and the excess the
    insurer collects from the family), its date and amount."""

    _name = "g2p.fhir.claim.response"
    _inherit = "g2p.fhir.insurance"
    _description = "FHIR ClaimResponse"
    _fhir_type = "ClaimResponse"
    _fhir_model = "g2p.insurance.claim"

    @api.model
    def _fhir_domain(self):
        return [("state", "!=", "draft")]

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "request": (
                    "reference",
                    lambda v, m, p: self._fhir_ref_domain("id", v, m, "request", ("Claim",)),
                ),
                "patient": (
                    "reference",
                    lambda v, m, p: self._fhir_ref_domain("member_id", v, m, "patient", ("Patient",)),
                ),
                "outcome": (
                    "token",
                    lambda v, m, p: self._fhir_code_domain(
                        v,
                        m,
                        "outcome",
                        {
                            code: [("state", "in", [s for s, c in OUTCOME.items() if c == code])]
                            for code in REMITTANCE_OUTCOMES
                        },
                        ("http://hl7.org/fhir/remittance-outcome",),
                    ),
                ),
            }
        )
        return params

    @api.model
    def _fhir_identifier_domain(self, system, value):
        if system and system != self._fhir_system("insurance-claim"):
            return Domain.FALSE
        return Domain("name", "=", value)

    @api.model
    def _fhir_adjudication(self, category, amount, currency):
        return {
            "category": self._fhir_coding(ADJUDICATION_SYSTEM, category),
            "amount": self._fhir_money(amount, currency),
        }

    @api.model
    def _fhir_to_dicts(self, records):
        records.mapped("member_id.is_registrant")
        records.mapped("provider_id.is_registrant")
        records.mapped("category_id.code")
        records.mapped("company_id.partner_id")
        records.mapped("policy_id.currency_id.decimal_places")
        Claim = self.env["g2p.fhir.claim"]
        system = self._fhir_system("insurance-claim")
        collected_url = self._fhir_extension_url("claim-excess-collected")
        result = []
        for claim in records:
            currency = claim.policy_id.currency_id
            adjudicated = claim.state in ("approved", "paid")
            rejected = claim.state == "rejected"
            adjudication = [self._fhir_adjudication("submitted", claim.claimed_amount, currency)]
            if adjudicated or rejected:
                approved = claim.approved_amount if adjudicated else 0.0
                excess = claim.excess_amount if adjudicated else claim.claimed_amount
                adjudication += [
                    self._fhir_adjudication("benefit", approved, currency),
                    self._fhir_adjudication("copay", excess, currency),
                ]
            if claim.state == "paid":
                payment = {
                    "type": self._fhir_coding(PAYMENT_TYPE_SYSTEM, "complete", "Complete"),
                    "date": self._fhir_date(claim.date_paid),
                    "amount": self._fhir_money(claim.claimed_amount, currency),
                }
            else:
                payment = None
            if rejected:
                disposition = claim.rejection_reason
            elif adjudicated:
                disposition = self.env._("Approved")
            else:
                disposition = self.env._("Received, awaiting adjudication")
            extension = []
            if adjudicated:
                extension.append({"url": collected_url, "valueBoolean": claim.excess_collected})
            result.append(
                self._fhir_clean(
                    {
                        "resourceType": "ClaimResponse",
                        "id": str(claim.id),
                        "meta": self._fhir_meta(claim),
                        "extension": extension,
                        "identifier": [{"use": "official", "system": system, "value": claim.name}],
                        "status": "active",
                        "type": Claim._fhir_claim_type(claim.category_id),
                        "use": "claim",
                        "patient": self._fhir_partner_ref(claim.member_id),
                        "created": self._fhir_date(claim.date_adjudicated or claim.date_received),
                        "insurer": self._fhir_partner_ref(claim.company_id.partner_id),
                        "requestor": self._fhir_partner_ref(claim.provider_id),
                        "request": {"reference": "Claim/%s" % claim.id},
                        "outcome": OUTCOME[claim.state],
                        "disposition": disposition,
                        "item": [{"itemSequence": 1, "adjudication": adjudication}],
                        "total": adjudication,
                        "payment": payment,
                        "error": [{"code": {"text": claim.rejection_reason}}] if rejected else None,
                    }
                )
            )
        return result
