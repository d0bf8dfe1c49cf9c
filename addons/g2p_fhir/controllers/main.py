"""The FHIR R4 REST API: /fhir/R4 (read, search, create, update, Bundles, metadata).

Every answer is FHIR JSON; every refusal an OperationOutcome with its HTTP status, never a 500.
Callers authenticate with an Odoo API key (``Authorization: Bearer <key>`` or HTTP Basic with
login and key) and then act as that user: access rights and record rules apply. Writes run in a
savepoint, so a refused request changes nothing."""

import base64
import binascii
import json
import logging
import re
from datetime import UTC
from urllib.parse import parse_qsl, urlencode

from psycopg2 import IntegrityError
from psycopg2.errors import LockNotAvailable, SerializationFailure
from werkzeug.http import http_date

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..exceptions import FhirError, operation_outcome
from ..models.g2p_fhir_resource import RESULT_PARAMS
from odoo.addons.g2p_registry.tools.body_limit import BodyTooLarge, limit_from_parameter, read_limited_body

_logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
JSON_TYPES = (FHIR_JSON, "application/json", "application/json+fhir")
FORMAT_ALIASES = {"json": FHIR_JSON, "application/json": "application/json", FHIR_JSON: FHIR_JSON}
DEFAULT_PAGE = 50
MAX_PAGE = 1000
DEFAULT_MAX_BUNDLE_ENTRIES = 1000
#: Default of ``g2p_fhir.max_body_bytes``: a body over it is refused (413) before it is read whole.
MAX_BODY_BYTES = 10 * 1024 * 1024
# FHIR Bulk Data Access (v2) canonical URLs, advertised by the CapabilityStatement for $export.
BULK_DATA_CAPABILITY = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
BULK_DATA_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
BULK_DATA_GROUP_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
STATUS_TEXT = {
    200: "200 OK",
    201: "201 Created",
    202: "202 Accepted",
    400: "400 Bad Request",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    409: "409 Conflict",
    412: "412 Precondition Failed",
    422: "422 Unprocessable Entity",
}
ROUTE = {"type": "http", "auth": "none", "csrf": False, "save_session": False}


#: Types whose reads are logged as accesses to registrants' data: their GETs write the log.
LOGGED_TYPES = ("Patient", "Group")


def _get_is_readonly(controller, rule, args):
    return request.httprequest.method in ("GET", "HEAD") and args.get("fhir_type") not in LOGGED_TYPES


