from odoo import api, models

from ..exceptions import FhirError

HL7_ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
WRITABLE_TYPES = ("prov", "bus", "other", "psp")
TELECOM_SYSTEMS = ("phone", "fax", "email", "pager", "url", "sms", "other")


class G2pFhirOrganization(models.AbstractModel):
    """Organization = a company contact that is not a registrant: payment service providers (type
    psp, this server's code system), hospitals and clinics (prov), employers and policy holders
    (bus), and the companies of this database, the insurer (ins). Who may create or change them
    follows the contact rules: PSPs are the G2P administrators', other companies the contact
    managers'."""

    _name = "g2p.fhir.organization"
    _inherit = "g2p.fhir.resource"
    _description = "FHIR Organization"

    _fhir_type = "Organization"
    _fhir_model = "res.partner"
    _fhir_interactions = ("read", "search-type", "create", "update")
    _fhir_read_groups = (
        "g2p_registry.group_g2p_registrar",
        "g2p_insurance_accounting.group_g2p_claims_officer",
        "g2p_payroll.group_g2p_finance_officer",
    )

    @api.model
    def _fhir_domain(self):
        return [("is_company", "=", True), ("is_registrant", "=", False)]

    @api.model
    def _fhir_records(self):
        # An archived organization is an inactive one (active: false), still read and found.
        return super()._fhir_records().with_context(active_test=False)

    @api.model
    def _fhir_type_system(self):
        return self._fhir_base_system() + "/CodeSystem/organization-type"

    @api.model
    def _fhir_ref_system(self):
        return self._fhir_base_system() + "/organization-ref"

    @api.model
    def _fhir_vat_system(self):
        return self._fhir_base_system() + "/organization-vat"

    # ------------------------------------------------------------------ search

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "name": ("string", lambda v, m, p: self._fhir_string_domain(["name"], v, m, "name")),
                "identifier": ("token", self._fhir_search_identifier),
                "type": ("token", self._fhir_search_type),
                "active": ("token", self._fhir_search_active),
            }
        )
        return params

    @api.model
    def _fhir_search_identifier(self, value, modifier, prefix):
        self._fhir_no_modifier("identifier", modifier)
        system, sep, code = value.partition("|")
        return self._fhir_identifier_domain(system if sep else None, code)

    @api.model
    def _fhir_identifier_domain(self, system, value):
        ref = [("ref", "=", value)] if value else [("ref", "!=", False)]
        vat = [("vat", "=", value)] if value else [("vat", "!=", False)]
        if system is None:
            return ["|", *ref, *vat]
        if system == self._fhir_ref_system():
            return ref
        if system == self._fhir_vat_system():
            return vat
        return [("id", "=", 0)]

    @api.model
    def _fhir_search_active(self, value, modifier, prefix):
        self._fhir_no_modifier("active", modifier)
        self._fhir_check_code(value, ("true", "false"), "active")
        active = [("active", "=", True), "|", ("is_psp", "=", False), ("psp_active", "=", True)]
        return active if value == "true" else ["!", "&", *active]

    @api.model
    def _fhir_search_type(self, value, modifier, prefix):
        self._fhir_no_modifier("type", modifier)
        code = value.rpartition("|")[2]
        self._fhir_check_code(code, ("prov", "bus", "other", "psp", "ins"), "type")
        if code == "psp":
            return [("is_psp", "=", True)]
        if code == "ins":
            return [("ref_company_ids", "!=", False)]
        return [
            ("g2p_fhir_organization_type", "=", code),
            ("is_psp", "=", False),
            ("ref_company_ids", "=", False),
        ]

    # ------------------------------------------------------------------ emit

    @api.model
    def _fhir_org_type(self, partner, company_partner_ids):
        if partner.is_psp:
            return {"system": self._fhir_type_system(), "code": "psp", "display": "Payment Service Provider"}
        if partner.id in company_partner_ids:
            return {"system": HL7_ORG_TYPE, "code": "ins", "display": "Insurance Company"}
        if partner.g2p_fhir_organization_type:
            code = partner.g2p_fhir_organization_type
            display = {"prov": "Healthcare Provider", "bus": "Non-Healthcare Business or Corporation"}
            return {"system": HL7_ORG_TYPE, "code": code, "display": display.get(code, "Other")}
        return None

    @api.model
    def _fhir_to_dicts(self, records):
        company_partner_ids = set(self.env["res.company"].sudo().search([]).partner_id.ids)
        records.country_id.mapped("code")
        records.state_id.mapped("name")
        records.parent_id.mapped("is_company")
        result = []
        for partner in records:
            resource = {
                "resourceType": "Organization",
                "id": str(partner.id),
                "meta": self._fhir_meta(partner),
                "active": bool(partner.active and (partner.psp_active or not partner.is_psp)),
                "name": partner.name,
            }
            identifiers = []
            if partner.ref:
                identifiers.append(
                    {"use": "official", "system": self._fhir_ref_system(), "value": partner.ref}
                )
            if partner.vat:
                identifiers.append({"system": self._fhir_vat_system(), "value": partner.vat})
            if identifiers:
                resource["identifier"] = identifiers
            org_type = self._fhir_org_type(partner, company_partner_ids)
            if org_type:
                resource["type"] = [{"coding": [org_type]}]
            telecom = [
                {"system": system, "value": partner[fname]}
                for system, fname in (("phone", "phone"), ("email", "email"), ("url", "website"))
                if partner[fname]
            ]
            if telecom:
                resource["telecom"] = telecom
            address = self._fhir_address(partner)
            if address:
                resource["address"] = address
            if partner.parent_id and partner.parent_id.is_company:
                resource["partOf"] = {"reference": "Organization/%s" % partner.parent_id.id}
            result.append(resource)
        return result

    # ------------------------------------------------------------------ parse and write

    @api.model
    def _fhir_vals(self, resource, partner=None):
        name = (resource.get("name") or "").strip()
        if not name:
            raise FhirError(
                422,
                self.env._("Organization.name: an organization needs a name."),
                expression=["Organization.name"],
                code="required",
            )
        vals = {"name": name, "is_company": True}
        codes = [
            (index, coding.get("system"), coding.get("code"))
            for index, org_type in enumerate(resource.get("type") or [])
            for coding in org_type.get("coding") or []
        ]
        code = None
        for index, system, value in codes:
            path = "Organization.type[%s].coding" % index
            if system not in (HL7_ORG_TYPE, self._fhir_type_system()):
                continue
            if value == "ins":
                raise FhirError(
                    422,
                    self.env._(
                        "%s: the insurer is a company of this database, set up in Odoo, not over FHIR.", path
                    ),
                    expression=[path],
                )
            code = self._fhir_check_code(value, WRITABLE_TYPES, path)
            break
        if partner and partner.is_psp and code not in (None, "psp"):
            raise FhirError(
                422,
                self.env._(
                    "Organization.type: a payment service provider stays one; ask a G2P administrator."
                ),
                expression=["Organization.type"],
            )
        if code == "psp":
            if not partner or not partner.is_psp:
                vals["is_psp"] = True
        elif code:
            vals["g2p_fhir_organization_type"] = code
        identifiers = {i.get("system"): i.get("value") for i in resource.get("identifier") or []}
        vals["ref"] = identifiers.get(self._fhir_ref_system()) or False
        vals["vat"] = identifiers.get(self._fhir_vat_system()) or False
        telecom = {}
        for index, item in enumerate(resource.get("telecom") or []):
            self._fhir_check_code(
                item.get("system"), TELECOM_SYSTEMS, "Organization.telecom[%s].system" % index
            )
            telecom.setdefault(item.get("system"), item.get("value"))
        vals.update(
            phone=telecom.get("phone") or False,
            email=telecom.get("email") or False,
            website=telecom.get("url") or False,
        )
        vals.update(self._fhir_parse_address(resource.get("address"), "Organization.address"))
        if resource.get("partOf"):
            parent = self._fhir_resolve(resource["partOf"], "Organization", "Organization.partOf")
            if partner and parent == partner:
                raise FhirError(
                    422,
                    self.env._("Organization.partOf: an organization is not part of itself."),
                    expression=["Organization.partOf"],
                )
            vals["parent_id"] = parent.id
        else:
            vals["parent_id"] = False
        if partner and partner.is_psp and "active" in resource:
            vals["psp_active"] = bool(resource["active"])
        elif "active" in resource:
            vals["active"] = bool(resource["active"])
        return vals

    @api.model
    def _fhir_create(self, resource):
        self._fhir_validate(resource)
        vals = self._fhir_vals(resource)
        if vals.get("is_psp") and "active" in resource:
            vals["psp_active"] = vals.pop("active", True) and bool(resource["active"])
        return self._fhir_records().create(vals)

    @api.model
    def _fhir_update(self, record, resource):
        self._fhir_validate(resource)
        if record.ref_company_ids:
            raise FhirError(
                422,
                self.env._(
                    "Organization/%s is a company of this database: change it in Odoo's settings.", record.id
                ),
            )
        record.write(self._fhir_vals(resource, record))
        return record
