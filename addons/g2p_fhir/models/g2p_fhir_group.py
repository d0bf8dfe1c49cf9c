from odoo import Command, api, fields, models

from ..exceptions import FhirError

ROLES = ("head", "spouse", "child", "dependant", "other")


class G2pFhirGroup(models.AbstractModel):
    """Group = a household (res.partner with is_registrant and is_group): type person, actual,
    its members as Patients with their period, role and head flag (extensions)."""

    _name = "g2p.fhir.group"
    _inherit = "g2p.fhir.registrant"
    _description = "FHIR Group"

    _fhir_type = "Group"

    @api.model
    def _fhir_domain(self):
        return [("is_registrant", "=", True), ("is_group", "=", True)]

    @api.model
    def _fhir_head_url(self):
        return self._fhir_base_system() + "/StructureDefinition/group-member-head"

    @api.model
    def _fhir_role_url(self):
        return self._fhir_base_system() + "/StructureDefinition/group-member-role"

    # ------------------------------------------------------------------ search

    @api.model
    def _fhir_search_params(self):
        params = super()._fhir_search_params()
        params.update(
            {
                "name": ("string", lambda v, m, p: self._fhir_string_domain(["name"], v, m, "name")),
                "member": ("reference", self._fhir_search_member),
            }
        )
        return params

    @api.model
    def _fhir_search_member(self, value, modifier, prefix):
        self._fhir_no_modifier("member", modifier)
        patient_id = self._fhir_reference_id(value, "Patient", "member")
        return [
            ("group_membership_ids", "any", [("individual_id", "=", patient_id), ("is_current", "=", True)])
        ]

    # ------------------------------------------------------------------ emit

    @api.model
    def _fhir_to_dicts(self, records):
        systems = self._fhir_prefetch_identifiers(records)
        records.group_membership_ids.mapped("role")
        head_url, role_url = self._fhir_head_url(), self._fhir_role_url()
        result = []
        for group in records:
            members = []
            for membership in group.group_membership_ids:
                member = {
                    "extension": [{"url": role_url, "valueCode": membership.role}]
                    + ([{"url": head_url, "valueBoolean": True}] if membership.role == "head" else []),
                    "entity": {"reference": "Patient/%s" % membership.individual_id.id},
                    "inactive": not membership.is_current,
                }
                period = {}
                if membership.start_date:
                    period["start"] = membership.start_date.isoformat()
                if membership.end_date:
                    period["end"] = membership.end_date.isoformat()
                if period:
                    member["period"] = period
                members.append(member)
            resource = {
                "resourceType": "Group",
                "id": str(group.id),
                "meta": self._fhir_meta(group),
                "identifier": self._fhir_identifiers(group, systems),
                "active": group.registrant_state == "active",
                "type": "person",
                "actual": True,
                "name": group.name,
                "quantity": group.household_size,
            }
            if members:
                resource["member"] = members
            result.append(resource)
        return result

    # ------------------------------------------------------------------ parse and write

    @api.model
    def _fhir_parse_members(self, resource):
        """[(individual, vals)] of Group.member, checked: Patients that exist, one head at most,
        a head who heads no other household."""
        members = resource.get("member") or []
        individuals, parsed, head = set(), [], None
        for index, member in enumerate(members):
            path = "Group.member[%s]" % index
            individual = self._fhir_resolve(member.get("entity"), "Patient", path + ".entity")
            if individual.id in individuals:
                raise FhirError(
                    422, self.env._("%s: this person is listed twice.", path), expression=[path + ".entity"]
                )
            individuals.add(individual.id)
            role, is_head = None, False
            for extension in member.get("extension") or []:
                if extension.get("url") == self._fhir_role_url():
                    role = self._fhir_check_code(extension.get("valueCode"), ROLES, path + ".extension")
                elif extension.get("url") == self._fhir_head_url():
                    is_head = bool(extension.get("valueBoolean"))
            if is_head:
                if role not in (None, "head"):
                    raise FhirError(
                        422,
                        self.env._(
                            "%(path)s: the head flag and the role %(role)s disagree.", path=path, role=role
                        ),
                        expression=[path + ".extension"],
                    )
                role = "head"
            role = role or "other"
            period = member.get("period") or {}
            end = period.get("end") or (
                fields.Date.context_today(self).isoformat() if member.get("inactive") else None
            )
            vals = {"role": role, "end_date": end[:10] if end else False}
            if period.get("start"):
                vals["start_date"] = period["start"][:10]
            if vals.get("start_date") and vals["end_date"] and vals["end_date"] < vals["start_date"]:
                raise FhirError(
                    422, self.env._("%s.period ends before it starts.", path), expression=[path + ".period"]
                )
            if role == "head" and not vals["end_date"]:
                if head is not None:
                    raise FhirError(
                        422,
                        self.env._(
                            "Group.member: a household has one head (member[%(a)s] and member[%(b)s]).",
                            a=head,
                            b=index,
                        ),
                        expression=[path],
                    )
                head = index
            parsed.append((individual, vals, index))
        return parsed

    @api.model
    def _fhir_check_heads(self, parsed, group=None):
        heads = {
            individual.id: index
            for individual, vals, index in parsed
            if vals["role"] == "head" and not vals["end_date"]
        }
        if not heads:
            return
        domain = [("individual_id", "in", list(heads)), ("role", "=", "head"), ("is_current", "=", True)]
        if group:
            domain.append(("group_id", "!=", group.id))
        # Over every company, as a person heads one household at most; the answer names no one else.
        other = self.env["g2p.group.membership"].sudo().search(domain, limit=1)
        if other:
            index = heads[other.individual_id.id]
            raise FhirError(
                422,
                self.env._("Group.member[%s]: this person is already the head of another household.", index),
                expression=["Group.member[%s]" % index],
                code="business-rule",
            )

    @api.model
    def _fhir_group_vals(self, resource):
        self._fhir_check_code(resource.get("type"), ("person",), "Group.type")
        if resource.get("actual") is not True:
            raise FhirError(
                422,
                self.env._("Group.actual: a household is an actual group (true)."),
                expression=["Group.actual"],
            )
        if not (resource.get("name") or "").strip():
            raise FhirError(
                422,
                self.env._("Group.name: a household needs a name."),
                expression=["Group.name"],
                code="required",
            )
        return {"name": resource["name"].strip()}

    @api.model
    def _fhir_create(self, resource):
        self._fhir_validate(resource)
        vals = self._fhir_group_vals(resource)
        parsed_ids = self._fhir_parse_identifiers(resource.get("identifier"))
        members = self._fhir_parse_members(resource)
        approve = self._fhir_active_vals(resource)
        self._fhir_check_identifiers_free(parsed_ids)
        self._fhir_check_heads(members)
        vals.update(
            is_registrant=True,
            is_group=True,
            company_id=self.env.company.id,
            reg_id_ids=self._fhir_identifier_commands(parsed_ids),
            group_membership_ids=[
                Command.create({"individual_id": individual.id, **member_vals})
                for individual, member_vals, _index in members
            ],
        )
        group = self._fhir_records().create(vals)
        if approve:
            group.action_approve()
        return group

    @api.model
    def _fhir_update(self, record, resource):
        self._fhir_validate(resource)
        vals = self._fhir_group_vals(resource)
        parsed_ids = self._fhir_parse_identifiers(resource.get("identifier"))
        members = self._fhir_parse_members(resource)
        approve = self._fhir_active_vals(resource, record)
        self._fhir_check_identifiers_free(parsed_ids, record)
        self._fhir_check_heads(members, record)
        commands = self._fhir_identifier_commands(parsed_ids, record)
        if commands:
            vals["reg_id_ids"] = commands
        record.write(vals)
        self._fhir_sync_members(record, members)
        if approve and record.registrant_state == "draft":
            record.action_approve()
        return record

    @api.model
    def _fhir_sync_members(self, group, members):
        """Make the memberships of ``group`` those of ``members``: a current member left out has left
        (end date today); a head demoted first, so the one-head index never sees two."""
        Membership = self.env["g2p.group.membership"]
        current = {m.individual_id.id: m for m in group.group_membership_ids.filtered("is_current")}
        today = fields.Date.context_today(self)
        wanted = {individual.id: member_vals for individual, member_vals, _i in members}
        leaving = Membership.browse([m.id for pid, m in current.items() if pid not in wanted])
        if leaving:
            leaving.write({"end_date": today})
            leaving.flush_recordset()
        old_heads = (
            Membership.browse(
                [
                    m.id
                    for pid, m in current.items()
                    if m.role == "head" and wanted.get(pid, {}).get("role") != "head"
                ]
            )
            - leaving
        )
        if old_heads:
            old_heads.write({"role": "other"})
            old_heads.flush_recordset()
        to_create = []
        for individual, member_vals, _index in members:
            membership = current.get(individual.id)
            if membership:
                changes = {
                    k: v for k, v in member_vals.items() if str(membership[k] or False) != str(v or False)
                }
                if changes:
                    membership.write(changes)
            else:
                to_create.append({"group_id": group.id, "individual_id": individual.id, **member_vals})
        if to_create:
            Membership.create(to_create)
        group.invalidate_recordset(["group_membership_ids", "household_size", "head_id"])
        # The household changed: its write_date (versionId) moves with its members.
        group.write({"name": group.name})
