"""FHIR Bulk Data ``$export`` (https://hl7.org/fhir/uv/bulkdata/export.html).

- Kick-off: ``GET /fhir/R4/$export`` (the whole registry), ``GET /fhir/R4/Group/<id>/$export``
  where ``<id>`` is a household (the household and its current members) or ``program-<id>`` (a
  program's beneficiaries: its enrolled registrants and the current members of its enrolled
  households). ``Prefer: respond-async`` is required; ``_type``, ``_since`` and ``_outputFormat``
  (NDJSON) are supported. Answer: 202 with ``Content-Location``, the status URL.
- Status: ``GET /fhir/R4/$export-status/<export>``: 202 with ``X-Progress`` while it runs, 200 with
  the manifest when complete; ``DELETE`` cancels it (or discards a complete one's files).
- Files: ``GET /fhir/R4/$export-file/<export>/<file>``: NDJSON (``application/fhir+ndjson``).

Every request authenticates as the rest of the API does (an Odoo API key of the user) and only the
user who asked for an export (or a G2P administrator) sees its status and files."""

import re
from datetime import UTC

from werkzeug.http import http_date

from odoo import http
from odoo.http import request

from ..exceptions import FhirError
from .main import FHIR_JSON, ROUTE, FhirController, _as_fhir_error, _reraise_concurrency

NDJSON = "application/fhir+ndjson"
#: Exports are named by a UUID: anything else names none, and never reaches the database.
EXPORT_NAME_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RETRY_AFTER_SECONDS = 5


class FhirExportController(FhirController):
    # ------------------------------------------------------------------ kick-off

    @http.route("/fhir/R4/$export", methods=["GET"], readonly=False, **ROUTE)
    def fhir_export_system(self, **kw):
        return self._serve(lambda api: self._kick_off(api, None))

    @http.route("/fhir/R4/Group/<string:group_ref>/$export", methods=["GET"], readonly=False, **ROUTE)
    def fhir_export_group(self, group_ref, **kw):
        return self._serve(lambda api: self._kick_off(api, group_ref))

    def _kick_off(self, api, group_ref):
        prefer = request.httprequest.headers.get("Prefer") or ""
        if "respond-async" not in [part.strip().lower() for part in prefer.replace(";", ",").split(",")]:
            raise FhirError(
                400,
                api.env._("$export runs in the background: send the header Prefer: respond-async."),
                expression=["Prefer"],
            )
        params = [(name, value) for name, value in self._args() if name not in ("_format", "_pretty")]
        export = api.env["g2p.fhir.export"]._fhir_kick_off(
            params, group_ref=group_ref, request_url=request.httprequest.url, lenient=self._lenient()
        )
        status_url = self._status_url(export)
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": api.env._("Export queued; poll %s for its progress.", status_url),
                }
            ],
        }
        return 202, outcome, {"Content-Location": status_url}

    def _status_url(self, export):
        return "%s/fhir/R4/$export-status/%s" % (request.httprequest.url_root.rstrip("/"), export.name)

    # ------------------------------------------------------------------ status and cancel

    @http.route(
        "/fhir/R4/$export-status/<string:export_name>", methods=["GET", "DELETE"], readonly=False, **ROUTE
    )
    def fhir_export_status(self, export_name, **kw):
        if request.httprequest.method == "DELETE":
            return self._serve(lambda api: self._cancel(api, export_name))
        response = self._serve(lambda api: self._status(api, export_name))
        if response.status_code == 200:
            # The completion manifest is plain JSON, not a FHIR resource.
            response.headers["Content-Type"] = "application/json; charset=utf-8"
        elif response.status_code == 202:
            response.set_data(b"")  # in progress: the headers say it all
        return response

    def _find_export(self, env, export_name):
        """The caller's export (record rules: their own, or any for a G2P administrator), or a 404;
        a cancelled export is gone (the specification: its status URL then answers 404)."""
        export = env["g2p.fhir.export"]
        if EXPORT_NAME_RE.fullmatch(export_name or ""):
            domain = [("name", "=", export_name), ("state", "!=", "cancelled")]
            export = export.search(domain, limit=1)
        if not export:
            raise FhirError(404, env._("There is no export %r (or it was cancelled).", export_name))
        return export

    def _status(self, api, export_name):
        export = self._find_export(api.env, export_name)
        if export.state in ("queued", "running"):
            return (
                202,
                None,
                {"X-Progress": export._fhir_progress_text(), "Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        if export.state == "failed":
            raise FhirError(
                500,
                api.env._("The export failed: %s", export.error_message or api.env._("unknown error")),
                code="exception",
            )
        manifest = export._fhir_manifest(request.httprequest.url_root.rstrip("/"))
        return 200, manifest, {"Expires": http_date(export._fhir_expires().replace(tzinfo=UTC))}

    def _cancel(self, api, export_name):
        export = self._find_export(api.env, export_name)
        export._fhir_cancel()
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": api.env._("Export %s is cancelled and its files deleted.", export_name),
                }
            ],
        }
        return 202, outcome, {}

    # ------------------------------------------------------------------ files

    @http.route(
        "/fhir/R4/$export-file/<string:export_name>/<int:file_id>", methods=["GET"], readonly=True, **ROUTE
    )
    def fhir_export_file(self, export_name, file_id, **kw):
        """The NDJSON file, streamed from the attachment store. Bulk Data clients ask for it with
        ``Accept: application/fhir+ndjson``: no JSON content negotiation here, but refusals are
        still OperationOutcomes."""
        try:
            self._authenticate()
            with request.env.cr.savepoint():
                export = self._find_export(request.env, export_name)
                file = export.file_ids.filtered(lambda f: f.id == file_id)
                if export.state != "done" or not file:
                    raise FhirError(404, request.env._("Export %s has no such file.", export_name))
                attachment = file.sudo().attachment_id
        except Exception as e:  # noqa: BLE001 (every refusal becomes an OperationOutcome)
            _reraise_concurrency(e)
            error = _as_fhir_error(request.env, e)
            response = request.make_json_response(
                error.to_outcome(), headers=error.headers, status=error.status
            )
            response.headers["Content-Type"] = FHIR_JSON + "; charset=utf-8"
            return response
        stream = attachment._to_http_stream()
        stream.mimetype = NDJSON
        return stream.get_response(as_attachment=False)
