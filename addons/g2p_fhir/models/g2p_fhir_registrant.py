from odoo import Command, api, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..exceptions import FhirError
from .g2p_id_type import OPENIMIS_IDENTIFIERS

REGISTRY_GROUPS = ("g2p_registry.group_g2p_registrar",)


class G2pFhirRegistrant(models.AbstractModel):
    """What Patient and Group share: registrants of res.partner, their identifiers (the registrant
    number plus one per ID type) and the registry roles needed to see them."""

    _name = "g2p.fhir.registrant"
    _inherit = "g2p.fhir.resource"
    _description = "FHIR Registrant Resource"

    _fhir_model = "res.partner"
    _fhir_interactions = ("read", "search-type", "create", "update")
    _fhir_read_groups = REGISTRY_GROUPS
    _fhir_write_groups = REGISTRY_GROUPS

    @api.model
    def _fhir_registrant_number_system(self):
        return self._fhir_base_system() + "/registrant-number"

    # ------------------------------------------------------------------ emitting

    @api.model
    def _fhir_prefetch_identifiers(self, records):
        """Read the IDs of ``records`` and their types in two queries; returns the system map."""
        records.reg_id_ids.id_type_id.mapped("code")
        base = self._fhir_base_system()
        return {t: t._fhir_system_uri(base) for t in records.reg_id_ids.id_type_id}

    @api.model
    def _fhir_identifiers(self, partner, systems):
        identifiers = []
        if partner.registrant_number:
            identifiers.append(
                {
                    "use": "usual",
                    "system": self._fhir_registrant_number_system(),
                    "value": partner.registrant_number,
                }
            )
        for reg_id in partner.reg_id_ids:
            id_type = reg_id.id_type_id
            identifier = {"use": "official", "system": systems[id_type], "value": reg_id.value}
            coding = []
            if id_type.fhir_openimis_code:
                coding.append({"system": OPENIMIS_IDENTIFIERS, "code": id_type.fhir_openimis_code})
            identifier["type"] = {"text": id_type.name, **({"coding": coding} if coding else {})}
            if reg_id.expiry_date:
                identifier["period"] = {"end": reg_id.expiry_date.isoformat()}
            identifiers.append(identifier)
        return identifiers

    # ------------------------------------------------------------------ searching

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params["identifier"] = ("token", self._fhir_search_identifier)
        return params

    @api.model
    def _fhir_search_identifier(self, value, modifier, prefix):
        self._fhir_no_modifier("identifier", modifier)
        system, sep, code = value.partition("|")
        if not sep:
            system, code = None, value
        return self._fhir_identifier_domain(system, code)

    @api.model
    def _fhir_identifier_domain(self, system, value):
        normalized = self.env["g2p.registrant.id"]._normalize_value(value) if value else value
        if system is None:  # any system
            return Domain.OR(
                [
                    Domain("registrant_number", "=", value),
                    Domain("reg_id_ids", "any", [("value", "=", normalized)]),
                ]
            )
        if system == "":  # explicitly no system: we have none of those
            return Domain.FALSE
        if system == self._fhir_registrant_number_system():
            return (
                Domain("registrant_number", "=", value) if value else Domain("registrant_number", "!=", False)
            )
        by_system, _by_openimis = self.env["g2p.id.type"]._fhir_type_maps()
        id_type = by_system.get(system)
        if not id_type:
            return Domain.FALSE
        id_domain = [("id_type_id", "=", id_type.id)]
        if value:
            id_domain.append(("value", "=", normalized))
        return Domain("reg_id_ids", "any", id_domain)

    # ------------------------------------------------------------------ parsing

    @api.model
    def _fhir_parse_identifiers(self, identifiers):
        """[(id type, normalized value, index)] of inbound identifiers. The registrant number is the
        server's own (it is not written); openIMIS typed identifiers map to the ID type with that
        openIMIS code (or that code); an unknown system is refused."""
        by_system, by_openimis = self.env["g2p.id.type"]._fhir_type_maps()
        own = self._fhir_registrant_number_system()
        RegId = self.env["g2p.registrant.id"]
        parsed, seen = [], {}
        for index, identifier in enumerate(identifiers or []):
            path = "%s.identifier[%s]" % (self._fhir_type, index)
            system = identifier.get("system")
            if system == own:
                continue
            codings = (identifier.get("type") or {}).get("coding") or []
            openimis = [
                c.get("code") for c in codings if c.get("system") == OPENIMIS_IDENTIFIERS and c.get("code")
            ]
            id_type = by_system.get(system) if system else None
            if not id_type and openimis:
                id_type = by_openimis.get(openimis[0].lower())
            if not id_type:
                hint = self.env._(
                    "Set the FHIR identifier system (or openIMIS code) of an ID type in "
                    "Registry > Configuration."
                )
                if openimis:
                    message = self.env._(
                        "%(path)s: no ID type has the identifier system %(system)r "
                        "or the openIMIS code %(code)r.",
                        path=path,
                        system=system,
                        code=openimis[0],
                    )
                else:
                    message = self.env._(
                        "%(path)s: no ID type has the identifier system %(system)r.", path=path, system=system
                    )
                raise FhirError(
                    422,
                    "%s %s" % (message, hint),
                    expression=[path + ".system"],
                    code="code-invalid",
                )
            value = identifier.get("value")
            if not value:
                raise FhirError(
                    400,
                    self.env._("%s has no value.", path),
                    expression=[path + ".value"],
                    code="required",
                )
            value = RegId._normalize_value(value)
            try:
                id_type._validate_value(value)
            except ValidationError as e:
                raise FhirError(400, "%s: %s" % (path, e.args[0]), expression=[path + ".value"]) from e
            applies_to = id_type.applies_to
            if (applies_to == "individual" and self._fhir_type == "Group") or (
                applies_to == "group" and self._fhir_type == "Patient"
            ):
                raise FhirError(
                    422,
                    self.env._(
                        "%(path)s: %(type)s is not an identifier of a %(fhir)s.",
                        path=path,
                        type=id_type.name,
                        fhir=self._fhir_type,
                    ),
                    expression=[path],
                )
            if id_type in seen:
                raise FhirError(
                    422,
                    self.env._(
                        "%(path)s: a registrant has one %(type)s (also in identifier[%(other)s]).",
                        path=path,
                        type=id_type.name,
                        other=seen[id_type],
                    ),
                    expression=[path],
                )
            seen[id_type] = index
            parsed.append((id_type, value, index))
        return parsed

    @api.model
    def _fhir_check_identifiers_free(self, parsed, partner=None):
        """409 when an identifier is another registrant's (checked over every company, as the
        unique index is: the answer names no one)."""
        self._fhir_check_identifiers_free_multi([(None, parsed)], partner)

    @api.model
    def _fhir_check_identifiers_free_multi(self, parsed_by_position, partner=None):
        """The same for several resources at once (one query), also refusing an identifier given
        twice among them; the FhirError carries the position of the resource."""
        wanted = {}
        for position, parsed in parsed_by_position:
            for id_type, value, index in parsed:
                if (id_type.id, value) in wanted:
                    self._fhir_identifier_taken(id_type, index, position)
                wanted[id_type.id, value] = (id_type, index, position)
        if not wanted:
            return
        domain = Domain.OR(
            [Domain([("id_type_id", "=", type_id), ("value", "=", value)]) for type_id, value in wanted]
        )
        if partner:
            domain = Domain.AND([domain, [("partner_id", "!=", partner.id)]])
        taken = self.env["g2p.registrant.id"].sudo().search(domain, limit=1)
        if taken:
            id_type, index, position = wanted[taken.id_type_id.id, taken.value]
            self._fhir_identifier_taken(id_type, index, position)

    @api.model
    def _fhir_identifier_taken(self, id_type, index, position):
        path = "%s.identifier[%s]" % (self._fhir_type, index)
        error = FhirError(
            409,
            self.env._(
                "%(path)s: this %(type)s is already registered for another registrant.",
                path=path,
                type=id_type.name,
            ),
            expression=[path],
            code="duplicate",
        )
        error.position = position
        raise error

    @api.model
    def _fhir_identifier_commands(self, parsed, partner=None):
        """reg_id_ids commands that make the IDs of ``partner`` those of ``parsed``."""
        existing = {reg_id.id_type_id: reg_id for reg_id in partner.reg_id_ids} if partner else {}
        commands = []
        for id_type, value, _index in parsed:
            reg_id = existing.pop(id_type, None)
            if reg_id is None:
                commands.append(Command.create({"id_type_id": id_type.id, "value": value}))
            elif reg_id.value != value:
                commands.append(Command.update(reg_id.id, {"value": value}))
        commands.extend(Command.delete(reg_id.id) for reg_id in existing.values())
        return commands

    @api.model
    def _fhir_active_vals(self, resource, partner=None):
        """The registry status is the validators': an inbound ``active`` true approves a draft
        registrant when the caller is a registry validator, and is otherwise left to them; false on an
        active registrant is refused (disabling needs a reason, given in the back office)."""
        active = resource.get("active")
        if active is False and partner and partner.registrant_state == "active":
            raise FhirError(
                422,
                self.env._(
                    "%s.active: disable a registrant in the back office, where the reason is recorded.",
                    self._fhir_type,
                ),
                expression=["%s.active" % self._fhir_type],
            )
        return bool(active) and self.env.user.has_group("g2p_registry.group_g2p_registry_validator")
