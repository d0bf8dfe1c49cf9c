from odoo import api, models
from odoo.fields import Domain

from .g2p_fhir_insurance import COVERAGE_CLASS_SYSTEM

# Cover state -> Coverage.status (active | cancelled | draft | entered-in-error). A suspended or
# expired cover pays no claim: it is no longer in force; its exact state is in an extension.
STATUS = {
    "draft": "draft",
    "active": "active",
    "suspended": "cancelled",
    "cancelled": "cancelled",
    "expired": "cancelled",
}


class G2pFhirCoverage(models.AbstractModel):
    """Coverage: a health-insurance cover (``g2p.insurance.policy``).

    beneficiary = the household head (or the individual holder), the covered members in the
    ``coverage-member`` extension and the household in ``coverage-household``; subscriber = the
    beneficiary; policyHolder = the third-party payer (an employer) or the beneficiary; payor = the
    insurer (the company's partner, as Organization); class ``plan`` = the product."""

    _name = "g2p.fhir.coverage"
    _inherit = "g2p.fhir.insurance"
    _description = "FHIR Coverage"
    _fhir_type = "Coverage"
    _fhir_model = "g2p.insurance.policy"

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        member = lambda name: lambda v, m, p: self._fhir_ref_domain("member_ids", v, m, name, ("Patient",))  # noqa: E731
        params.update(
            {
                "patient": ("reference", member("patient")),
                "beneficiary": ("reference", member("beneficiary")),
            }
        )
        return params

    @api.model
    def _fhir_status_domains(self):
        domains = {
            code: [("state", "in", [s for s, c in STATUS.items() if c == code])] for code in STATUS.values()
        }
        domains["entered-in-error"] = Domain.FALSE
        return domains

    @api.model
    def _fhir_identifier_domain(self, system, value):
        if system and system != self._fhir_system("insurance-cover"):
            return Domain.FALSE
        return Domain("name", "=", value)

    @api.model
    def _fhir_beneficiary(self, policy):
        """The person the Coverage is for: the household head, the individual holder, else the
        first covered member."""
        holder = policy.holder_id
        if not holder.is_group:
            return holder
        return holder.head_id if holder.head_id in policy.member_ids else policy.member_ids[:1]

    @api.model
    def _fhir_to_dicts(self, records):
        # One read per field over the whole page (prefetch), never per cover.
        records.mapped("holder_id.head_id")
        records.mapped("member_ids.is_registrant")
        records.mapped("product_id.code")
        records.mapped("company_id.partner_id")
        records.mapped("payer_id.is_registrant")
        system = self._fhir_system("insurance-cover")
        member_url = self._fhir_extension_url("coverage-member")
        household_url = self._fhir_extension_url("coverage-household")
        state_url = self._fhir_extension_url("coverage-state")
        result = []
        for policy in records:
            beneficiary = self._fhir_partner_ref(self._fhir_beneficiary(policy))
            extension = [{"url": state_url, "valueCode": policy.state}]
            if policy.holder_id.is_group:
                extension.append(
                    {"url": household_url, "valueReference": self._fhir_partner_ref(policy.holder_id)}
                )
            extension += [
                {"url": member_url, "valueReference": self._fhir_partner_ref(member)}
                for member in policy.member_ids
            ]
            result.append(
                self._fhir_clean(
                    {
                        "resourceType": "Coverage",
                        "id": str(policy.id),
                        "meta": self._fhir_meta(policy),
                        "extension": extension,
                        "identifier": [{"use": "official", "system": system, "value": policy.name}],
                        "status": STATUS[policy.state],
                        "subscriber": beneficiary,
                        "beneficiary": beneficiary,
                        "policyHolder": self._fhir_partner_ref(policy.payer_id) or beneficiary,
                        "period": {
                            "start": self._fhir_date(policy.date_start),
                            "end": self._fhir_date(policy.date_end),
                        },
                        "payor": [self._fhir_partner_ref(policy.company_id.partner_id)],
                        "class": [
                            {
                                "type": self._fhir_coding(COVERAGE_CLASS_SYSTEM, "plan", "Plan"),
                                "value": policy.product_id.code,
                                "name": policy.product_id.name,
                            }
                        ],
                    }
                )
            )
        return result