class FhirApi:
    """The interactions of the API over one environment (the caller's), shared by the HTTP routes
    and the entries of Bundles. Each returns (status, body, headers) or raises FhirError."""

    def __init__(self, env, base_url):
        self.env = env
        self.base_url = base_url  # …/fhir/R4

    def resource_model(self, fhir_type):
        return self.env["g2p.fhir.resource"]._fhir_type_model(fhir_type)

    def _require(self, model, interaction):
        if interaction not in model._fhir_interactions:
            raise FhirError(
                405,
                self.env._(
                    "%(interaction)s is not supported on %(type)s.",
                    interaction=interaction,
                    type=model._fhir_type,
                ),
                code="not-supported",
            )

    def _resource_headers(self, model, resource, record=None):
        meta = resource.get("meta") or {}
        headers = {}
        if meta.get("versionId"):
            headers["ETag"] = 'W/"%s"' % meta["versionId"]
            headers["Location"] = "%s/%s/%s/_history/%s" % (
                self.base_url,
                model._fhir_type,
                resource["id"],
                meta["versionId"],
            )
        if record is not None and record.write_date:
            headers["Last-Modified"] = http_date(record.write_date.replace(tzinfo=UTC))
        return headers

    def _emit_updated(self, model, record):
        """An update of an approved registrant's key data is proposed as a change request for a
        registry validator, not written: 202 Accepted, saying which request (the other elements
        are saved; a read shows the registrant as it stands)."""
        if record._name == "res.partner":
            proposed = record.sudo()._g2p_requests_proposed_now()
            if proposed:
                diagnostics = self.env._(
                    "Accepted: the changes to the approved registrant's names, birth date, gender, "
                    "identifiers or phones are proposed as %(requests)s and applied when a registry "
                    "validator approves them; the other changes are saved.",
                    requests=", ".join(proposed.mapped("name")),
                )
                return 202, operation_outcome(diagnostics, "informational", severity="information"), {}
        return self._emit(model, record, 200)

    def _emit(self, model, record, status):
        resource = model._fhir_to_dicts(record)[0]
        return status, resource, self._resource_headers(model, resource, record)

    # ------------------------------------------------------------------ read and search

    def read(self, fhir_type, res_id):
        model = self.resource_model(fhir_type)
        self._require(model, "read")
        model._fhir_check_access("read")
        record = model._fhir_browse(res_id)
        self._log_access(model, record, "fhir_read", "GET %s/%s" % (fhir_type, res_id))
        return self._emit(model, record, 200)

    def _log_access(self, model, records, channel, reference):
        """Registrants read through the API are logged (one INSERT per request)."""
        if model._fhir_type in LOGGED_TYPES and records:
            self.env["g2p.registrant.access.log"].sudo()._g2p_log_access(records.ids, channel, reference)

    def search(self, fhir_type, args, lenient=False):
        """A searchset Bundle; ``args`` are the (name, value) pairs of the query string. Unknown
        parameters are refused (400), or left out of the search and of the self link when the
        client asks for ``Prefer: handling=lenient``."""
        model = self.resource_model(fhir_type)
        self._require(model, "search-type")
        model._fhir_check_access("read")
        if lenient:
            known = set(model._fhir_search_params()) | RESULT_PARAMS
            args = [(name, value) for name, value in args if name.partition(":")[0] in known]
        result = {name: value for name, value in args if name.startswith("_")}
        count = self._int_param(result.get("_count"), "_count", DEFAULT_PAGE, 0, MAX_PAGE)
        offset = self._int_param(result.get("_offset"), "_offset", 0, 0, None)
        order = self._order(result.get("_sort"))
        total_mode = result.get("_total", "none")
        if total_mode not in ("none", "estimate", "accurate"):
            raise FhirError(
                400,
                self.env._("_total must be none, estimate or accurate."),
                expression=["_total"],
            )
        domain = model._fhir_search_domain(args)
        Records = model._fhir_records()
        records = Records.search(domain, offset=offset, limit=count + 1, order=order) if count else Records
        has_next = len(records) > count
        records = records[:count]
        self._log_access(model, records, "fhir_search", "GET %s?%s" % (fhir_type, urlencode(args)))
        bundle = {"resourceType": "Bundle", "type": "searchset"}
        if total_mode == "accurate":
            bundle["total"] = Records.search_count(domain)
        kept = [(name, value) for name, value in args if name not in ("_offset", "_format")]
        links = [("self", offset)]
        if has_next:
            links.append(("next", offset + count))
        if offset and count:
            links.append(("previous", max(offset - count, 0)))
        bundle["link"] = [
            {
                "relation": relation,
                "url": "%s/%s?%s"
                % (
                    self.base_url,
                    fhir_type,
                    urlencode([*kept, ("_offset", str(link_offset))] if link_offset else [*kept]),
                ),
            }
            for relation, link_offset in links
        ]
        bundle["entry"] = [
            {
                "fullUrl": "%s/%s/%s" % (self.base_url, fhir_type, resource["id"]),
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in (model._fhir_to_dicts(records) if records else [])
        ]
        return 200, bundle, {}

    def _int_param(self, value, name, default, minimum, maximum):
        if value in (None, ""):
            return default
        if not re.fullmatch(r"[0-9]{1,9}", value) or (maximum is not None and int(value) > maximum):
            raise FhirError(
                400,
                self.env._(
                    "%(param)s must be a whole number between %(min)s and %(max)s.",
                    param=name,
                    min=minimum,
                    max=maximum if maximum is not None else "…",
                ),
                expression=[name],
            )
        return int(value)

    def _order(self, sort):
        orders = []
        for key in (sort or "").split(","):
            if not key:
                continue
            desc = key.startswith("-")
            fname = {"_lastUpdated": "write_date", "_id": "id"}.get(key.lstrip("-"))
            if not fname:
                raise FhirError(
                    400,
                    self.env._("_sort supports _lastUpdated and _id (with - for descending), not %s.", key),
                    expression=["_sort"],
                    code="not-supported",
                )
            orders.append("%s %s" % (fname, "desc" if desc else "asc"))
        orders.append("id desc" if orders and orders[-1].endswith("desc") else "id asc")
        return ", ".join(dict.fromkeys(orders))

    # ------------------------------------------------------------------ writes

    def create(self, fhir_type, resource, if_none_exist=None):
        model = self.resource_model(fhir_type)
        self._require(model, "create")
        model._fhir_check_access("create")
        if if_none_exist:
            model._fhir_check_access("read")
            found = model._fhir_conditional_match(if_none_exist)
            if len(found) > 1:
                raise FhirError(
                    409,
                    self.env._(
                        "If-None-Exist %(query)s matches %(count)s %(type)s resources; "
                        "it must match one at most.",
                        query=if_none_exist,
                        count=len(found),
                        type=fhir_type,
                    ),
                    code="duplicate",
                )
            if found:
                return self._emit(model, found, 200)
        model._fhir_validate(resource)
        if resource.get("id"):
            raise FhirError(
                400,
                self.env._("A created %s must not carry an id: the server gives it.", fhir_type),
                expression=["%s.id" % fhir_type],
            )
        record = model._fhir_create(resource)
        return self._emit(model, record, 201)

    def create_many(self, fhir_type, resources):
        """Plain creates of one type in one batched create: [(status, body, headers)] in order."""
        model = self.resource_model(fhir_type)
        self._require(model, "create")
        model._fhir_check_access("create")
        for position, resource in enumerate(resources):
            if isinstance(resource, dict) and resource.get("id"):
                error = FhirError(
                    400,
                    self.env._("A created %s must not carry an id: the server gives it.", fhir_type),
                    expression=["%s.id" % fhir_type],
                )
                error.position = position
                raise error
        records = model._fhir_create_multi(resources)
        return [
            (201, body, self._resource_headers(model, body, record))
            for body, record in zip(model._fhir_to_dicts(records), records, strict=True)
        ]

    def update(self, fhir_type, res_id, resource, if_match=None):
        model = self.resource_model(fhir_type)
        self._require(model, "update")
        model._fhir_check_access("write")
        model._fhir_validate(resource)
        if resource.get("id") != res_id:
            raise FhirError(
                400,
                self.env._(
                    "The resource id %(body)r must be the id of the URL (%(url)s).",
                    body=resource.get("id"),
                    url=res_id,
                ),
                expression=["%s.id" % fhir_type],
            )
        record = model._fhir_browse(res_id)
        self._check_if_match(model, record, if_match)
        record = model._fhir_update(record, resource)
        return self._emit_updated(model, record)

    def conditional_update(self, fhir_type, query, resource, if_match=None):
        model = self.resource_model(fhir_type)
        self._require(model, "update")
        model._fhir_check_access("write")
        model._fhir_check_access("read")
        model._fhir_validate(resource)
        found = model._fhir_conditional_match(query)
        if len(found) > 1:
            raise FhirError(
                412,
                self.env._(
                    "The conditional update %(query)s matches %(count)s %(type)s resources.",
                    query=query,
                    count=len(found),
                    type=fhir_type,
                ),
                code="multiple-matches",
            )
        if not found:
            if resource.get("id"):
                raise FhirError(
                    400,
                    self.env._("A conditional update that creates must not carry an id."),
                    expression=["%s.id" % fhir_type],
                )
            self._require(model, "create")
            model._fhir_check_access("create")
            return self._emit(model, model._fhir_create(resource), 201)
        if resource.get("id") and resource["id"] != str(found.id):
            raise FhirError(
                400,
                self.env._(
                    "The resource id %(body)s is not the id of the resource %(query)s matches (%(found)s).",
                    body=resource["id"],
                    query=query,
                    found=found.id,
                ),
                expression=["%s.id" % fhir_type],
            )
        self._check_if_match(model, found, if_match)
        return self._emit_updated(model, model._fhir_update(found, resource))

    def _check_if_match(self, model, record, if_match):
        if not if_match:
            return
        match = re.fullmatch(r'\s*(?:W/)?"([^"]*)"\s*', if_match)
        wanted = match.group(1) if match else if_match.strip()
        current = model._fhir_version(record)
        if wanted != current:
            raise FhirError(
                412,
                self.env._(
                    "%(type)s/%(id)s changed since version %(wanted)s (now %(current)s): read it again "
                    "before updating.",
                    type=model._fhir_type,
                    id=record.id,
                    wanted=wanted,
                    current=current,
                ),
                code="conflict",
            )

    # ------------------------------------------------------------------ one request, any interaction

    def dispatch(self, method, url, resource=None, if_none_exist=None, if_match=None):
        """Serve ``method`` on ``url`` relative to the base (``Patient``, ``Patient/12``,
        ``Patient?identifier=…``)."""
        path, _sep, query = url.partition("?")
        parts = [p for p in path.strip("/").split("/") if p]
        if not parts or len(parts) > 2:
            raise FhirError(400, self.env._("%s is not a resource URL this server serves.", url))
        fhir_type = parts[0]
        res_id = parts[1] if len(parts) == 2 else None
        args = _parse_query(query)
        if method == "GET":
            if res_id:
                return self.read(fhir_type, res_id)
            return self.search(fhir_type, args)
        if method == "POST" and not res_id:
            return self.create(fhir_type, resource, if_none_exist)
        if method == "PUT":
            if res_id:
                return self.update(fhir_type, res_id, resource, if_match)
            if query:
                return self.conditional_update(fhir_type, query, resource, if_match)
        raise FhirError(
            405,
            self.env._(
                "%(method)s is not supported on %(url)s.",
                method=method,
                url=url,
            ),
            code="not-supported",
        )

    # ------------------------------------------------------------------ Bundles

    def bundle(self, bundle):
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise FhirError(
                400,
                self.env._("POST /fhir/R4 takes a Bundle of type transaction or batch."),
                expression=["Bundle.resourceType"],
            )
        bundle_type = bundle.get("type")
        if bundle_type not in ("transaction", "batch"):
            raise FhirError(
                400,
                self.env._("The Bundle type must be transaction or batch, not %r.", bundle_type),
                expression=["Bundle.type"],
            )
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise FhirError(400, self.env._("Bundle.entry must be a list."), expression=["Bundle.entry"])
        limit = _max_bundle_entries(self.env)
        if len(entries) > limit:
            raise FhirError(
                413,
                self.env._(
                    "The Bundle has %(count)s entries; this server takes %(limit)s at most per Bundle "
                    "(system parameter g2p_fhir.max_bundle_entries).",
                    count=len(entries),
                    limit=limit,
                ),
                expression=["Bundle.entry"],
            )
        requests = [self._bundle_request(i, entry) for i, entry in enumerate(entries)]
        if bundle_type == "transaction":
            return self._transaction(requests)
        return self._batch(requests)

    def _bundle_request(self, index, entry):
        where = "Bundle.entry[%s]" % index
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
            raise FhirError(400, self.env._("%s has no request.", where), expression=[where + ".request"])
        req = entry["request"]
        method, url = req.get("method"), req.get("url")
        if method not in ("GET", "POST", "PUT") or not isinstance(url, str) or not url:
            raise FhirError(
                400,
                self.env._("%s.request needs a method (GET, POST or PUT) and a url.", where),
                expression=[where + ".request"],
            )
        resource = entry.get("resource")
        if method in ("POST", "PUT") and not isinstance(resource, dict):
            raise FhirError(400, self.env._("%s has no resource.", where), expression=[where + ".resource"])
        full_url = entry.get("fullUrl")
        return {
            "index": index,
            "where": where,
            "method": method,
            "url": url.removeprefix(self.base_url).lstrip("/"),
            "resource": resource,
            "full_url": full_url if isinstance(full_url, str) else None,
            "if_none_exist": req.get("ifNoneExist"),
            "if_match": req.get("ifMatch"),
        }

    def _entry_response(self, status, body, headers):
        response = {"status": STATUS_TEXT.get(status, str(status))}
        if headers.get("Location") and status in (200, 201) and body.get("resourceType") != "Bundle":
            response["location"] = headers["Location"].removeprefix(self.base_url + "/")
        if headers.get("ETag"):
            response["etag"] = headers["ETag"]
        if body.get("meta", {}).get("lastUpdated"):
            response["lastModified"] = body["meta"]["lastUpdated"]
        entry = {"response": response}
        if body:
            entry["resource"] = body
            if body.get("resourceType") != "Bundle":
                entry["fullUrl"] = "%s/%s/%s" % (self.base_url, body["resourceType"], body["id"])
        return entry

    def _transaction(self, requests):
        """All or nothing: entries in FHIR order (POST, PUT, GET), urn:uuid references replaced by
        the ids of the entries that created them; the first refusal rolls back everything."""
        order = {"POST": 0, "PUT": 1, "GET": 2}
        pending = sorted(requests, key=lambda r: (order[r["method"]], r["index"]))
        uuids = {r["full_url"] for r in requests if r["full_url"] and r["full_url"].startswith("urn:uuid:")}
        resolved, results = {}, {}
        with self.env.cr.savepoint():
            while pending:
                # The next entry whose urn:uuid references are all resolved (a created entry referenced
                # by an earlier one is created first).
                for position, req in enumerate(pending):
                    needed = _urn_references(req["resource"]) & uuids
                    if needed <= resolved.keys():
                        break
                else:
                    req = pending[0]
                    raise FhirError(
                        400,
                        self.env._(
                            "%(where)s references %(refs)s, which no entry of the Bundle can resolve "
                            "(missing or circular).",
                            where=req["where"],
                            refs=", ".join(sorted(_urn_references(req["resource"]) - resolved.keys())),
                        ),
                        expression=[req["where"]],
                    )
                group = self._create_group(pending, position, uuids, resolved)
                for member in group:
                    pending.remove(member)
                try:
                    if len(group) > 1:
                        answers = self.create_many(
                            group[0]["url"], [_replace_references(r["resource"], resolved) for r in group]
                        )
                    else:
                        resource = _replace_references(req["resource"], resolved) if req["resource"] else None
                        answers = [
                            self.dispatch(
                                req["method"], req["url"], resource, req["if_none_exist"], req["if_match"]
                            )
                        ]
                except Exception as e:
                    # Named after its entry, then re-raised as a FhirError: the savepoint rolls back.
                    _reraise_concurrency(e)
                    error = _as_fhir_error(self.env, e)
                    position = getattr(error, "position", None)
                    if position is None and len(group) > 1:
                        where = "%s … %s" % (group[0]["where"], group[-1]["where"])
                        error.diagnostics = "%s: %s" % (where, error.diagnostics)
                    else:
                        where = group[position or 0]["where"]
                        error.diagnostics = "%s: %s" % (where, error.diagnostics)
                        error.expression = [where, *error.expression]
                    raise error from e
                for member, (status, body, headers) in zip(group, answers, strict=True):
                    if member["full_url"] and body.get("id") and body.get("resourceType") != "Bundle":
                        resolved[member["full_url"]] = "%s/%s" % (body["resourceType"], body["id"])
                    results[member["index"]] = self._entry_response(status, body, headers)
        return 200, self._response_bundle("transaction-response", requests, results), {}

    def _create_group(self, pending, position, uuids, resolved):
        """The entry at ``position`` and, when it is a plain POST, the plain POSTs of the same type
        after it whose references are resolved already: they are created in one batch."""
        first = pending[position]
        group = [first]
        if first["method"] != "POST" or first["if_none_exist"] or "?" in first["url"]:
            return group
        for req in pending[position + 1 :]:
            if req["method"] != "POST":
                break
            if req["url"] != first["url"] or req["if_none_exist"]:
                continue
            if not (_urn_references(req["resource"]) & uuids) <= resolved.keys():
                continue
            group.append(req)
        return group

    def _batch(self, requests):
        """Each entry on its own, in its own savepoint; a refused entry answers its OperationOutcome."""
        results = {}
        for req in requests:
            try:
                with self.env.cr.savepoint():
                    status, body, headers = self.dispatch(
                        req["method"], req["url"], req["resource"], req["if_none_exist"], req["if_match"]
                    )
                results[req["index"]] = self._entry_response(status, body, headers)
            except Exception as e:  # noqa: BLE001 (every failure becomes the entry's OperationOutcome)
                _reraise_concurrency(e)
                error = e if isinstance(e, FhirError) else _as_fhir_error(self.env, e)
                results[req["index"]] = {
                    "response": {
                        "status": STATUS_TEXT.get(error.status, str(error.status)),
                        "outcome": error.to_outcome(),
                    }
                }
        return 200, self._response_bundle("batch-response", requests, results), {}

    def _response_bundle(self, bundle_type, requests, results):
        return {
            "resourceType": "Bundle",
            "type": bundle_type,
            "entry": [results[req["index"]] for req in requests],
        }

    # ------------------------------------------------------------------ CapabilityStatement

    def capability_statement(self):
        Resource = self.env["g2p.fhir.resource"]
        resources = []
        for fhir_type in Resource._fhir_types():
            model = Resource._fhir_type_model(fhir_type)
            interactions = list(model._fhir_interactions)
            resource = {
                "type": fhir_type,
                "interaction": [{"code": code} for code in interactions],
                "versioning": "versioned-update" if "update" in interactions else "versioned",
                "readHistory": False,
                "updateCreate": False,
                "conditionalCreate": "create" in interactions,
                "conditionalUpdate": "update" in interactions,
                "conditionalRead": "not-supported",
                "conditionalDelete": "not-supported",
                "searchParam": [
                    {"name": name, "type": search_type}
                    for name, (search_type, _function) in sorted(model._fhir_search_params().items())
                ],
            }
            if fhir_type == "Group":
                # A program's beneficiaries or a household, exported as NDJSON (controllers/export.py).
                resource["operation"] = [{"name": "export", "definition": BULK_DATA_GROUP_EXPORT}]
            resources.append(resource)
        module = self.env["ir.module.module"].sudo().search([("name", "=", "g2p_fhir")], limit=1)
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": (module.write_date or module.create_date).date().isoformat() if module else "2026-01-01",
            "publisher": "G2P for Odoo",
            "kind": "instance",
            "software": {"name": "G2P for Odoo FHIR API", "version": module.latest_version or "19.0"},
            "implementation": {"description": "G2P for Odoo FHIR R4 API", "url": self.base_url},
            "instantiates": [BULK_DATA_CAPABILITY],
            "fhirVersion": "4.0.1",
            "format": [FHIR_JSON, "json"],
            "rest": [
                {
                    "mode": "server",
                    "security": {
                        "cors": False,
                        "service": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                        "code": "Basic",
                                    }
                                ]
                            }
                        ],
                        "description": "An Odoo API key of the calling user: Authorization: Bearer <key>, "
                        "or HTTP Basic with the login and the key.",
                    },
                    "resource": resources,
                    "interaction": [{"code": "transaction"}, {"code": "batch"}],
                    "operation": [{"name": "export", "definition": BULK_DATA_EXPORT}],
                }
            ],
        }


