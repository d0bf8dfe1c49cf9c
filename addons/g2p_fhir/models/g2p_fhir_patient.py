import base64
import binascii

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.mimetypes import guess_mimetype

from ..exceptions import FhirError

GENDERS = ("male", "female", "other", "unknown")
TELECOM_SYSTEMS = ("phone", "fax", "email", "pager", "url", "sms", "other")
TELECOM_USES = ("home", "work", "temp", "old", "mobile")
#: Patient.communication.language is a BCP-47 tag ("fr-FR"); Odoo's languages are "fr_FR".
BCP47_SYSTEM = "urn:ietf:bcp:47"


class G2pFhirPatient(models.AbstractModel):
    """Patient = an individual registrant (res.partner with is_registrant and not is_group)."""

    _name = "g2p.fhir.patient"
    _inherit = "g2p.fhir.registrant"
    _description = "FHIR Patient"

    _fhir_type = "Patient"

    @api.model
    def _fhir_domain(self):
        return [("is_registrant", "=", True), ("is_group", "=", False)]

    @api.model
    def _fhir_household_extension_url(self):
        return self._fhir_base_system() + "/StructureDefinition/household"

    # ------------------------------------------------------------------ search

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "name": (
                    "string",
                    lambda v, m, p: self._fhir_string_domain(
                        ["name", "given_name", "family_name", "addl_name"], v, m, "name"
                    ),
                ),
                "family": (
                    "string",
                    lambda v, m, p: self._fhir_string_domain(["family_name"], v, m, "family"),
                ),
                "given": (
                    "string",
                    lambda v, m, p: self._fhir_string_domain(["given_name", "addl_name"], v, m, "given"),
                ),
                "birthdate": (
                    "date",
                    lambda v, m, p: self._fhir_no_modifier("birthdate", m)
                    or self._fhir_date_domain("birthdate", v, p, "birthdate"),
                ),
                "gender": ("token", self._fhir_search_gender),
            }
        )
        return params

    @api.model
    def _fhir_search_gender(self, value, modifier, prefix):
        self._fhir_no_modifier("gender", modifier)
        code = value.rpartition("|")[2]
        self._fhir_check_code(code, GENDERS, "gender")
        return [("gender", "=", code if code != "unknown" else False)]

    # ------------------------------------------------------------------ emit

    @api.model
    def _fhir_to_dicts(self, records):
        systems = self._fhir_prefetch_identifiers(records)
        records.phone_number_ids.mapped("phone_number")
        memberships = records.individual_membership_ids.filtered("is_current")
        households = {m.individual_id.id: m.group_id for m in memberships}
        languages = {lang.code: lang.name for lang in self.env["res.lang"].search([])}
        records.mapped("image_1920")
        records.company_id.partner_id.mapped("name")
        records.country_id.mapped("code")
        records.state_id.mapped("name")
        household_url = self._fhir_household_extension_url()
        result = []
        for partner in records:
            resource = {
                "resourceType": "Patient",
                "id": str(partner.id),
                "meta": self._fhir_meta(partner),
                "identifier": self._fhir_identifiers(partner, systems),
                "active": partner.registrant_state == "active",
            }
            name = {"use": "official", "text": partner.name}
            if partner.family_name:
                name["family"] = partner.family_name
            given = [n for n in (partner.given_name, partner.addl_name) if n]
            if given:
                name["given"] = given
            resource["name"] = [name]
            telecom = [
                {
                    "system": "phone",
                    "value": phone.phone_number,
                    "use": "old" if phone.disabled else "mobile",
                    **({"rank": 1} if phone.is_primary else {}),
                }
                for phone in partner.phone_number_ids
            ]
            if partner.email:
                telecom.append({"system": "email", "value": partner.email})
            if telecom:
                resource["telecom"] = telecom
            resource["gender"] = partner.gender or "unknown"
            if partner.birthdate:
                resource["birthDate"] = partner.birthdate.isoformat()
            address = self._fhir_address(partner)
            if address:
                resource["address"] = address
            if partner.image_1920:
                resource["photo"] = [self._fhir_photo(partner.image_1920)]
            if partner.lang:
                tag = partner.lang.replace("_", "-")
                resource["communication"] = [
                    {
                        "language": {
                            "coding": [
                                {
                                    "system": BCP47_SYSTEM,
                                    "code": tag,
                                    "display": languages.get(partner.lang, tag),
                                }
                            ],
                            "text": languages.get(partner.lang, tag),
                        },
                        "preferred": True,
                    }
                ]
            household = households.get(partner.id)
            if partner.company_id:
                resource["managingOrganization"] = {
                    "reference": "Organization/%s" % partner.company_id.partner_id.id,
                    "display": partner.company_id.name,
                }
            if household:
                resource["extension"] = [
                    {
                        "url": household_url,
                        "valueReference": {"reference": "Group/%s" % household.id, "display": household.name},
                    }
                ]
            result.append(resource)
        return result

    @api.model
    def _fhir_photo(self, image):
        """The registrant's picture as an inline Attachment (what ODK and the back office stored)."""
        raw = base64.b64decode(image)
        return {"contentType": guess_mimetype(raw, default="image/png"), "data": image.decode()}

    # ------------------------------------------------------------------ parse and write

    @api.model
    def _fhir_vals(self, resource, partner=None):
        """res.partner vals (with IDs and phones as commands) of a validated Patient."""
        self._fhir_check_code(resource.get("gender"), GENDERS, "Patient.gender")
        vals = {
            "gender": False if resource.get("gender") in (None, "unknown") else resource["gender"],
            "birthdate": resource.get("birthDate") or False,
        }
        birthdate = resource.get("birthDate")
        if birthdate and len(birthdate) != 10:
            raise FhirError(
                400,
                self.env._("Patient.birthDate: give the full date (YYYY-MM-DD), not %r.", birthdate),
                expression=["Patient.birthDate"],
            )
        if birthdate and fields.Date.to_date(birthdate) > fields.Date.context_today(self):
            raise FhirError(
                422,
                self.env._("Patient.birthDate: %s is in the future.", birthdate),
                expression=["Patient.birthDate"],
            )
        names = resource.get("name") or []
        name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
        given = name.get("given") or []
        vals.update(
            given_name=given[0] if given else False,
            addl_name=" ".join(given[1:]) or False,
            family_name=name.get("family") or False,
        )
        display = self.env["res.partner"]._individual_display_name(vals) or name.get("text")
        if not display:
            raise FhirError(
                422,
                self.env._("Patient.name: a registrant needs a name (given and family)."),
                expression=["Patient.name"],
                code="required",
            )
        vals["name"] = display
        vals.update(self._fhir_parse_address(resource.get("address"), "Patient.address"))
        if resource.get("managingOrganization"):
            organization = self._fhir_resolve(
                resource["managingOrganization"], "Organization", "Patient.managingOrganization"
            )
            company = self.env["res.company"].search([("partner_id", "=", organization.id)], limit=1)
            if not company or company not in self.env.user.company_ids:
                raise FhirError(
                    422,
                    self.env._("Patient.managingOrganization must be a company you work for."),
                    expression=["Patient.managingOrganization"],
                )
            vals["company_id"] = company.id
        elif not partner:
            vals["company_id"] = self.env.company.id
        vals.update(self._fhir_telecom_vals(resource.get("telecom") or [], partner, vals))
        if "communication" in resource:
            vals["lang"] = self._fhir_parse_language(resource["communication"])
        if "photo" in resource:
            vals["image_1920"] = self._fhir_parse_photo(resource["photo"])
        return vals

    @api.model
    def _fhir_parse_language(self, communications):
        """The Odoo language of the preferred (else first) ``communication``: "fr-FR" is fr_FR, a bare
        "fr" the first active French; a language this database does not have is a 422."""
        if not communications:
            return False
        index, chosen = next(
            ((i, c) for i, c in enumerate(communications) if c.get("preferred")), (0, communications[0])
        )
        path = "Patient.communication[%s].language" % index
        language = chosen.get("language") or {}
        codes = [c.get("code") for c in language.get("coding") or [] if c.get("code")]
        tag = (codes[0] if codes else language.get("text") or "").strip()
        active = self.env["res.lang"].search([])
        wanted = tag.replace("-", "_").lower()
        lang = active.filtered(lambda lang: lang.code.lower() == wanted) or active.filtered(
            lambda lang: lang.code.lower().split("_")[0] == wanted
        )
        if not lang:
            raise FhirError(
                422,
                self.env._(
                    "%(path)s: %(tag)r is not a language of this system (its languages: %(codes)s).",
                    path=path,
                    tag=tag,
                    codes=", ".join(sorted(code.replace("_", "-") for code in active.mapped("code"))),
                ),
                expression=[path],
            )
        return lang[0].code

    @api.model
    def _fhir_parse_photo(self, photos):
        """The first photo's inline ``data`` as the registrant's image; a URL alone is not fetched."""
        if not photos:
            return False
        photo, path = photos[0], "Patient.photo[0]"
        if not photo.get("data"):
            raise FhirError(
                422,
                self.env._("%s: send the picture inline (data); pictures are not fetched from a URL.", path),
                expression=[path + ".data"],
            )
        try:
            raw = base64.b64decode(photo["data"], validate=True)
        except (binascii.Error, ValueError) as e:
            raise FhirError(
                400, self.env._("%s.data is not base64.", path), expression=[path + ".data"]
            ) from e
        if not guess_mimetype(raw).startswith("image/"):
            raise FhirError(400, self.env._("%s.data is not an image.", path), expression=[path + ".data"])
        return base64.b64encode(raw)

    @api.model
    def _fhir_telecom_vals(self, telecoms, partner, vals):
        Phone = self.env["g2p.phone.number"]
        country = self.env["res.country"].browse(vals.get("country_id")) or (
            partner.country_id if partner else self.env["res.country"]
        )
        company = self.env["res.company"].browse(vals.get("company_id")) or (
            partner.company_id if partner else self.env.company
        )
        country = country or company.country_id
        phones, email = {}, False
        for index, telecom in enumerate(telecoms):
            path = "Patient.telecom[%s]" % index
            self._fhir_check_code(telecom.get("system"), TELECOM_SYSTEMS, path + ".system")
            self._fhir_check_code(telecom.get("use"), TELECOM_USES, path + ".use")
            value = telecom.get("value")
            if telecom.get("system") in ("phone", "sms") and value:
                try:
                    number = Phone._normalize(value, country or None)
                except ValidationError as e:
                    raise FhirError(400, "%s: %s" % (path, e.args[0]), expression=[path + ".value"]) from e
                phones.setdefault(
                    number,
                    {"disabled": telecom.get("use") == "old", "is_primary": telecom.get("rank") == 1},
                )
            elif telecom.get("system") == "email" and value and not email:
                if "@" not in value:
                    raise FhirError(
                        400,
                        self.env._("%(path)s: %(value)r is not an email address.", path=path, value=value),
                        expression=[path + ".value"],
                    )
                email = value
        existing = {p.phone_number: p for p in partner.phone_number_ids} if partner else {}
        commands = []
        for number, phone_vals in phones.items():
            phone = existing.pop(number, None)
            if phone is None:
                commands.append(Command.create({"phone_number": number, **phone_vals}))
            elif any(phone[k] != v for k, v in phone_vals.items()):
                commands.append(Command.update(phone.id, phone_vals))
        commands.extend(Command.delete(p.id) for p in existing.values())
        result = {"email": email}
        if commands:
            result["phone_number_ids"] = commands
        return result

    @api.model
    def _fhir_create(self, resource):
        return self._fhir_create_multi([resource])

    @api.model
    def _fhir_create_multi(self, resources):
        """One batched create for many Patients (transaction Bundles); a refusal names the position
        of the resource in ``FhirError.position``."""
        vals_list, approve, parsed_by_position = [], [], []
        for position, resource in enumerate(resources):
            try:
                self._fhir_validate(resource)
                parsed = self._fhir_parse_identifiers(resource.get("identifier"))
                vals = self._fhir_vals(resource)
                approve.append(self._fhir_active_vals(resource))
            except FhirError as e:
                e.position = position
                raise
            parsed_by_position.append((position, parsed))
            vals.update(is_registrant=True, is_group=False, reg_id_ids=self._fhir_identifier_commands(parsed))
            vals_list.append(vals)
        self._fhir_check_identifiers_free_multi(parsed_by_position)
        partners = self._fhir_records().create(vals_list)
        to_approve = partners.browse([p.id for p, flag in zip(partners, approve, strict=True) if flag])
        if to_approve:
            to_approve.action_approve()
        return partners

    @api.model
    def _fhir_update(self, record, resource):
        self._fhir_validate(resource)
        parsed = self._fhir_parse_identifiers(resource.get("identifier"))
        vals = self._fhir_vals(resource, record)
        approve = self._fhir_active_vals(resource, record)
        self._fhir_check_identifiers_free(parsed, record)
        commands = self._fhir_identifier_commands(parsed, record)
        if commands:
            vals["reg_id_ids"] = commands
        record.write(vals)
        if approve and record.registrant_state == "draft":
            record.action_approve()
        return record
