from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain

from ..exceptions import FhirError
from .g2p_fhir_insurance import (
    CLAIM_TYPE_SYSTEM,
    CLAIM_TYPES,
    CLAIM_USES,
    FM_STATUS,
    PRIORITIES,
    PRIORITY_SYSTEM,
)
from odoo.addons.g2p_insurance_accounting.models.g2p_insurance_claim import normalize_provider_reference
from odoo.addons.g2p_insurance_accounting.models.g2p_insurance_policy import CLAIMS_GROUP

OPENIMIS_IDENTIFIERS = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers"
# Benefit category code -> Claim.type: the closest of the claim-type value set.
CLAIM_TYPE_OF_CATEGORY = {"dental": "oral", "optical": "vision", "outpatient": "professional"}


class G2pFhirClaim(models.AbstractModel):
    """Claim: an insurance claim of a provider (``g2p.insurance.claim``).

    patient = the covered member, provider = the hospital (Organization), insurance = the cover
    (Coverage), one item with the benefit category (category and productOrService, code system
    ``benefit-category``), the service date and the claimed amount (net), total = the claimed
    amount. identifier: the provider's own claim number (system ``sid/provider-claim``, assigner
    the provider) and the claim reference of this server (``sid/insurance-claim``).

    Create: a claim with status ``draft`` enters the workflow as a draft, ``active`` is received
    at once (the receipt is posted, or the claim is rejected with its reason when the cover cannot
    pay it). Adjudication comes back as the ClaimResponse of the same id."""

    _name = "g2p.fhir.claim"
    _inherit = "g2p.fhir.insurance"
    _description = "FHIR Claim"
    _fhir_type = "Claim"
    _fhir_model = "g2p.insurance.claim"
    _fhir_interactions = ("read", "search-type", "create")
    _fhir_write_groups = (CLAIMS_GROUP,)

    # ------------------------------------------------------------------ search

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "patient": (
                    "reference",
                    lambda v, m, p: self._fhir_ref_domain("member_id", v, m, "patient", ("Patient",)),
                ),
                "provider": (
                    "reference",
                    lambda v, m, p: self._fhir_ref_domain("provider_id", v, m, "provider", ("Organization",)),
                ),
                "created": self._fhir_date_param("date_received", "created"),
            }
        )
        return params

    @api.model
    def _fhir_status_domains(self):
        return {
            "draft": [("state", "=", "draft")],
            "active": [("state", "!=", "draft")],
            "cancelled": Domain.FALSE,
            "entered-in-error": Domain.FALSE,
        }

    @api.model
    def _fhir_identifier_domain(self, system, value):
        own, provider = self._fhir_system("insurance-claim"), self._fhir_system("provider-claim")
        if system == own:
            return Domain("name", "=", value)
        if system == provider:
            return Domain("provider_reference", "=", value)
        if system:
            return Domain.FALSE
        return Domain("name", "=", value) | Domain("provider_reference", "=", value)

    # ------------------------------------------------------------------ read

    @api.model
    def _fhir_category_coding(self, category):
        return self._fhir_coding(self._fhir_code_system("benefit-category"), category.code, category.name)

    @api.model
    def _fhir_claim_type(self, category):
        code = CLAIM_TYPE_OF_CATEGORY.get(category.code, "institutional")
        return self._fhir_coding(CLAIM_TYPE_SYSTEM, code)

    @api.model
    def _fhir_to_dicts(self, records):
        records.mapped("member_id.is_registrant")
        records.mapped("provider_id.is_registrant")
        records.mapped("category_id.code")
        records.mapped("policy_id.currency_id.decimal_places")
        provider_system, own_system = (
            self._fhir_system("provider-claim"),
            self._fhir_system("insurance-claim"),
        )
        state_url, paid_url = (
            self._fhir_extension_url("claim-state"),
            self._fhir_extension_url("claim-patient-paid"),
        )
        result = []
        for claim in records:
            currency = claim.policy_id.currency_id
            amount = self._fhir_money(claim.claimed_amount, currency)
            extension = [{"url": state_url, "valueCode": claim.state}]
            if not currency.is_zero(claim.member_paid_at_provider):
                extension.append(
                    {"url": paid_url, "valueMoney": self._fhir_money(claim.member_paid_at_provider, currency)}
                )
            identifiers = [
                {
                    "use": "usual",
                    "system": provider_system,
                    "value": claim.provider_reference,
                    "assigner": self._fhir_partner_ref(claim.provider_id),
                }
            ]
            if claim.name and claim.name != "/":
                identifiers.append({"use": "official", "system": own_system, "value": claim.name})
            category = self._fhir_category_coding(claim.category_id)
            result.append(
                self._fhir_clean(
                    {
                        "resourceType": "Claim",
                        "id": str(claim.id),
                        "meta": self._fhir_meta(claim),
                        "extension": extension,
                        "identifier": identifiers,
                        "status": "draft" if claim.state == "draft" else "active",
                        "type": self._fhir_claim_type(claim.category_id),
                        "use": "claim",
                        "patient": self._fhir_partner_ref(claim.member_id),
                        "created": self._fhir_date(claim.date_received),
                        "provider": self._fhir_partner_ref(claim.provider_id),
                        "priority": self._fhir_coding(PRIORITY_SYSTEM, "normal"),
                        "insurance": [
                            {
                                "sequence": 1,
                                "focal": True,
                                "coverage": {"reference": "Coverage/%s" % claim.policy_id.id},
                            }
                        ],
                        "item": [
                            {
                                "sequence": 1,
                                "category": category,
                                "productOrService": category,
                                "servicedDate": self._fhir_date(claim.date_service),
                                "quantity": {"value": 1},
                                "unitPrice": amount,
                                "net": amount,
                            }
                        ],
                        "total": amount,
                    }
                )
            )
        return result

    # ------------------------------------------------------------------ create

    @api.model
    def _fhir_create(self, resource):
        self._fhir_validate(resource)
        vals, receive = self._fhir_claim_vals(resource)
        Claim = self.env["g2p.insurance.claim"]
        try:
            with self.env.cr.savepoint():
                claim = Claim.create(vals)
                if receive:
                    claim._receive()
        except AccessError as e:
            raise FhirError(403, str(e), code="forbidden") from e
        except (UserError, ValidationError) as e:
            raise FhirError(422, str(e), code="business-rule") from e
        return claim

    @api.model
    def _fhir_code(self, concept, system, codes, path):
        """The code of the CodeableConcept ``concept`` in ``system`` (bound to ``codes``)."""
        codings = [c for c in (concept or {}).get("coding") or [] if c.get("system") in (system, None)]
        code = codings[0].get("code") if codings else None
        if code not in codes:
            raise FhirError(
                400,
                self.env._(
                    "%(path)s: %(code)r is not a code of %(system)s (%(codes)s).",
                    path=path,
                    code=code,
                    system=system,
                    codes=", ".join(codes),
                ),
                expression=[path],
                code="code-invalid",
            )
        return code

    @api.model
    def _fhir_provider_reference(self, identifiers):
        own, provider = self._fhir_system("insurance-claim"), self._fhir_system("provider-claim")
        candidates = [i for i in identifiers if i.get("value") and i.get("system") != own]
        for identifier in candidates:
            if identifier.get("system") == provider:
                return identifier["value"]
        for identifier in candidates:
            codings = (identifier.get("type") or {}).get("coding") or []
            if any(c.get("system") == OPENIMIS_IDENTIFIERS and c.get("code") == "Code" for c in codings):
                return identifier["value"]
        return candidates[0]["value"] if candidates else None

    @api.model
    def _fhir_day(self, value, path):
        """The day of a FHIR date or dateTime; a partial date (a year, a month) is refused."""
        try:
            day = fields.Date.to_date(str(value)[:10]) if len(str(value)) >= 10 else None
        except ValueError:
            day = None
        if not day:
            raise FhirError(
                400,
                self.env._("%(path)s: %(value)r is not a full date (YYYY-MM-DD).", path=path, value=value),
                expression=[path],
            )
        return day

    @api.model
    def _fhir_amount(self, money, currency, path):
        value = (money or {}).get("value")
        if value is None:
            raise FhirError(400, self.env._("%s.value is required.", path), expression=[path + ".value"])
        code = money.get("currency")
        if code and code != currency.name:
            raise FhirError(
                422,
                self.env._(
                    "%(path)s: the cover pays in %(expected)s, not %(found)s.",
                    path=path,
                    expected=currency.name,
                    found=code,
                ),
                expression=[path + ".currency"],
            )
        return currency.round(float(value))

    @api.model
    def _fhir_claim_vals(self, resource):
        """Odoo values of an inbound Claim (already structurally valid), and whether to receive it."""
        env = self.env
        status = resource.get("status")
        if status not in FM_STATUS:
            raise FhirError(
                400,
                env._(
                    "Claim.status: %(code)r is not one of %(codes)s.", code=status, codes=", ".join(FM_STATUS)
                ),
                expression=["Claim.status"],
                code="code-invalid",
            )
        if status not in ("draft", "active"):
            raise FhirError(
                422,
                env._("Only draft or active claims can be submitted, not %s.", status),
                expression=["Claim.status"],
            )
        use = resource.get("use")
        if use not in CLAIM_USES:
            raise FhirError(
                400,
                env._("Claim.use: %(code)r is not one of %(codes)s.", code=use, codes=", ".join(CLAIM_USES)),
                expression=["Claim.use"],
                code="code-invalid",
            )
        if use != "claim":
            raise FhirError(
                422, env._("Only claims are adjudicated here, not a %s.", use), expression=["Claim.use"]
            )
        self._fhir_code(resource.get("type"), CLAIM_TYPE_SYSTEM, CLAIM_TYPES, "Claim.type")
        self._fhir_code(resource.get("priority"), PRIORITY_SYSTEM, PRIORITIES, "Claim.priority")

        reference = self._fhir_provider_reference(resource.get("identifier") or [])
        if not reference:
            raise FhirError(
                400,
                env._(
                    "Claim.identifier: the provider's claim number is required (system %s).",
                    self._fhir_system("provider-claim"),
                ),
                expression=["Claim.identifier"],
            )

        # The cover: the focal insurance.
        insurances = resource.get("insurance") or []
        if not insurances:
            raise FhirError(
                400,
                env._("Claim.insurance: the cover (Coverage) is required."),
                expression=["Claim.insurance"],
            )
        index = next((i for i, ins in enumerate(insurances) if ins.get("focal")), 0)
        path = "Claim.insurance[%s].coverage" % index
        policy_id = self._fhir_ref_id(insurances[index].get("coverage"), ("Coverage",), path)
        policy = env["g2p.insurance.policy"].search([("id", "=", policy_id)])
        if not policy:
            raise FhirError(
                422,
                env._("%(path)s: Coverage/%(id)s does not exist.", path=path, id=policy_id),
                expression=[path],
            )
        # A cover that ended still takes claims for its time in force (the run-off); the claim's
        # adjudication then rejects, with the reason, what the cover cannot pay.
        if not (
            policy.state == "active" or (policy.state in ("cancelled", "expired") and policy.in_force_until)
        ):
            raise FhirError(
                422,
                env._(
                    "The cover %(cover)s (Coverage/%(id)s) is not active (%(state)s): it pays no claim.",
                    cover=policy.name,
                    id=policy.id,
                    state=dict(policy._fields["state"]._description_selection(env))[policy.state],
                ),
                expression=[path],
            )
        currency = policy.currency_id

        member_id = self._fhir_ref_id(resource.get("patient"), ("Patient",), "Claim.patient")
        if member_id not in policy.member_ids.ids:
            raise FhirError(
                422,
                env._("Patient/%(member)s is not covered by %(cover)s.", member=member_id, cover=policy.name),
                expression=["Claim.patient"],
            )
        provider_id = self._fhir_ref_id(resource.get("provider"), ("Organization",), "Claim.provider")
        provider = env["res.partner"].search(
            [
                ("id", "=", provider_id),
                ("is_company", "=", True),
                ("is_registrant", "=", False),
                ("is_psp", "=", False),
            ]
        )
        if not provider:
            raise FhirError(
                422,
                env._(
                    "Claim.provider: Organization/%s is not a health-care provider of this server.",
                    provider_id,
                ),
                expression=["Claim.provider"],
            )
        if (
            env["g2p.insurance.claim"]
            .sudo()
            .search_count(
                [
                    ("provider_id", "=", provider.id),
                    ("provider_reference_key", "=", normalize_provider_reference(reference)),
                ],
                limit=1,
            )
        ):
            # Only whether it exists: the claim itself may be out of the caller's reach.
            raise FhirError(
                409,
                env._(
                    "%(provider)s already submitted claim %(reference)s: a claim is received once.",
                    provider=provider.name,
                    reference=reference,
                ),
                expression=["Claim.identifier"],
                code="duplicate",
            )

        items = resource.get("item") or []
        if not items:
            raise FhirError(
                400,
                env._("Claim.item: a claim needs one item with its benefit category and amount."),
                expression=["Claim.item"],
            )
        codes = {}
        total = 0.0
        service = None
        categories = env["g2p.insurance.category"]
        for i, item in enumerate(items):
            item_path = "Claim.item[%s]" % i
            concept = item.get("category") or item.get("productOrService")
            code = next(
                (
                    c.get("code")
                    for c in (concept or {}).get("coding") or []
                    if c.get("system") in (self._fhir_code_system("benefit-category"), None)
                ),
                None,
            )
            category = categories.search([("code", "=", code)], limit=1) if code else categories
            if not category:
                raise FhirError(
                    400,
                    env._(
                        "%(path)s.category: %(code)r is not a benefit category (code system %(system)s).",
                        path=item_path,
                        code=code,
                        system=self._fhir_code_system("benefit-category"),
                    ),
                    expression=[item_path + ".category"],
                    code="code-invalid",
                )
            codes[category.id] = item_path
            money = item.get("net")
            if money is None and item.get("unitPrice"):
                quantity = (item.get("quantity") or {}).get("value", 1)
                money = dict(
                    item["unitPrice"], value=float(item["unitPrice"].get("value") or 0) * float(quantity)
                )
            if money is None:
                raise FhirError(
                    400,
                    env._("%s.net: the claimed amount is required.", item_path),
                    expression=[item_path + ".net"],
                )
            amount = self._fhir_amount(money, currency, item_path + ".net")
            if currency.compare_amounts(amount, 0.0) <= 0:
                raise FhirError(
                    400,
                    env._("%s.net: the claimed amount must be positive.", item_path),
                    expression=[item_path + ".net"],
                )
            total += amount
            day = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
            service = service or day
        if len(codes) > 1:
            raise FhirError(
                422,
                env._("A claim covers one benefit category: send one claim per category."),
                expression=list(codes.values())[1:2],
            )
        service = service or (resource.get("billablePeriod") or {}).get("start")
        if not service:
            raise FhirError(
                400,
                env._("Claim.item.servicedDate: the service date is required."),
                expression=["Claim.item[0].servicedDate"],
            )
        if resource.get("total") is not None:
            declared = self._fhir_amount(resource["total"], currency, "Claim.total")
            if currency.compare_amounts(declared, total):
                raise FhirError(
                    400,
                    env._(
                        "Claim.total (%(total)s) is not the sum of the items (%(sum)s).",
                        total=declared,
                        sum=total,
                    ),
                    expression=["Claim.total"],
                )
        paid = 0.0
        for ext in resource.get("extension") or []:
            if ext.get("url") == self._fhir_extension_url("claim-patient-paid"):
                paid = self._fhir_amount(ext.get("valueMoney"), currency, "Claim.extension.valueMoney")
                if paid < 0:
                    raise FhirError(
                        400,
                        env._("The amount paid by the patient cannot be negative."),
                        expression=["Claim.extension"],
                    )
        vals = {
            "policy_id": policy.id,
            "member_id": member_id,
            "provider_id": provider.id,
            "provider_reference": reference,
            "category_id": next(iter(codes)),
            "date_service": self._fhir_day(service, "Claim.item[0].servicedDate"),
            "claimed_amount": currency.round(total),
            "member_paid_at_provider": paid,
        }
        if resource.get("created"):
            vals["date_received"] = self._fhir_day(resource["created"], "Claim.created")
        return vals, status == "active"