# ---------------------------------------------------------------------- helpers


def _parse_query(query):
    return parse_qsl(query or "", keep_blank_values=True)


def _max_bundle_entries(env):
    value = env["ir.config_parameter"].sudo().get_param("g2p_fhir.max_bundle_entries")
    try:
        return max(int(value), 1) if value else DEFAULT_MAX_BUNDLE_ENTRIES
    except ValueError:
        return DEFAULT_MAX_BUNDLE_ENTRIES


def _urn_references(value):
    """The urn:uuid: references anywhere in a resource."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str) and item.startswith("urn:uuid:"):
                found.add(item)
            else:
                found |= _urn_references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _urn_references(item)
    return found


def _replace_references(value, resolved):
    if isinstance(value, dict):
        return {
            key: resolved.get(item, item)
            if key == "reference" and isinstance(item, str)
            else _replace_references(item, resolved)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_replace_references(item, resolved) for item in value]
    return value


def _reraise_concurrency(exc):
    # Serialization failures are for Odoo to retry the whole request.
    if isinstance(exc, SerializationFailure | LockNotAvailable):
        raise exc


def _as_fhir_error(env, exc):
    """The FhirError an exception of the ORM stands for; a bug becomes a logged 500 outcome."""
    if isinstance(exc, FhirError):
        return exc
    if isinstance(exc, AccessError | AccessDenied):
        return FhirError(403, str(exc.args[0]) if exc.args else env._("Access denied."), code="forbidden")
    if isinstance(exc, MissingError):
        return FhirError(404, exc.args[0], code="not-found")
    if isinstance(exc, ValidationError | UserError):
        return FhirError(422, exc.args[0], code="business-rule")
    if isinstance(exc, IntegrityError):
        constraint = getattr(getattr(exc, "diag", None), "constraint_name", None) or ""
        return FhirError(
            409,
            env._(
                "This conflicts with a record that already exists (%s).",
                constraint or "unique constraint",
            ),
            code="duplicate",
        )
    _logger.exception("FHIR API: unexpected error")
    return FhirError(
        500, env._("The server could not process this request; the error is logged."), code="exception"
    )


class FhirController(http.Controller):
    # ------------------------------------------------------------------ routes

    @http.route("/fhir/R4/metadata", methods=["GET"], readonly=True, **ROUTE)
    def fhir_metadata(self, **kw):
        # Public, as FHIR clients read it before authenticating; it holds no data.
        return self._serve(lambda api: (200, api.capability_statement(), {}), authenticate=False)

    @http.route("/fhir/R4", readonly=False, **ROUTE)
    def fhir_bundle(self, **kw):
        if request.httprequest.method != "POST":
            return self._serve(lambda api: self._not_allowed("POST"))
        return self._serve(lambda api: api.bundle(self._body()))

    @http.route("/fhir/R4/<string:fhir_type>", readonly=_get_is_readonly, **ROUTE)
    def fhir_type(self, fhir_type, **kw):
        method = request.httprequest.method
        if method == "GET":
            return self._serve(lambda api: api.search(fhir_type, self._args(), self._lenient()))
        if method == "POST":
            if_none_exist = request.httprequest.headers.get("If-None-Exist")
            return self._serve(lambda api: api.create(fhir_type, self._body(), if_none_exist))
        if method == "PUT":
            query = urlencode(self._args(search_only=True))
            if not query:
                return self._serve(
                    lambda api: self._error(
                        400,
                        api.env._(
                            "PUT on a type needs search criteria (conditional update), e.g. ?identifier=…"
                        ),
                    )
                )
            if_match = request.httprequest.headers.get("If-Match")
            return self._serve(lambda api: api.conditional_update(fhir_type, query, self._body(), if_match))
        return self._serve(lambda api: self._not_allowed("GET, POST, PUT"))

    @http.route("/fhir/R4/<string:fhir_type>/<string:res_id>", readonly=_get_is_readonly, **ROUTE)
    def fhir_instance(self, fhir_type, res_id, **kw):
        method = request.httprequest.method
        if method == "GET":
            return self._serve(lambda api: api.read(fhir_type, res_id))
        if method == "PUT":
            if_match = request.httprequest.headers.get("If-Match")
            return self._serve(lambda api: api.update(fhir_type, res_id, self._body(), if_match))
        return self._serve(lambda api: self._not_allowed("GET, PUT"))

    @http.route("/fhir/R4/<path:rest>", readonly=True, **ROUTE)
    def fhir_unknown(self, rest, **kw):
        return self._serve(
            lambda api: self._error(404, api.env._("/fhir/R4/%s is not an endpoint of this server.", rest)),
            authenticate=False,
        )

    # ------------------------------------------------------------------ plumbing

    def _not_allowed(self, allowed):
        raise FhirError(
            405,
            request.env._("%s is not allowed here.", request.httprequest.method),
            code="not-supported",
            headers={"Allow": allowed},
        )

    def _error(self, status, diagnostics):
        raise FhirError(status, diagnostics)

    def _lenient(self):
        prefer = request.httprequest.headers.get("Prefer") or ""
        return "handling=lenient" in prefer.replace(" ", "").lower()

    def _args(self, search_only=False):
        args = list(request.httprequest.args.items(multi=True))
        if any("\x00" in name or "\x00" in value for name, value in args):
            raise FhirError(400, request.env._("The query contains a NUL character."), code="structure")
        if search_only:
            args = [(name, value) for name, value in args if name not in ("_format", "_pretty")]
        return args

    def _body(self):
        httprequest = request.httprequest
        mimetype = httprequest.mimetype
        if mimetype not in JSON_TYPES:
            raise FhirError(
                415,
                request.env._(
                    "Send FHIR JSON (Content-Type: application/fhir+json or application/json), not %s.",
                    mimetype or "no content type",
                ),
                code="not-supported",
            )
        limit = limit_from_parameter(request.env, "g2p_fhir.max_body_bytes", MAX_BODY_BYTES)
        try:
            data = read_limited_body(httprequest, limit)
        except BodyTooLarge as e:
            raise FhirError(
                413,
                request.env._("The body is larger than the %s bytes this server accepts.", e.limit),
                code="too-costly",
            ) from e
        if b"\\u0000" in data:
            raise FhirError(
                400, request.env._("The body contains a NUL character (\\u0000)."), code="structure"
            )
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            raise FhirError(400, request.env._("The body is not valid JSON: %s", e), code="structure") from e
        except RecursionError as e:
            # json.loads recurses once per nesting level: a deep body is a client error, not a 500.
            raise FhirError(400, request.env._("The body is nested too deeply."), code="structure") from e
        return body

    def _response_type(self):
        """The content type of the answer, from _format or Accept; 406 when neither is JSON."""
        httprequest = request.httprequest
        wanted = httprequest.args.get("_format")
        if wanted:
            content_type = FORMAT_ALIASES.get(wanted.split(";")[0].strip())
            if not content_type:
                return None
            return content_type
        accept = httprequest.accept_mimetypes
        if not accept or not accept.values():
            return FHIR_JSON
        best = accept.best_match([FHIR_JSON, "application/json", "application/json+fhir"])
        if not best:
            return None
        return "application/json" if best == "application/json" else FHIR_JSON

    def _authenticate(self):
        """Make the request env the API key's user, or raise FhirError 401."""
        header = request.httprequest.headers.get("Authorization") or ""
        scheme, _sep, credentials = header.strip().partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        login, key = None, None
        if scheme == "bearer" and credentials:
            key = credentials
        elif scheme == "basic" and credentials:
            try:
                login, _sep, key = base64.b64decode(credentials, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key = None
        challenge = {"WWW-Authenticate": 'Bearer realm="fhir", Basic realm="fhir"'}
        if not key:
            raise FhirError(
                401,
                request.env._("Authenticate with an Odoo API key: Authorization: Bearer <key>."),
                code="login",
                headers=challenge,
            )
        uid = request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=key)
        if uid and login is not None:
            user_login = request.env["res.users"].sudo().browse(uid).login
            if user_login != login:
                uid = None
        if not uid:
            raise FhirError(
                401,
                request.env._("The API key is not valid (wrong, expired, or its user is archived)."),
                code="login",
                headers=challenge,
            )
        request.update_env(user=uid)
        request.update_env(context=dict(request.env["res.users"].context_get()))

    def _serve(self, func, authenticate=True):
        """Run ``func(api)`` in a savepoint as the authenticated user; turn every refusal and every
        unexpected error into an OperationOutcome answer."""
        content_type = self._response_type()
        headers = {}
        try:
            if content_type is None:
                content_type = FHIR_JSON
                raise FhirError(
                    406,
                    request.env._(
                        "This server answers FHIR JSON only (application/fhir+json or application/json)."
                    ),
                    code="not-supported",
                )
            if authenticate:
                self._authenticate()
            base_url = request.httprequest.url_root.rstrip("/") + "/fhir/R4"
            api = FhirApi(request.env, base_url)
            with request.env.cr.savepoint():
                status, body, headers = func(api)
        except Exception as e:  # noqa: BLE001 (no input ever answers a bare 500)
            _reraise_concurrency(e)
            error = _as_fhir_error(request.env, e)
            status, body, headers = error.status, error.to_outcome(), error.headers
        response = request.make_json_response(body, headers=headers, status=status)
        response.headers["Content-Type"] = content_type + "; charset=utf-8"
        return response
