import json
import logging
import re

import requests

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..const import AUTH_TYPES, CONTENT_TYPES, METHODS, PLACEHOLDER, PLACEHOLDERS, RETRY_STATUSES
from odoo.addons.g2p_registry.const import SECRET_GROUPS

_logger = logging.getLogger(__name__)

DEFAULT_BODY = '{"to": "{to}", "message": "{body}", "reference": "{reference}"}'
STATUS_RANGE = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$")


class G2pSmsGateway(models.Model):
    """An HTTP SMS gateway: one request per message, built from a body template, judged by its status
    code (and optionally a field of its JSON answer). A company sends Odoo's SMS through it when it is
    the company's gateway (Settings → SMS)."""

    _name = "g2p.sms.gateway"
    _description = "HTTP SMS Gateway"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    url = fields.Char(
        string="URL",
        required=True,
        help="Where each message is sent, e.g. https://sms.example.org/api/send. Certificates are "
        "always verified.",
    )
    method = fields.Selection(METHODS, required=True, default="POST")
    content_type = fields.Selection(
        CONTENT_TYPES,
        string="Body Format",
        required=True,
        default="json",
        help="JSON: the template is sent as a JSON document. Form: its keys and values are sent "
        "url-encoded (as the query string for GET).",
    )
    body_template = fields.Text(
        required=True,
        default=DEFAULT_BODY,
        help="A JSON object. {to} (the number in E.164), {body} (the text) and {reference} (Odoo's "
        "id of the message) are replaced in its string values.",
    )
    auth_type = fields.Selection(AUTH_TYPES, string="Authentication", required=True, default="none")
    auth_username = fields.Char(string="Username", groups=SECRET_GROUPS, copy=False)
    auth_password = fields.Char(string="Password", groups=SECRET_GROUPS, copy=False)
    auth_token = fields.Char(string="Bearer Token", groups=SECRET_GROUPS, copy=False)
    auth_header_name = fields.Char(string="Header Name", default="X-API-Key")
    auth_header_value = fields.Char(string="Header Value", groups=SECRET_GROUPS, copy=False)
    success_status = fields.Char(
        string="Success Status Codes",
        required=True,
        default="200-299",
        help="HTTP status codes that mean the gateway accepted the message: codes or ranges, "
        "comma-separated (200-299, 202).",
    )
    success_json_path = fields.Char(
        string="Success Field",
        help="Optional: a field of the JSON answer (dotted path, e.g. result.status) that must equal "
        "the value below for the message to count as accepted.",
    )
    success_json_value = fields.Char(string="Success Value")
    message_id_json_path = fields.Char(
        string="Message Id Field", help="Optional: the field of the JSON answer holding the gateway's id."
    )
    timeout = fields.Float(
        string="Timeout (s)", required=True, default=10.0, help="Seconds to wait for each answer."
    )
    company_ids = fields.One2many("res.company", "sms_g2p_gateway_id", string="Used By", readonly=True)

    # ------------------------------------------------------------------ checks

    @api.constrains("body_template", "content_type")
    def _check_body_template(self):
        for gateway in self:
            template = gateway._parsed_template()
            if gateway.content_type == "form" and any(isinstance(v, dict | list) for v in template.values()):
                raise ValidationError(_("A form body holds keys and plain values only, no nested objects."))
            unknown = {
                name
                for value in self._strings(template)
                for name in re.findall(r"\{(\w+)\}", value)
                if name not in PLACEHOLDERS
            }
            if unknown:
                raise ValidationError(
                    _(
                        "Unknown placeholders in the body template: %(unknown)s (known: %(known)s).",
                        unknown=", ".join(sorted(unknown)),
                        known=", ".join("{%s}" % name for name in PLACEHOLDERS),
                    )
                )

    @api.constrains("success_status")
    def _check_success_status(self):
        for gateway in self:
            gateway._success_codes()

    @api.constrains("timeout")
    def _check_timeout(self):
        if any(gateway.timeout <= 0 for gateway in self):
            raise ValidationError(_("The timeout must be positive."))

    @api.constrains("url")
    def _check_url(self):
        for gateway in self:
            if not re.match(r"^https?://[^\s/]+", gateway.url or ""):
                raise ValidationError(_("The gateway URL must start with https:// (or http://)."))

    def _parsed_template(self):
        self.ensure_one()
        try:
            template = json.loads(self.body_template or "")
        except ValueError as exc:
            raise ValidationError(_("The body template is not valid JSON: %s", exc)) from exc
        if not isinstance(template, dict):
            raise ValidationError(_("The body template must be a JSON object ({...})."))
        return template

    @classmethod
    def _strings(cls, value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from cls._strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from cls._strings(item)

    def _success_codes(self):
        codes = set()
        for part in (self.success_status or "").split(","):
            match = STATUS_RANGE.match(part)
            if not match:
                raise ValidationError(
                    _("Success status codes: %(part)r is neither a code nor a range (200-299).", part=part)
                )
            low, high = int(match[1]), int(match[2] or match[1])
            codes.update(range(low, high + 1))
        return codes

    # ------------------------------------------------------------------ sending

    @api.model
    def _fill(self, value, values):
        """``value`` (the parsed template) with the placeholders replaced in its strings; a plain
        replacement, never str.format, so braces in the text cannot reach anything else."""
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), value)
        if isinstance(value, dict):
            return {key: self._fill(item, values) for key, item in value.items()}
        if isinstance(value, list):
            return [self._fill(item, values) for item in value]
        return value

    def _request_kwargs(self, number, body, reference):
        """Keyword arguments of ``requests.request`` for one message (secrets read as superuser)."""
        self.ensure_one()
        gateway = self.sudo()
        payload = self._fill(gateway._parsed_template(), {"to": number, "body": body, "reference": reference})
        headers = {"Accept": "application/json"}
        kwargs = {"timeout": gateway.timeout, "verify": True, "allow_redirects": False}
        if gateway.auth_type == "basic":
            kwargs["auth"] = (gateway.auth_username or "", gateway.auth_password or "")
        elif gateway.auth_type == "bearer":
            headers["Authorization"] = "Bearer %s" % (gateway.auth_token or "")
        elif gateway.auth_type == "header":
            headers[gateway.auth_header_name or "X-API-Key"] = gateway.auth_header_value or ""
        if gateway.method == "GET":
            kwargs["params"] = {key: "" if v is None else str(v) for key, v in payload.items()}
        elif gateway.content_type == "json":
            kwargs["json"] = payload
        else:
            kwargs["data"] = {key: "" if v is None else str(v) for key, v in payload.items()}
        kwargs["headers"] = headers
        return kwargs

    def _send_message(self, session, number, body, reference):
        """Send one message. Returns (state, failure reason, gateway message id) with the states of
        Odoo's SMS API (``success``, ``server_error``, ``g2p_gateway_auth``, ``g2p_gateway_refused``,
        ``wrong_number_format``). Nothing of the request (URL, headers, number, text) is logged: only
        the gateway, the message reference and the outcome."""
        self.ensure_one()
        if not number:
            return "sms_number_missing", _("No number."), None
        kwargs = self._request_kwargs(number, body, reference)
        try:
            response = session.request(self.method, self.sudo().url, **kwargs)
        except requests.exceptions.Timeout:
            _logger.warning(
                "SMS gateway %s: no answer in %ss for message %s", self.id, self.timeout, reference
            )
            return "server_error", _("The gateway did not answer in time."), None
        except requests.exceptions.RequestException as exc:
            # The class only: the text of a connection error holds the URL (and its query).
            _logger.warning("SMS gateway %s: %s for message %s", self.id, type(exc).__name__, reference)
            return "server_error", _("The gateway could not be reached (%s).", type(exc).__name__), None
        status = response.status_code
        data = None
        if "json" in (response.headers.get("Content-Type") or ""):
            try:
                data = response.json()
            except ValueError:
                data = None
        accepted = status in self._success_codes()
        if accepted and self.success_json_path:
            value = self._json_value(data, self.success_json_path)
            accepted = value is not None and str(value) == (self.success_json_value or "")
        _logger.info(
            "SMS gateway %s: HTTP %s for message %s: %s",
            self.id,
            status,
            reference,
            "accepted" if accepted else "refused",
        )
        if accepted:
            message_id = self.message_id_json_path and self._json_value(data, self.message_id_json_path)
            return "success", False, str(message_id)[:128] if message_id not in (None, False, "") else None
        if status in (401, 403):
            return "g2p_gateway_auth", _("The gateway refused the credentials (HTTP %s).", status), None
        if status in RETRY_STATUSES or status >= 500:
            return "server_error", _("The gateway failed (HTTP %s).", status), None
        return "g2p_gateway_refused", _("The gateway refused the message (HTTP %s).", status), None

    @api.model
    def _json_value(self, data, path):
        for key in (path or "").split("."):
            if isinstance(data, dict):
                data = data.get(key)
            elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
                data = data[int(key)]
            else:
                return None
        return data
