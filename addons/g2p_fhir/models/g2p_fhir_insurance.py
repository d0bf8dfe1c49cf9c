from datetime import UTC

from odoo import api, fields, models
from odoo.fields import Domain

from ..exceptions import FhirError

# Code bindings of the elements the insurance and payment types emit or accept (FHIR R4 value sets):
# fhir.resources checks structure only, these are checked here.
FM_STATUS = ("active", "cancelled", "draft", "entered-in-error")
FM_STATUS_SYSTEM = "http://hl7.org/fhir/fm-status"
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
CLAIM_TYPES = ("institutional", "oral", "pharmacy", "professional", "vision")
PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/processpriority"
PRIORITIES = ("stat", "normal", "deferred")
CLAIM_USES = ("claim", "preauthorization", "predetermination")
ADJUDICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/adjudication"
PAYMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
PAYMENT_STATUS_SYSTEM = "http://terminology.hl7.org/CodeSystem/paymentstatus"
COVERAGE_CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-class"
REMITTANCE_OUTCOMES = ("queued", "complete", "error", "partial")
INVOICE_STATUS = ("draft", "issued", "balanced", "cancelled", "entered-in-error")


class G2pFhirInsurance(models.AbstractModel):
    """What the insurance and payment resource types share (Coverage, Claim, ClaimResponse,
    PaymentNotice, PaymentReconciliation, Invoice): money, references to registrants and
    organisations, identifier systems, token and reference searches. It has no ``_fhir_type`` of
    its own, so it is not a resource type."""

    _name = "g2p.fhir.insurance"
    _inherit = "g2p.fhir.resource"
    _description = "FHIR Insurance and Payment Resource Types"

    # ------------------------------------------------------------------ URIs

    @api.model
    def _fhir_system(self, kind):
        """The identifier system of the references this server issues (``kind``: cover, claim …)."""
        return "%s/sid/%s" % (self._fhir_base_system(), kind)

    @api.model
    def _fhir_code_system(self, kind):
        return "%s/CodeSystem/%s" % (self._fhir_base_system(), kind)

    @api.model
    def _fhir_extension_url(self, name):
        return "%s/StructureDefinition/%s" % (self._fhir_base_system(), name)

    # ------------------------------------------------------------------ search

    #: The code system of the type's ``status`` (Invoice has its own).
    _fhir_status_system = FM_STATUS_SYSTEM

    @api.model
    def _fhir_search_params(self):
        """``identifier`` and ``status``, which every type here has, on top of ``_id`` and
        ``_lastUpdated``; each type adds its own."""
        params = super()._fhir_search_params()
        params.update(
            {
                "identifier": ("token", self._fhir_identifier_search),
                "status": (
                    "token",
                    lambda v, m, p: self._fhir_code_domain(
                        v, m, "status", self._fhir_status_domains(), (self._fhir_status_system,)
                    ),
                ),
            }
        )
        return params

    @api.model
    def _fhir_status_domains(self):
        """{status code: Odoo domain} of the ``status`` search, every code of the value set; by
        default every record the type emits is ``active``."""
        return {
            "active": Domain.TRUE,
            "cancelled": Domain.FALSE,
            "draft": Domain.FALSE,
            "entered-in-error": Domain.FALSE,
        }

    @api.model
    def _fhir_date_param(self, fname, name):
        """A ``date`` search parameter ``name`` on the date field ``fname``."""
        return (
            "date",
            lambda v, m, p: self._fhir_no_modifier(name, m) or self._fhir_date_domain(fname, v, p, name),
        )

    # ------------------------------------------------------------------ values

    @api.model
    def _fhir_money(self, amount, currency):
        """FHIR Money with the currency's precision and ISO code."""
        return {
            "value": round(currency.round(amount or 0.0), currency.decimal_places),
            "currency": currency.name,
        }

    @api.model
    def _fhir_date(self, value):
        return fields.Date.to_string(value) if value else None

    @api.model
    def _fhir_datetime(self, value):
        return value.replace(tzinfo=UTC, microsecond=0).isoformat() if value else None

    @api.model
    def _fhir_partner_ref(self, partner):
        """A registrant as Patient (individual) or Group (household), any other partner as
        Organization (providers, PSPs, employers, the insurer's company partner)."""
        if not partner:
            return None
        if partner.is_registrant:
            return {"reference": "%s/%s" % ("Group" if partner.is_group else "Patient", partner.id)}
        return {"reference": "Organization/%s" % partner.id}

    @api.model
    def _fhir_coding(self, system, code, display=None):
        coding = {"system": system, "code": code}
        if display:
            coding["display"] = display
        return {"coding": [coding]}

    @api.model
    def _fhir_clean(self, resource):
        """Drop empty elements (None, [] and {}), as FHIR forbids them."""
        if isinstance(resource, dict):
            cleaned = {key: self._fhir_clean(value) for key, value in resource.items()}
            return {key: value for key, value in cleaned.items() if value not in (None, [], {}, "")}
        if isinstance(resource, list):
            return [
                item for item in (self._fhir_clean(value) for value in resource) if item not in (None, {})
            ]
        return resource

    # ------------------------------------------------------------------ searches

    @api.model
    def _fhir_token_value(self, value, name, systems=None):
        """(system or None, code) of a token search value ``[system|]code``; a system the
        parameter does not know matches nothing (None, None)."""
        system, sep, code = value.rpartition("|")
        if not sep:
            return None, value
        if systems is not None and system and system not in systems:
            return None, None
        return system or None, code

    @api.model
    def _fhir_code_domain(self, value, modifier, name, mapping, systems=None):
        """Token search on a code the type emits: ``mapping`` = {FHIR code: Odoo domain}."""
        self._fhir_no_modifier(name, modifier, ("not",))
        _system, code = self._fhir_token_value(value, name, systems)
        if code is None:
            domain = Domain.FALSE
        elif code not in mapping:
            raise FhirError(
                400,
                self.env._(
                    "%(param)s: %(code)r is not a valid code; use one of %(codes)s.",
                    param=name,
                    code=code,
                    codes=", ".join(mapping),
                ),
                expression=[name],
                code="code-invalid",
            )
        else:
            domain = Domain(mapping[code])
        return ~domain if modifier == "not" else domain

    @api.model
    def _fhir_ref_domain(self, fname, value, modifier, name, fhir_types):
        """Reference search on the many2one (or many2many) ``fname`` pointing to ``fhir_types``."""
        self._fhir_no_modifier(name, modifier, fhir_types)
        types = (modifier,) if modifier else fhir_types
        ids = {self._fhir_reference_id(value, fhir_type, name) for fhir_type in types} - {0}
        if not ids:
            return Domain.FALSE
        return Domain(fname, "in", sorted(ids))

    @api.model
    def _fhir_identifier_search(self, value, modifier, prefix):
        self._fhir_no_modifier("identifier", modifier)
        system, _sep, code = value.rpartition("|")
        return self._fhir_identifier_domain(system if _sep else None, code)

    # ------------------------------------------------------------------ inbound helpers

    @api.model
    def _fhir_error(self, status, message, path):
        return FhirError(status, message, expression=[path] if path else None)

    @api.model
    def _fhir_ref_id(self, reference, fhir_types, path, required=True):
        """The Odoo id of a Reference element {"reference": "Type/123"} of one of ``fhir_types``."""
        ref = (reference or {}).get("reference") if isinstance(reference, dict) else None
        if not ref:
            if required:
                raise self._fhir_error(400, self.env._("%s is required.", path), path)
            return 0
        ref_type, _sep, ref_id = ref.rstrip("/").rpartition("/")
        ref_type = ref_type.rpartition("/")[2]
        if ref_type not in fhir_types or not ref_id.isdigit() or not int(ref_id):
            raise self._fhir_error(
                400,
                self.env._(
                    "%(path)s: %(ref)r is not a reference to a resource of this server (%(types)s).",
                    path=path,
                    ref=ref,
                    types=", ".join(fhir_types),
                ),
                path,
            )
        return int(ref_id)
