import base64
import binascii

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_is_zero

from ..exceptions import IntakeDuplicate, IntakeError
from odoo.addons.g2p_registry.models.g2p_group_membership import MEMBERSHIP_ROLES

# Registrant fields a source may never set: the registry's workflow and flags stay with the registry.
PROTECTED_FIELDS = {
    "id",
    "is_registrant",
    "is_group",
    "registrant_number",
    "registrant_state",
    "approved_date",
    "approved_by_id",
    "disabled_reason",
    "disabled_date",
    "disabled_by_id",
    "duplicate_of_id",
    "is_psp",
    "psp_active",
    "psp_mechanism_ids",
    "company_id",
    "user_ids",
    "group_membership_ids",
    "individual_membership_ids",
    "reg_id_ids",
    "phone_number_ids",
    "payment_account_ids",
}
MAX_NAMED = 5  # candidates named in a message, at most
# Keys of the registry's duplicate detection (g2p.duplicate) that make a record a match to review
# one by one; pairs of the others (a similar name) are proposed for review once it is applied.
MATCH_REASONS = {"id", "phone", "name_birthdate"}
PAIR_REASONS = {"phone", "name_birthdate", "similar_name"}


class G2pIntakeService(models.AbstractModel):
    """Turns a normalised household into registrants. Every source (ODK, files, FHIR…) reads its
    own format into this one shape, then calls :meth:`_apply`::

        {
          "household": {
            "vals": {"name": "Otieno household", "city": "Village 2", ...},   # res.partner fields
            "phones": [{"number": "0712345678", "field": "household/phone"}],  # or plain strings
            "ids": [{"type": "HH_CODE", "value": "...", "field": "..."}],
            "latitude": -1.28, "longitude": 36.81,
            "attachments": [{"name": "consent.png", "datas": "<base64>", "mimetype": "image/png"}],
          },
          "members": [
            {"key": "stable key within the record", "field": "members[1]", "role": "head",
             "vals": {"given_name": ..., "family_name": ..., "birthdate": "1980-01-31", "gender": "female"},
             "phones": [...], "ids": [...], "attachments": [...],
             "payment_accounts": [{"account_type": "mobile_wallet", "provider": "<PSP name>",
                                   "msisdn": "...", "iban": ..., "bic": ..., "account_number": ...}]},
          ],
        }

    ``field`` entries name the value the way the source does, so errors point at it. Matching of each
    member: its ID numbers (per ID type) first, then its normalised phone, then given name + family
    name + birthdate. Several candidates, or a candidate with conflicting data (another birthdate,
    another number of the same ID type…), are not applied: :class:`IntakeDuplicate` names them.
    Values that cannot be read raise :class:`IntakeError` naming the field. Applying the same data
    twice writes nothing the second time."""

    _name = "g2p.intake.service"
    _description = "Registry Intake Service"

    # ------------------------------------------------------------------ entry point

    @api.model
    def _apply(self, record, data):
        """Apply normalised ``data`` of staging ``record``; returns {household, individuals,
        member_keys, created}. Raises IntakeError / IntakeDuplicate (nothing is written then: the
        caller runs this in a savepoint)."""
        return self._apply_prepared(record, self._prepare_household(record, data))

    @api.model
    def _prepare_household(self, record, data, lookups=None):
        """Read and validate normalised ``data`` without writing anything: {household, members,
        country}. Raises IntakeError naming the first value that cannot be read. ``lookups``, a dict
        shared by the records of one batch, keeps the ID types and other references found, so a
        batch looks each up once."""
        lookups = {} if lookups is None else lookups
        if not isinstance(data, dict):
            raise IntakeError("payload", _("The record is not a household."))
        country = record.source_id._intake_country()
        household_data = self._prepare_party(
            data.get("household") or {}, "household", country, is_group=True, lookups=lookups
        )
        members = data.get("members") or []
        if not members:
            raise IntakeError("members", _("The household has no members."))
        prepared = [
            self._prepare_party(
                member,
                member.get("field") or "members[%s]" % index,
                country,
                index=index,
                is_group=False,
                lookups=lookups,
            )
            for index, member in enumerate(members, 1)
        ]
        heads = [p for p in prepared if p["role"] == "head"]
        if not heads:
            raise IntakeError(
                "members",
                _("No member is the head of the household: one member must have the role 'head'."),
            )
        if len(heads) > 1:
            raise IntakeError(
                "members",
                _("%s members are marked as head; a household has one head.", len(heads)),
            )
        if not household_data["vals"].get("name"):
            head_vals = heads[0]["vals"]
            family = head_vals.get("family_name") or head_vals.get("given_name")
            if not family:
                raise IntakeError("household", _("The household has no name and its head has none either."))
            household_data["vals"]["name"] = _("%s household", family)
        return {"household": household_data, "members": prepared, "country": country}

    @api.model
    def _apply_prepared(self, record, prepared_household):
        """Match and write one household read by :meth:`_prepare_household`."""
        household_data = prepared_household["household"]
        prepared = prepared_household["members"]
        country = prepared_household["country"]
        Partner = self.env["res.partner"]
        known = record.member_keys or {}
        seen = {}
        for p in prepared:
            partner = Partner
            if known.get(p["key"]):
                partner = Partner.browse(known[p["key"]]).exists()
                if partner and not self._same_person(partner, p):
                    partner = Partner  # the entry now holds someone else (a member removed before it)
            if not partner:
                partner = self._match_individual(p)
            if partner and partner.id in seen:
                raise IntakeDuplicate(
                    p["field"],
                    _(
                        "This member and %(other)s are the same registrant: %(name)s.",
                        other=seen[partner.id],
                        name=partner.display_name,
                    ),
                    partner,
                )
            if partner:
                seen[partner.id] = p["field"]
            p["partner"] = partner

        household = record.household_id.exists()
        if not household:
            matched = Partner.union(*(p["partner"] for p in prepared))
            households = matched.sudo().individual_membership_ids.filtered("is_current").group_id
            if len(households) > 1:
                raise IntakeDuplicate(
                    "members",
                    _("The members are already in different households: %s.", self._names(households)),
                    households.sudo(False),
                )
            household = households.sudo(False)

        created = Partner
        if not household:
            household = Partner.create({**household_data["vals"], "is_registrant": True, "is_group": True})
            created |= household
        self._write_party(household, household_data, country, new=household in created)
        for p in prepared:
            if not p["partner"]:
                p["partner"] = Partner.create({**p["vals"], "is_registrant": True, "is_group": False})
                created |= p["partner"]
            self._write_party(p["partner"], p, country, new=p["partner"] in created)

        self._sync_memberships(household, prepared, known)
        return {
            "household": household,
            "individuals": Partner.union(*(p["partner"] for p in prepared)),
            "member_keys": {p["key"]: p["partner"].id for p in prepared},
            "created": created,
        }

    # ------------------------------------------------------------------ many new households at once

    @api.model
    def _apply_new_households(self, items):
        """Create in a few batched INSERTs the households of ``items`` ([(record, prepared)]) that
        cannot match anything: never applied before, and none of their ID numbers, phones or names
        with birthdates in the registry or in another item of the batch (:meth:`_check_registry`,
        unless the caller checked the whole batch already). A national file is mostly
        such households; the others (and any item with payment accounts or files) are left to
        :meth:`_apply_prepared`, one by one. Returns {record: result} for the households created.
        Raises what the registry raises: the caller then applies the batch one by one, so a single
        bad household cannot stop the others."""
        candidates = [
            (record, prepared)
            for record, prepared in items
            if not record.household_id
            and not record.member_keys
            and not any(
                party["accounts"] or party["attachments"]
                for party in (prepared["household"], *prepared["members"])
            )
        ]
        if not candidates:
            return {}
        self._check_registry([item for item in candidates if "hits" not in item[1]["household"]])
        fresh = [
            (record, prepared) for record, prepared in candidates if not self._may_match(record, prepared)
        ]
        if not fresh:
            return {}
        Partner = self.env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
        households = Partner.create(
            [
                {**prepared["household"]["vals"], "is_registrant": True, "is_group": True}
                for _r, prepared in fresh
            ]
        )
        members = [member for _r, prepared in fresh for member in prepared["members"]]
        individuals = Partner.create(
            [{**member["vals"], "is_registrant": True, "is_group": False} for member in members]
        )
        for member, individual in zip(members, individuals, strict=True):
            member["partner"] = individual
        parties = [
            (household, prepared["household"], prepared["country"])
            for household, (_r, prepared) in zip(households, fresh, strict=True)
        ] + [
            (member["partner"], member, prepared["country"])
            for _r, prepared in fresh
            for member in prepared["members"]
        ]
        phones, ids = [], []
        for partner, party, country in parties:
            phones += [
                {
                    "partner_id": partner.id,
                    "phone_number": number,
                    "country_id": country.id if country else False,
                    "is_primary": i == 0,
                }
                for i, number in enumerate(party["phones"])
            ]
            ids += [
                {"partner_id": partner.id, "id_type_id": entry["type"].id, "value": entry["value"]}
                for entry in party["ids"]
            ]
        quiet = {"tracking_disable": True, "mail_create_nolog": True}
        self.env["g2p.phone.number"].with_context(**quiet).create(phones)
        self.env["g2p.registrant.id"].with_context(**quiet).create(ids)
        self.env["g2p.group.membership"].with_context(**quiet).create(
            [
                {"group_id": household.id, "individual_id": member["partner"].id, "role": member["role"]}
                for household, (_r, prepared) in zip(households, fresh, strict=True)
                for member in prepared["members"]
            ]
        )
        results = {}
        for household, (record, prepared) in zip(households, fresh, strict=True):
            people = Partner.union(*(member["partner"] for member in prepared["members"]))
            results[record] = {
                "household": household,
                "individuals": people,
                "member_keys": {member["key"]: member["partner"].id for member in prepared["members"]},
                "created": household | people,
            }
        return results

    @api.model
    def _check_registry(self, items):
        """Check every household and member of ``items`` ([(record, prepared)]) against the whole
        registry and each other with the keys of the registry's duplicate detection
        (``g2p.duplicate._candidates_for``: ID number per type, phone, folded name with the date
        of birth, similar name born the same day): a few queries for the whole batch. Each party
        gets its ``hits``: [{reason, score, partner_id: a registrant, or other: (record, party)
        of the batch}]."""
        parties, kinds = [], []
        for record, prepared in items:
            for party in (prepared["household"], *prepared["members"]):
                parties.append((record, party))
                kinds.append(party is prepared["household"])
        Partner = self.env["res.partner"]
        probes = []
        for (_record, party), is_group in zip(parties, kinds, strict=True):
            party["hits"] = []
            probes.append(
                {
                    "is_group": is_group,
                    "name": party["vals"].get("name") or Partner._individual_display_name(party["vals"]),
                    "birthdate": party["vals"].get("birthdate"),
                    # A household's phones are not matched (its members' are).
                    "phones": [] if is_group else party["phones"],
                    "ids": [(entry["type"].id, entry["value"]) for entry in party["ids"]],
                }
            )
        hits = self.env["g2p.duplicate"]._candidates_for(probes)
        for index, partner_id, other, reason, score in hits:
            hit = {"reason": reason, "score": score, "partner_id": partner_id, "other": None}
            if other is not None:
                hit["other"] = parties[other]
                parties[other][1]["hits"].append({**hit, "other": parties[index]})
            parties[index][1]["hits"].append(hit)

    @api.model
    def _may_match(self, record, prepared):
        """Whether a party of ``prepared`` (checked by :meth:`_check_registry`) may be someone the
        registry or another record of the batch has (same ID number, phone, or folded name with
        the date of birth): then it is matched by :meth:`_apply_prepared`. A similar name alone
        is not a match: the person is new, the pair goes to the review of duplicates."""
        return any(
            hit["reason"] in MATCH_REASONS and (hit["other"] is None or hit["other"][0] != record)
            for party in (prepared["household"], *prepared["members"])
            for hit in party.get("hits", ())
        )

    @api.model
    def _record_possible_duplicates(self, results):
        """After a batch: the registrants it created that share a key with another registrant
        (a similar name above all: an exact key is a match) are proposed for review as the
        registry's detection would (``g2p.duplicate``, with the score and the reason), in one
        INSERT. ``results``: {record: (prepared, result of the apply)}."""
        created = {pid for _p, result in results.values() for pid in result["created"].ids}
        partner_of = {}
        for prepared, _result in results.values():
            for party in prepared["members"]:
                if party.get("partner") and party["partner"].id in created:
                    partner_of[id(party)] = party["partner"].id
        pairs = []
        for prepared, _result in results.values():
            for party in prepared["members"]:
                mine = partner_of.get(id(party))
                for hit in party.get("hits", ()) if mine else ():
                    if hit["reason"] not in PAIR_REASONS:
                        continue
                    other = hit["partner_id"] or (hit["other"] and partner_of.get(id(hit["other"][1])))
                    if other:
                        pairs.append((mine, other, hit["reason"], hit["score"]))
        return self.env["g2p.duplicate"]._record_pairs(pairs)

    # ------------------------------------------------------------------ reading the data

    @api.model
    def _prepare_party(self, data, field, country, index=None, is_group=False, lookups=None):
        """Validate one household or member of the normalised data; raise IntakeError naming the
        field of the first value that cannot be read."""
        if not isinstance(data, dict):
            raise IntakeError(field, _("Expected an object with the values of the household or member."))
        lookups = {} if lookups is None else lookups
        vals = self._clean_vals(data.get("vals") or {}, field, data.get("fields") or {}, lookups)
        role = data.get("role") or ("other" if not is_group else False)
        if not is_group and role not in dict(MEMBERSHIP_ROLES):
            raise IntakeError(
                data.get("role_field") or "%s/role" % field,
                _(
                    "'%(role)s' is not a household role (one of: %(roles)s).",
                    role=role,
                    roles=", ".join(dict(MEMBERSHIP_ROLES)),
                ),
            )
        if not is_group and not (vals.get("given_name") or vals.get("family_name") or vals.get("name")):
            raise IntakeError(field, _("The member has no name."))
        phones = []
        for entry in data.get("phones") or []:
            number, where = (
                (entry, "%s/phone" % field)
                if isinstance(entry, str)
                else (
                    entry.get("number"),
                    entry.get("field") or "%s/phone" % field,
                )
            )
            if not number:
                continue
            try:
                normalised = self.env["g2p.phone.number"]._normalize(str(number), country)
            except ValidationError as e:
                raise IntakeError(where, e.args[0]) from e
            if normalised not in phones:
                phones.append(normalised)
        ids = []
        IdType = self.env["g2p.id.type"]
        for entry in data.get("ids") or []:
            type_field = entry.get("type_field") or "%s/id_type" % field
            value_field = entry.get("field") or "%s/id_number" % field
            code, value = entry.get("type"), entry.get("value")
            if not code and not value:
                continue
            if not code:
                raise IntakeError(type_field, _("The ID number %s has no ID type.", value))
            id_type = lookups.get(("g2p.id.type", code))
            if id_type is None:
                id_type = lookups[("g2p.id.type", code)] = IdType.search([("code", "=", code)], limit=1)
            if not id_type:
                known = IdType.search([]).mapped("code")
                raise IntakeError(
                    type_field,
                    _(
                        "Unknown ID type '%(code)s' (known: %(known)s).",
                        code=code,
                        known=", ".join(known) or "-",
                    ),
                )
            if not value:
                raise IntakeError(value_field, _("The %s has no number.", id_type.name))
            value = self.env["g2p.registrant.id"]._normalize_value(str(value))
            try:
                id_type._validate_value(value)
            except ValidationError as e:
                raise IntakeError(value_field, e.args[0]) from e
            ids.append({"type": id_type, "value": value})
        accounts = []
        for number, entry in enumerate(data.get("payment_accounts") or [], 1):
            where = entry.get("field") or "%s/payment_accounts[%s]" % (field, number)
            accounts.append(self._prepare_account(entry, where))
        attachments = []
        for entry in data.get("attachments") or []:
            where = entry.get("field") or "%s/attachment" % field
            try:
                raw = base64.b64decode(entry.get("datas") or "", validate=True)
            except (binascii.Error, ValueError) as e:
                raise IntakeError(where, _("The file %s is not valid base64.", entry.get("name"))) from e
            if not raw:
                raise IntakeError(where, _("The file %s is empty or missing.", entry.get("name")))
            attachments.append({**entry, "raw": raw})
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None) or (
            lat is not None and not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180)
        ):
            raise IntakeError(
                "%s/location" % field,
                _("The coordinates %(lat)s, %(lon)s are not a point.", lat=lat, lon=lon),
            )
        if lat is not None:
            vals.update(partner_latitude=float(lat), partner_longitude=float(lon))
        return {
            "key": str(data.get("key") or index or field),
            "field": field,
            "role": role,
            "vals": vals,
            "phones": phones,
            "ids": ids,
            "accounts": accounts,
            "attachments": attachments,
        }

    @api.model
    def _clean_vals(self, vals, field, where_from=None, lookups=None):
        """Registrant values read into their field types; ``where_from`` names where each came from
        ({field name: source field}), for the messages."""
        Partner = self.env["res.partner"]
        clean = {}
        for name, value in vals.items():
            where = (where_from or {}).get(name) or "%s/%s" % (field, name)
            definition = Partner._fields.get(name)
            if (
                not definition
                or name in PROTECTED_FIELDS
                or (definition.compute and not definition.inverse and not definition.store)
            ):
                raise IntakeError(where, _("'%s' is not a registrant field a source can set.", name))
            if value in (None, ""):
                continue
            try:
                if definition.type == "date":
                    value = fields.Date.to_date(value)
                elif definition.type == "datetime":
                    value = fields.Datetime.to_datetime(value)
                elif definition.type == "integer":
                    value = int(value)
                elif definition.type in ("float", "monetary"):
                    value = float(value)
                elif definition.type == "boolean":
                    value = self._read_boolean(value, where)
                elif definition.type in ("char", "text"):
                    value = str(value).strip()
                elif definition.type == "selection":
                    allowed = dict(definition._description_selection(self.env))
                    if value not in allowed:
                        raise IntakeError(
                            where,
                            _(
                                "'%(value)s' is not one of: %(allowed)s.",
                                value=value,
                                allowed=", ".join(allowed),
                            ),
                        )
                elif definition.type == "many2one":
                    value = self._resolve_many2one(definition, value, where, lookups)
                else:
                    raise IntakeError(where, _("Values of this kind of field cannot be imported."))
            except (TypeError, ValueError) as e:
                raise IntakeError(
                    where, _("'%(value)s' cannot be read: %(error)s", value=value, error=e)
                ) from e
            clean[name] = value
        return clean

    @api.model
    def _read_boolean(self, value, where):
        if isinstance(value, bool | int):
            return bool(value)
        text = str(value).strip().casefold()
        if text in ("1", "true", "yes", "y"):
            return True
        if text in ("0", "false", "no", "n"):
            return False
        raise IntakeError(where, _("'%s' is not yes or no.", value))

    @api.model
    def _resolve_many2one(self, definition, value, where, lookups=None):
        """A many2one value given by id, by code (countries, states) or by exact name."""
        Comodel = self.env[definition.comodel_name]
        key = (Comodel._name, value)
        found = (lookups or {}).get(key)
        if found is not None:
            return found.id
        if isinstance(value, int):
            found = Comodel.browse(value).exists()
        else:
            found = Comodel.browse()
            if "code" in Comodel._fields:
                found = Comodel.search([("code", "=", value)], limit=2)
            if not found:
                found = Comodel.search([(Comodel._rec_name or "name", "=", value)], limit=2)
        if len(found) == 1 and lookups is not None:
            lookups[key] = found
        if len(found) != 1:
            raise IntakeError(
                where, _("'%(value)s' is not a known %(what)s.", value=value, what=Comodel._description)
            )
        return found.id

    @api.model
    def _prepare_account(self, entry, where):
        provider = entry.get("provider")
        if isinstance(provider, int):
            psps = self.env["res.partner"].search([("is_psp", "=", True), ("id", "=", provider)])
        else:
            psps = self.env["res.partner"].search(
                [("is_psp", "=", True), "|", ("name", "=", provider), ("ref", "=", provider)], limit=2
            )
        if len(psps) != 1:
            raise IntakeError(
                "%s/provider" % where, _("'%s' is not a registered payment service provider.", provider)
            )
        vals = {
            key: entry[key]
            for key in ("account_type", "iban", "bic", "account_number", "msisdn", "holder_name")
            if entry.get(key)
        }
        vals["provider_id"] = psps.id
        return {"vals": vals, "field": where}

    # ------------------------------------------------------------------ matching

    @api.model
    def _match_individual(self, p):
        """The registrant member ``p`` already is, or an empty recordset; IntakeDuplicate when it
        could be several, or one whose data conflicts."""
        Partner = self.env["res.partner"].sudo()
        by_id = Partner
        for entry in p["ids"]:
            by_id |= (
                self.env["g2p.registrant.id"]
                .sudo()
                .search([("id_type_id", "=", entry["type"].id), ("value", "=", entry["value"])])
                .partner_id
            )
        if len(by_id) > 1:
            raise IntakeDuplicate(
                "%s/id_number" % p["field"],
                _("The ID numbers belong to different registrants: %s.", self._names(by_id)),
                by_id.sudo(False),
            )
        by_phone = Partner
        if p["phones"]:
            by_phone = (
                self.env["g2p.phone.number"]
                .sudo()
                .search(
                    [
                        ("phone_number", "in", p["phones"]),
                        ("disabled", "=", False),
                        ("partner_id.is_group", "=", False),
                    ]
                )
                .partner_id
            )
        if by_id:
            others = by_phone - by_id
            if others:
                raise IntakeDuplicate(
                    "%s/phone" % p["field"],
                    _(
                        "The ID number is %(id_owner)s's but the phone is %(phone_owner)s's.",
                        id_owner=by_id.display_name,
                        phone_owner=self._names(others),
                    ),
                    (by_id | others).sudo(False),
                )
            candidate, how = by_id, "id"
        elif by_phone:
            if len(by_phone) > 1:
                raise IntakeDuplicate(
                    "%s/phone" % p["field"],
                    _("The phone number belongs to several registrants: %s.", self._names(by_phone)),
                    by_phone.sudo(False),
                )
            candidate, how = by_phone, "phone"
        else:
            vals = p["vals"]
            if not (vals.get("given_name") and vals.get("family_name") and vals.get("birthdate")):
                return self.env["res.partner"]
            # The registry's duplicate key: case, accents and spacing folded.
            candidate = Partner.browse(
                self.env["g2p.duplicate"]._same_name_and_birthdate(
                    Partner._individual_display_name(vals), vals["birthdate"], limit=MAX_NAMED + 1
                )
            )
            if len(candidate) > 1:
                raise IntakeDuplicate(
                    p["field"],
                    _("Several registrants have this name and birthdate: %s.", self._names(candidate)),
                    candidate.sudo(False),
                )
            if not candidate:
                return self.env["res.partner"]
            how = "name"
        self._check_conflicts(candidate, p, how)
        return candidate.sudo(False)

    @api.model
    def _same_person(self, partner, p):
        """Whether the member at a key an earlier version of the record gave ``partner`` is still
        that person (same given name or same ID number); an edit may correct anything else."""
        given = p["vals"].get("given_name")
        if given and partner.given_name and given.casefold() == partner.given_name.casefold():
            return True
        values = {(e["type"].id, e["value"]) for e in p["ids"]}
        return bool(values & {(r.id_type_id.id, r.value) for r in partner.sudo().reg_id_ids})

    @api.model
    def _check_conflicts(self, candidate, p, how):
        """A match whose recorded data says otherwise is for a person to decide."""
        vals = p["vals"]
        conflicts = []
        if vals.get("birthdate") and candidate.birthdate and vals["birthdate"] != candidate.birthdate:
            conflicts.append(("birthdate", _("born %s", candidate.birthdate)))
        if vals.get("gender") and candidate.gender and vals["gender"] != candidate.gender:
            conflicts.append(("gender", _("recorded as %s", candidate.gender)))
        if (
            how == "phone"
            and vals.get("given_name")
            and candidate.given_name
            and vals["given_name"].casefold() != candidate.given_name.casefold()
        ):
            conflicts.append(("given_name", _("named %s", candidate.name)))
        for entry in p["ids"]:
            other = candidate.sudo().reg_id_ids.filtered(lambda r, e=entry: r.id_type_id == e["type"])
            if other and entry["value"] not in other.mapped("value"):
                conflicts.append(("id_number", _("has another %s", entry["type"].name)))
        if conflicts:
            field, _why = conflicts[0]
            raise IntakeDuplicate(
                "%s/%s" % (p["field"], field),
                _(
                    "Matches %(name)s (%(how)s) but the registry has other data: %(what)s.",
                    name=candidate.display_name,
                    how={
                        "id": _("same ID number"),
                        "phone": _("same phone"),
                        "name": _("same name and birthdate"),
                    }[how],
                    what="; ".join(why for _f, why in conflicts),
                ),
                candidate.sudo(False),
            )

    @api.model
    def _names(self, partners):
        names = ", ".join(
            "%s (%s)" % (p.display_name, p.registrant_number or p.id) for p in partners[:MAX_NAMED]
        )
        return names + (" …" if len(partners) > MAX_NAMED else "")

    # ------------------------------------------------------------------ writing

    @api.model
    def _write_changes(self, partner, vals, commands=None):
        """Write only what differs (and the ``commands`` of its IDs, phones, accounts), so
        applying the same record twice writes nothing."""
        changes = {}
        for name, value in vals.items():
            field = partner._fields[name]
            current = partner[name]
            if field.type == "many2one":
                current = current.id
            if field.type == "float" and isinstance(value, float):
                digits = field.get_digits(self.env)
                if digits and float_is_zero(current - value, precision_digits=digits[1]):
                    continue
            if current != value:
                changes[name] = value
        changes.update(commands or {})
        if changes:
            partner.write(changes)

    @api.model
    def _write_party(self, partner, p, country, new=False):
        """Write ``p`` on ``partner`` once (its values unless just created with them, its IDs,
        phones and accounts): on an approved registrant, what changes its key data is one change
        request for a registry validator. Then its attachments."""
        self._write_changes(partner, {} if new else p["vals"], self._details_commands(partner, p, country))
        self._add_attachments(partner, p)

    @api.model
    def _details_commands(self, partner, p, country):
        """The commands that add what ``partner`` lacks of ``p``'s phones, IDs and payment
        accounts (an ID of a type it has is corrected)."""
        commands = {}
        existing_phones = set(partner.phone_number_ids.mapped("phone_number"))
        new_phones = [n for n in p["phones"] if n not in existing_phones]
        if new_phones:
            has_primary = any(partner.phone_number_ids.mapped("is_primary"))
            commands["phone_number_ids"] = [
                Command.create(
                    {
                        "phone_number": number,
                        "country_id": country.id if country else False,
                        "is_primary": not has_primary and i == 0,
                    }
                )
                for i, number in enumerate(new_phones)
            ]
        id_commands = []
        for entry in p["ids"]:
            same_type = partner.reg_id_ids.filtered(lambda r, e=entry: r.id_type_id == e["type"])
            if entry["value"] in same_type.mapped("value"):
                continue
            if same_type:  # corrected at the source (an edit of a record already applied)
                id_commands.append(Command.update(same_type[:1].id, {"value": entry["value"]}))
            else:
                id_commands.append(Command.create({"id_type_id": entry["type"].id, "value": entry["value"]}))
        if id_commands:
            commands["reg_id_ids"] = id_commands
        Account = self.env["g2p.payment.account"]
        account_commands = []
        for entry in p["accounts"]:
            vals = Account._normalize_vals({**entry["vals"], "partner_id": partner.id})
            same = partner.payment_account_ids.filtered(
                lambda a, v=vals: a.account_type == v.get("account_type", "mobile_wallet")
                and a.provider_id.id == v["provider_id"]
                and (a.msisdn or a.iban or a.account_number)
                == (v.get("msisdn") or v.get("iban") or v.get("account_number"))
            )
            if not same:
                try:  # checked here, to name the account's field if the PSP refuses it
                    Account.new(vals)._check_account()
                except ValidationError as e:
                    raise IntakeError(entry["field"], e.args[0]) from e
                vals.pop("partner_id")
                account_commands.append(Command.create(vals))
        if account_commands:
            commands["payment_account_ids"] = account_commands
        return commands

    @api.model
    def _add_attachments(self, partner, p):
        Attachment = self.env["ir.attachment"]
        for entry in p["attachments"]:
            present = Attachment.search(
                [("res_model", "=", "res.partner"), ("res_id", "=", partner.id), ("name", "=", entry["name"])]
            )
            if any(a.raw == entry["raw"] for a in present):
                continue
            Attachment.create(
                {
                    "name": entry["name"],
                    "raw": entry["raw"],
                    "mimetype": entry.get("mimetype") or False,
                    "res_model": "res.partner",
                    "res_id": partner.id,
                    "description": entry.get("description") or False,
                }
            )

    @api.model
    def _sync_memberships(self, household, prepared, known):
        """Bring the household's members to those of the record, in one write of the household
        (on an approved household, one change request)."""
        current = household.group_membership_ids.filtered("is_current")
        by_person = {m.individual_id.id: m for m in current}
        wanted = {p["partner"].id: p for p in prepared}
        # Members this record brought earlier that the edited record no longer lists have left.
        left = current.filtered(lambda m: m.individual_id.id in set(known.values()) - set(wanted))
        commands = [Command.update(m.id, {"end_date": fields.Date.context_today(self)}) for m in left]
        head = next(p for p in prepared if p["role"] == "head")
        other_head = (current - left).filtered(
            lambda m: m.role == "head" and m.individual_id != head["partner"]
        )
        if other_head and other_head.individual_id.id not in wanted:
            raise IntakeDuplicate(
                "members",
                _(
                    "%(household)s already has %(head)s as head, who is not in this record.",
                    household=household.display_name,
                    head=other_head.individual_id.display_name,
                ),
                household | other_head.individual_id,
            )
        # Demotions first (the membership writes them before a promotion: one head at a time).
        changed = [
            (pid, p) for pid, p in wanted.items() if pid in by_person and by_person[pid].role != p["role"]
        ]
        changed.sort(key=lambda item: item[1]["role"] == "head")
        commands += [Command.update(by_person[pid].id, {"role": p["role"]}) for pid, p in changed]
        commands += [
            Command.create({"individual_id": pid, "role": p["role"]})
            for pid, p in wanted.items()
            if pid not in by_person
        ]
        if commands:
            household.write({"group_membership_ids": commands})
