import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from dateutil.relativedelta import relativedelta
from pydantic import ValidationError as PydanticValidationError

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from ..exceptions import FhirError

_logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1)
# FHIR date, dateTime and instant, with every precision from the year down to fractions of a second.
DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d{1,6})?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
# Query parameters that shape the result rather than select records.
RESULT_PARAMS = {"_count", "_offset", "_sort", "_total", "_format", "_pretty"}


def _shift(moment, step):
    """``moment + step``, or None past the end of the calendar (year 9999)."""
    try:
        return moment + step
    except (OverflowError, ValueError):
        return None


class G2pFhirResource(models.AbstractModel):
    """The base of every FHIR resource type of the API.

    A resource type is an AbstractModel inheriting this one with ``_fhir_type`` (the FHIR type)
    and ``_fhir_model`` (the Odoo model its records live in). Every method runs with the caller's
    environment: access rights and record rules apply as in the back office. The controller,
    the CapabilityStatement, Bundles and ``$export`` only use the methods below."""

    _name = "g2p.fhir.resource"
    _description = "FHIR Resource Type"

    _fhir_type = None
    _fhir_model = None
    # FHIR interactions the type supports (CapabilityStatement codes).
    _fhir_interactions = ("read", "search-type")
    # xmlids of groups, one of which the caller needs to read (resp. write) this type, on top of the
    # access rights of the model: registrants are readable by every internal user in Odoo, but
    # only registry roles see them in the back office.
    _fhir_read_groups = ()
    _fhir_write_groups = ()

    # ------------------------------------------------------------------ registry of types

    @api.model
    def _fhir_types(self):
        """{FHIR type: name of its g2p.fhir.* model}, for every model inheriting this one."""
        types, todo, seen = {}, ["g2p.fhir.resource"], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            model = self.env.registry[name]
            if model._fhir_type:
                types[model._fhir_type] = name
            todo.extend(model._inherit_children)
        return dict(sorted(types.items()))

    @api.model
    def _fhir_type_model(self, fhir_type):
        """The g2p.fhir.* model of ``fhir_type`` (with the caller's env), or a 404."""
        name = self._fhir_types().get(fhir_type)
        if not name:
            raise FhirError(
                404,
                self.env._("Resource type %s is not supported by this server.", fhir_type),
                code="not-supported",
            )
        return self.env[name]

    # ------------------------------------------------------------------ access

    @api.model
    def _fhir_records(self):
        """The Odoo model of this type, in the caller's env."""
        return self.env[self._fhir_model]

    @api.model
    def _fhir_check_access(self, operation):
        """Raise FhirError 403 unless the caller may ``operation`` (read/create/write) this type."""
        groups = self._fhir_read_groups if operation == "read" else self._fhir_write_groups
        allowed = not groups or any(self.env.user.has_group(group) for group in groups)
        if allowed:
            try:
                self._fhir_records().check_access(operation)
            except AccessError:
                allowed = False
        if not allowed:
            raise FhirError(
                403,
                self.env._(
                    "You are not allowed to %(operation)s %(type)s resources.",
                    operation=operation,
                    type=self._fhir_type,
                ),
                code="forbidden",
            )

    # ------------------------------------------------------------------ what a type defines

    @api.model
    def _fhir_domain(self):
        """The domain of the records this type covers."""
        return []

    @api.model
    def _fhir_search_params(self):
        """{name: (FHIR search type, function(value, modifier, prefix) -> domain)}."""
        return {
            "_id": ("token", self._fhir_search_id),
            "_lastUpdated": (
                "date",
                lambda value, modifier, prefix: self._fhir_date_domain(
                    "write_date", value, prefix, "_lastUpdated", datetime_field=True
                ),
            ),
        }

    @api.model
    def _fhir_to_dicts(self, records):
        """FHIR JSON dicts of ``records``, in their order, read in batch."""
        raise NotImplementedError

    @api.model
    def _fhir_create(self, resource):
        raise FhirError(405, self.env._("%s resources cannot be created here.", self._fhir_type))

    @api.model
    def _fhir_create_multi(self, resources):
        """Create several resources (a transaction Bundle's run of POSTs of this type), returning
        the records in their order; a FhirError carries the position of the refused resource in
        ``position``. Types with a batched create override it; this default creates one by one."""
        records = []
        for position, resource in enumerate(resources):
            try:
                records.append(self._fhir_create(resource))
            except FhirError as e:
                e.position = position
                raise
        return self._fhir_records().concat(*records)

    @api.model
    def _fhir_update(self, record, resource):
        raise FhirError(405, self.env._("%s resources cannot be updated here.", self._fhir_type))

    @api.model
    def _fhir_identifier_domain(self, system, value):
        """Domain of the records with identifier ``system|value`` (either may be empty)."""
        raise FhirError(
            400,
            self.env._("%s cannot be searched by identifier.", self._fhir_type),
            expression=["identifier"],
        )

    # ------------------------------------------------------------------ versions and meta

    @api.model
    def _fhir_version(self, record):
        """The versionId of ``record``: microseconds since the epoch of its write_date."""
        return str((record.write_date - EPOCH) // timedelta(microseconds=1))

    @api.model
    def _fhir_meta(self, record):
        return {
            "versionId": self._fhir_version(record),
            "lastUpdated": record.write_date.replace(tzinfo=UTC).isoformat(timespec="microseconds"),
        }

    @api.model
    def _fhir_reference(self, record, fhir_type=None):
        return {"reference": "%s/%s" % (fhir_type or self._fhir_type, record.id)}

    # ------------------------------------------------------------------ reading

    @api.model
    def _fhir_browse(self, res_id):
        """The record of id ``res_id`` (a string) the caller may read, or a 404."""
        if not re.fullmatch(r"[1-9][0-9]{0,17}", res_id or ""):
            raise FhirError(
                404, self.env._("%(type)s/%(id)s does not exist.", type=self._fhir_type, id=res_id)
            )
        records = self._fhir_records().search(
            Domain.AND([self._fhir_domain(), [("id", "=", int(res_id))]]), limit=1
        )
        if not records:
            raise FhirError(
                404, self.env._("%(type)s/%(id)s does not exist.", type=self._fhir_type, id=res_id)
            )
        return records

    @api.model
    def _fhir_search_domain(self, args):
        """The Odoo domain of search ``args``, a list of (name, value) pairs from a query string
        (result parameters such as _count left out). A repeated parameter ANDs, commas OR."""
        params = self._fhir_search_params()
        domains = [self._fhir_domain()]
        for name, raw in args:
            if name in RESULT_PARAMS:
                continue
            base, _sep, modifier = name.partition(":")
            if base not in params:
                raise FhirError(
                    400,
                    self.env._(
                        "Unknown search parameter %(param)s for %(type)s; supported: %(supported)s.",
                        param=name,
                        type=self._fhir_type,
                        supported=", ".join(sorted(params)),
                    ),
                    expression=[name],
                    code="not-supported",
                )
            search_type, function = params[base]
            if "\x00" in raw:
                raise FhirError(
                    400, self.env._("Search parameter %s contains a NUL character.", name), expression=[name]
                )
            alternatives = []
            for value in (v.replace("\\,", ",") for v in re.split(r"(?<!\\),", raw)):
                prefix = None
                if search_type == "date" and value[:2] in DATE_PREFIXES and not value[:2].isdigit():
                    prefix, value = value[:2], value[2:]
                if value == "":
                    raise FhirError(
                        400, self.env._("Search parameter %s has an empty value.", name), expression=[name]
                    )
                alternatives.append(Domain(function(value, modifier or None, prefix)))
            domains.append(Domain.OR(alternatives))
        return Domain.AND(domains)

    @api.model
    def _fhir_conditional_match(self, query):
        """Records matching a conditional query string (``identifier=sys|val``)."""
        args = parse_qsl(query or "", keep_blank_values=True)
        if not args:
            raise FhirError(400, self.env._("The conditional request has no search criteria."))
        return self._fhir_records().search(self._fhir_search_domain(args))

    # ------------------------------------------------------------------ search helpers

    @api.model
    def _fhir_no_modifier(self, name, modifier, allowed=()):
        if modifier and modifier not in allowed:
            raise FhirError(
                400,
                self.env._(
                    "Modifier :%(modifier)s is not supported on %(param)s.", modifier=modifier, param=name
                ),
                expression=[name],
                code="not-supported",
            )

    @api.model
    def _fhir_search_id(self, value, modifier, prefix):
        self._fhir_no_modifier("_id", modifier)
        if not re.fullmatch(r"[1-9][0-9]{0,17}", value):
            return [("id", "=", 0)]  # such an id exists nowhere: no match rather than an error
        return [("id", "=", int(value))]

    @api.model
    def _fhir_reference_id(self, value, fhir_type, name):
        """The id in a reference search value ``Type/123`` or ``123``; 0 when it cannot match."""
        if "/" in value:
            ref_type, _sep, value = value.rpartition("/")
            if ref_type.rpartition("/")[2] != fhir_type:
                return 0
        return int(value) if re.fullmatch(r"[1-9][0-9]{0,17}", value) else 0

    @api.model
    def _fhir_string_domain(self, fnames, value, modifier, name):
        """FHIR string search over ``fnames`` (OR): starts with, case-insensitive; :exact and
        :contains as in the specification."""
        self._fhir_no_modifier(name, modifier, ("exact", "contains"))
        if modifier == "exact":
            leaves = [(fname, "=", value) for fname in fnames]
        else:
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = "%" + escaped + "%" if modifier == "contains" else escaped + "%"
            leaves = [(fname, "=ilike", pattern) for fname in fnames]
        return Domain.OR([Domain([leaf]) for leaf in leaves])

    @api.model
    def _fhir_parse_date(self, value, expression):
        """(start, end) naive UTC datetimes of the period a FHIR date/dateTime denotes, or a 400."""
        match = DATE_RE.match(value or "")
        try:
            if not match:
                raise ValueError(value)
            parts = match.groupdict()
            year, month, day = int(parts["y"]), int(parts["m"] or 1), int(parts["d"] or 1)
            if parts["H"] is None:
                start = datetime(year, month, day)
                if parts["d"]:
                    step = timedelta(days=1)
                elif parts["m"]:
                    step = relativedelta(months=1)
                else:
                    step = relativedelta(years=1)
                return start, _shift(start, step)
            fraction = parts["f"] or ""
            start = datetime(
                year,
                month,
                day,
                int(parts["H"]),
                int(parts["M"]),
                int(parts["S"] or 0),
                int((fraction[1:] + "000000")[:6]) if fraction else 0,
            )
            tz = parts["tz"]
            if tz and tz != "Z":
                sign = 1 if tz[0] == "+" else -1
                start -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
            if fraction:
                step = timedelta(microseconds=10 ** (6 - len(fraction[1:])))
            elif parts["S"] is not None:
                step = timedelta(seconds=1)
            else:
                step = timedelta(minutes=1)
            return start, _shift(start, step)
        except (ValueError, OverflowError) as e:
            raise FhirError(
                400,
                self.env._(
                    "%(param)s: '%(value)s' is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime "
                    "such as 2024-05-01T10:00:00Z).",
                    param=expression,
                    value=value,
                ),
                expression=[expression],
            ) from e

    @api.model
    def _fhir_date_domain(self, fname, value, prefix, expression, datetime_field=False):
        """Domain of ``fname`` against the period of ``value`` with a FHIR comparison prefix."""
        start, end = self._fhir_parse_date(value, expression)
        if not datetime_field:
            end = _shift((end - timedelta(microseconds=1)).date(), timedelta(days=1)) if end else None
            start = start.date()
        prefix = prefix or "eq"
        if end is None:  # the period runs to the end of the calendar
            end_domain, after = [], [("id", "=", 0)]
        else:
            end_domain, after = [(fname, "<", end)], [(fname, ">=", end)]
        if prefix == "eq":
            return [(fname, ">=", start), *end_domain]
        if prefix == "ne":
            return ["|", (fname, "<", start), *after]
        if prefix in ("gt", "sa"):
            return after
        if prefix in ("lt", "eb"):
            return [(fname, "<", start)]
        if prefix == "ge":
            return [(fname, ">=", start)]
        return end_domain  # le

    # ------------------------------------------------------------------ parsing inbound resources

    @api.model
    def _fhir_validate(self, resource):
        """Check ``resource`` (a dict) against the R4B structure of this type; 400 naming the
        elements otherwise. Returns the resource."""
        from fhir.resources.R4B import get_fhir_model_class

        if not isinstance(resource, dict):
            raise FhirError(
                400, self.env._("The body must be a JSON object (a %s resource).", self._fhir_type)
            )
        if resource.get("resourceType") != self._fhir_type:
            raise FhirError(
                400,
                self.env._(
                    "resourceType is %(found)r where %(expected)s was expected.",
                    found=resource.get("resourceType"),
                    expected=self._fhir_type,
                ),
                expression=["%s.resourceType" % self._fhir_type],
            )
        try:
            parsed = get_fhir_model_class(self._fhir_type).model_validate(resource)
        except PydanticValidationError as e:
            paths, messages = [], []
            for error in e.errors()[:20]:
                path = self._fhir_path(error.get("loc") or ())
                paths.append(path)
                message = error.get("msg", "")
                if error.get("type") == "extra_forbidden":
                    message = self.env._("unknown element")
                messages.append("%s: %s" % (path, message))
            raise FhirError(
                400,
                self.env._("Invalid %(type)s: %(errors)s", type=self._fhir_type, errors="; ".join(messages)),
                expression=list(dict.fromkeys(paths)),
            ) from e
        except (ValueError, TypeError) as e:
            raise FhirError(
                400, self.env._("Invalid %(type)s: %(error)s", type=self._fhir_type, error=e)
            ) from e
        # The validation is lax ("yes" passes for true, "2" for 2): JSON types must be FHIR's own.
        wrong = self._fhir_coerced(resource, parsed.model_dump(mode="json", by_alias=True), self._fhir_type)
        if wrong:
            raise FhirError(
                400,
                self.env._(
                    "Invalid %(type)s: %(paths)s: wrong JSON type "
                    "(booleans are true/false, numbers unquoted).",
                    type=self._fhir_type,
                    paths=", ".join(wrong),
                ),
                expression=wrong,
            )
        return resource

    @api.model
    def _fhir_coerced(self, given, parsed, path):
        """Paths where the validation turned a value of the wrong JSON type into a boolean or number."""
        if isinstance(given, dict) and isinstance(parsed, dict):
            return [
                wrong
                for key, value in given.items()
                if key in parsed
                for wrong in self._fhir_coerced(value, parsed[key], "%s.%s" % (path, key))
            ]
        if isinstance(given, list) and isinstance(parsed, list):
            return [
                wrong
                for index, (value, out) in enumerate(zip(given, parsed, strict=False))
                for wrong in self._fhir_coerced(value, out, "%s[%s]" % (path, index))
            ]
        if isinstance(parsed, bool):
            return [] if isinstance(given, bool) else [path]
        if isinstance(parsed, int | float):
            return [] if isinstance(given, int | float) and not isinstance(given, bool) else [path]
        return []

    @api.model
    def _fhir_path(self, loc):
        path = self._fhir_type
        for part in loc:
            if isinstance(part, int):
                path += "[%s]" % part
            elif part not in ("__root__",) and not str(part).startswith("function-"):
                path += "." + str(part)
        return path

    # ------------------------------------------------------------------ shared element mappings

    @api.model
    def _fhir_base_system(self):
        """``<web.base.url>/fhir``: the root of this server's identifier systems and extensions."""
        return self.env["g2p.id.type"]._fhir_base_system()

    @api.model
    def _fhir_address(self, partner):
        """Patient/Organization.address of a partner (a list, empty without an address)."""
        lines = [line for line in (partner.street, partner.street2) if line]
        address = {
            key: value
            for key, value in (
                ("line", lines),
                ("city", partner.city),
                ("state", partner.state_id.name),
                ("postalCode", partner.zip),
                ("country", partner.country_id.code),
            )
            if value
        }
        return [address] if address else []

    @api.model
    def _fhir_parse_address(self, addresses, expression):
        """Partner vals of the first address; ``expression`` is the element path (Patient.address)."""
        vals = dict.fromkeys(("street", "street2", "city", "zip", "state_id", "country_id"), False)
        if not addresses:
            return vals
        address = addresses[0]
        lines = address.get("line") or []
        vals.update(
            street=lines[0] if lines else False,
            street2=", ".join(lines[1:]) or False,
            city=address.get("city") or False,
            zip=address.get("postalCode") or False,
        )
        country = self.env["res.country"]
        if address.get("country"):
            value = address["country"].strip()
            country = country.search(["|", ("code", "=ilike", value), ("name", "=ilike", value)], limit=1)
            if not country:
                raise FhirError(
                    400,
                    self.env._(
                        "%(path)s: unknown country %(value)r (use an ISO 3166 code such as KE).",
                        path=expression + "[0].country",
                        value=value,
                    ),
                    expression=[expression + "[0].country"],
                    code="code-invalid",
                )
            vals["country_id"] = country.id
        if address.get("state"):
            domain = ["|", ("code", "=ilike", address["state"]), ("name", "=ilike", address["state"])]
            if country:
                domain.append(("country_id", "=", country.id))
            state = self.env["res.country.state"].search(domain, limit=1)
            if not state:
                raise FhirError(
                    400,
                    self.env._(
                        "%(path)s: unknown state %(value)r.",
                        path=expression + "[0].state",
                        value=address["state"],
                    ),
                    expression=[expression + "[0].state"],
                    code="code-invalid",
                )
            vals["state_id"] = state.id
        return vals

    @api.model
    def _fhir_check_code(self, value, allowed, expression):
        """400 unless ``value`` is one of ``allowed`` (a code binding fhir.resources leaves open)."""
        if value is not None and value not in allowed:
            raise FhirError(
                400,
                self.env._(
                    "%(path)s: %(value)r is not a valid code; use one of %(allowed)s.",
                    path=expression,
                    value=value,
                    allowed=", ".join(allowed),
                ),
                expression=[expression],
                code="code-invalid",
            )
        return value

    @api.model
    def _fhir_resolve(self, reference, fhir_type, expression):
        """The record a reference (``Patient/12``) names, readable by the caller, or a 422."""
        ref = (reference or {}).get("reference") if isinstance(reference, dict) else None
        model = self._fhir_type_model(fhir_type)
        ref_type, _sep, ref_id = (ref or "").rpartition("/")
        if ref_type.rpartition("/")[2] != fhir_type or not re.fullmatch(r"[1-9][0-9]{0,17}", ref_id):
            raise FhirError(
                422,
                self.env._(
                    "%(path)s must reference a %(type)s (%(type)s/<id>), not %(ref)r.",
                    path=expression,
                    type=fhir_type,
                    ref=ref,
                ),
                expression=[expression],
            )
        record = model._fhir_records().search(
            Domain.AND([model._fhir_domain(), [("id", "=", int(ref_id))]]), limit=1
        )
        if not record:
            raise FhirError(
                422,
                self.env._(
                    "%(path)s: %(ref)s does not exist or is not visible to you.", path=expression, ref=ref
                ),
                expression=[expression],
            )
        return record
