import hashlib
import json
import logging
import re
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import LOG_BODY_LIMIT, PAYEE_IDENTIFIER_TYPES, SENSITIVE_KEYS
from ..exceptions import G2pTransportError
from ..tools import FormatError, format_amount

_logger = logging.getLogger(__name__)

_JSON_SECRET = re.compile(
    r'("(?:%s)"\s*:\s*)"[^"]*"' % "|".join(re.escape(key) for key in sorted(SENSITIVE_KEYS)),
    re.IGNORECASE,
)
_REDACTED = "[REDACTED]"
#: Arguments of :meth:`G2pPaymentConnector._request` that go to ``requests``; the others are for the
#: connector's request hooks (e.g. which of its APIs a path belongs to).
_REQUESTS_KWARGS = ("params", "data", "json", "files", "headers", "auth", "timeout")
#: Arguments of :meth:`G2pPaymentConnector._request` that are its own options.
_REQUEST_OPTIONS = ("idempotent", "log_body", "log_kind", "log_response", "before_retry")

# Access tokens of every connector type, per database, connector and credentials:
# {(dbname, connector id, credentials digest): (token, expiry on the monotonic clock)}. One per
# worker process; the lock makes the threaded server's concurrent requests safe.
_TOKEN_CACHE = {}
_TOKEN_CACHE_LOCK = threading.Lock()


def redact_url(url):
    """``url`` with the values of sensitive query parameters replaced."""
    parts = urlsplit(url or "")
    if not parts.query:
        return url
    query = [(k, _REDACTED if k.lower() in SENSITIVE_KEYS else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))


def redact_headers(headers):
    """Headers with secret values replaced; URLs in values (a callback URL) lose their tokens."""
    return {
        k: (_REDACTED if k.lower() in SENSITIVE_KEYS else redact_url(v) if "?" in str(v) else v)
        for k, v in (headers or {}).items()
    }


def redact_text(text):
    """JSON-ish text with the values of sensitive keys replaced, truncated for the log."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _JSON_SECRET.sub(r'\1"' + _REDACTED + '"', text)
    if len(text) > LOG_BODY_LIMIT:
        text = text[:LOG_BODY_LIMIT] + "\n… [%d characters truncated]" % (len(text) - LOG_BODY_LIMIT)
    return text


class G2pPaymentConnector(models.Model):
    """A way to send payments to a PSP: a payment processor, a mobile-money API, a bank file.

    Follows Odoo's ``payment.provider`` pattern: each connector type adds its value to ``code`` with
    ``selection_add`` in its own file, adds its own fields, and overrides the private hooks below,
    calling ``super()`` when the record is not of its type. All outbound HTTP goes through
    :meth:`_request`, which applies the timeout and TLS settings, classifies transport errors and
    logs every request and response on the batch with secrets redacted."""

    _name = "g2p.payment.connector"
    _description = "Payment Connector"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10, help="The first enabled connector of a PSP is used.")
    code = fields.Selection(
        [("none", "Not set")],
        string="Type",
        default="none",
        required=True,
        tracking=True,
        help="The protocol spoken with the processor.",
    )
    state = fields.Selection(
        [("disabled", "Disabled"), ("test", "Test Mode"), ("enabled", "Enabled")],
        default="disabled",
        required=True,
        tracking=True,
        copy=False,
        help="Disabled connectors send nothing. Test mode is for a sandbox or simulator.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    psp_id = fields.Many2one(
        "res.partner",
        string="PSP",
        required=True,
        domain=[("is_psp", "=", True)],
        ondelete="restrict",
        index=True,
        tracking=True,
        help="Payroll payments of this PSP are sent through this connector.",
    )
    batch_max_rows = fields.Integer(
        string="Payments per Batch",
        default=500,
        required=True,
        help="Largest number of payments in one batch.",
    )
    batch_max_bytes = fields.Integer(
        string="Batch Size Limit (bytes)",
        default=100000,
        required=True,
        help="Largest batch file the processor accepts (PH-EE: csv.size).",
    )
    amount_decimals = fields.Integer(
        default=0,
        required=True,
        help="Decimals sent in amounts. With 0, an amount with cents is refused instead of rounded.",
    )
    timeout = fields.Integer(string="Timeout (seconds)", default=30, required=True)
    verify_tls = fields.Boolean(
        string="Verify TLS Certificates",
        default=True,
        help="Keep on in production: without it anyone on the network path can read and change "
        "payment instructions.",
    )
    max_transport_retries = fields.Integer(
        default=3,
        required=True,
        help="Extra tries when the processor cannot be reached or answers 5xx, with exponential backoff. "
        "A request the processor may have received is never sent again blindly.",
    )
    retry_backoff = fields.Float(
        string="Retry Backoff (seconds)", default=1.0, help="Wait before the first retry; doubled each time."
    )
    poll_interval = fields.Integer(
        string="Status Poll Interval (minutes)",
        default=10,
        help="The cron fetches the status of open batches not updated for this long (callbacks may be lost).",
    )
    payer_identifier_type = fields.Char(help="E.g. msisdn or accountNumber; empty in budget-account mode.")
    payer_identifier = fields.Char(help="The program's paying account at the processor.")
    payment_mode = fields.Char(help="Processor payment mode, e.g. mojaloop, gsma, closedloop.")
    batch_ids = fields.One2many("g2p.payment.batch", "connector_id", readonly=True)
    batch_count = fields.Integer(compute="_compute_batch_count")
    can_collect = fields.Boolean(
        compute="_compute_capabilities",
        store=True,
        help="The processor can also collect money: a request to pay sent to a payer's wallet.",
    )
    can_transfer = fields.Boolean(
        compute="_compute_capabilities",
        store=True,
        help="The processor can also make single transfers outside a batch (provider payments).",
    )

    _positive_limits = models.Constraint(
        "CHECK (batch_max_rows > 0 AND batch_max_bytes > 0 AND timeout > 0 AND amount_decimals >= 0 "
        "AND max_transport_retries >= 0)",
        "Batch limits, timeout and retries must be positive.",
    )

    def _compute_batch_count(self):
        counts = dict(
            self.env["g2p.payment.batch"]._read_group(
                [("connector_id", "in", self.ids)], ["connector_id"], ["__count"]
            )
        )
        for connector in self:
            connector.batch_count = counts.get(connector, 0)

    @api.depends("code")
    def _compute_capabilities(self):
        for connector in self:
            connector.can_collect = connector._supports_collection()
            connector.can_transfer = connector._supports_transfer()

    def _supports_collection(self):
        """Whether this connector's processor takes requests to pay (override per code)."""
        self.ensure_one()
        return False

    def _supports_transfer(self):
        """Whether this connector's processor takes single transfers (override per code)."""
        self.ensure_one()
        return False

    @api.constrains("psp_id")
    def _check_psp(self):
        for connector in self:
            if not connector.psp_id.is_psp:
                raise UserError(_("%s is not a payment service provider.", connector.psp_id.display_name))

    def write(self, vals):
        # New URL or credentials: forget the cached tokens (their key also names the credentials).
        self._token_cache_clear()
        return super().write(vals)

    # ------------------------------------------------------------------ required settings

    def _get_required_fields(self):
        """Names of the fields this connector cannot work without (override per code, adding to
        ``super()``); :meth:`_check_required_fields` checks them all at once."""
        self.ensure_one()
        return []

    def _check_required_fields(self):
        """Refuse, with one message naming every missing setting, a connector whose required fields
        (:meth:`_get_required_fields`) are empty. Sudo: credentials are restricted fields."""
        self.ensure_one()
        connector = self.sudo()
        missing = [name for name in connector._get_required_fields() if not connector[name]]
        if missing:
            labels = [self._fields[name]._description_string(self.env) for name in missing]
            raise UserError(
                _(
                    "Connector %(name)s (%(type)s) is missing: %(fields)s",
                    name=self.name,
                    type=dict(self._fields["code"]._description_selection(self.env)).get(self.code),
                    fields=", ".join(labels),
                )
            )

    # ------------------------------------------------------------------ token cache

    def _token_cache_key(self, credentials):
        digest = hashlib.sha256("\0".join(str(c or "") for c in credentials).encode()).hexdigest()
        return (self.env.cr.dbname, self.id, digest)

    def _token_cache_get(self, credentials):
        """The cached access token for ``credentials`` (a tuple: URL, login, secret...) or None
        when there is none or it is about to expire."""
        self.ensure_one()
        key = self._token_cache_key(credentials)
        with _TOKEN_CACHE_LOCK:
            token, expiry = _TOKEN_CACHE.get(key, (None, 0))
        return token if token and expiry > time.monotonic() else None

    def _token_cache_set(self, credentials, token, lifetime, margin=30):
        """Keep ``token`` for ``lifetime`` seconds minus ``margin`` (renewed before the processor
        expires it), at least a few seconds."""
        self.ensure_one()
        lifetime = int(lifetime or 300)
        expiry = time.monotonic() + max(lifetime - margin, min(lifetime, 10))
        with _TOKEN_CACHE_LOCK:
            _TOKEN_CACHE[self._token_cache_key(credentials)] = (token, expiry)

    def _token_cache_clear(self):
        """Forget every cached token of these connectors."""
        keys = {(self.env.cr.dbname, connector_id) for connector_id in self.ids}
        with _TOKEN_CACHE_LOCK:
            for key in [key for key in _TOKEN_CACHE if key[:2] in keys]:
                del _TOKEN_CACHE[key]

    # ------------------------------------------------------------------ actions

    def action_test_connection(self):
        self.ensure_one()
        message = self._test_connection()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Connection OK"),
                "message": message or _("The processor answered."),
                "type": "success",
                "sticky": False,
            },
        }

    def action_view_batches(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Batches of %s", self.name),
            "res_model": "g2p.payment.batch",
            "view_mode": "list,form",
            "domain": [("connector_id", "=", self.id)],
        }

    # ------------------------------------------------------------------ hooks (override per code)

    def _get_batch_limits(self):
        """{'max_rows', 'max_bytes', 'decimals'} used to split a payroll into batches."""
        self.ensure_one()
        return {
            "max_rows": self.batch_max_rows,
            "max_bytes": self.batch_max_bytes,
            "decimals": self.amount_decimals,
        }

    def _set_payee_identifiers(self, payments):
        """Set ``payee_identifier_type`` and ``payee_identifier`` on each of ``payments`` (dicts of
        payroll line columns: account_type, account_identifier...). One call for all the payments of
        the connector: a national payroll has hundreds of thousands."""
        for payment in payments:
            kind = PAYEE_IDENTIFIER_TYPES.get(payment["account_type"], "accountNumber")
            payment["payee_identifier_type"] = kind
            payment["payee_identifier"] = payment["account_identifier"]

    def _attempt_amount(self, attempt):
        """The attempt's amount as this processor takes it (``amount_decimals``); one it cannot
        carry stops the batch with an error naming the payment."""
        try:
            return format_amount(attempt.amount, self.amount_decimals, attempt.request_id)
        except FormatError as error:
            raise UserError(
                _("Payment %(number)s: %(error)s", number=attempt.payment_number, error=error)
            ) from None

    def _split_payments(self, payments):
        """Lists of ``payments`` (dicts: line_id, request_id, amount, currency, payee_identifier_type,
        payee_identifier, payment_number...) that each make one batch. Default: by row count."""
        self.ensure_one()
        size = self._get_batch_limits()["max_rows"]
        return [payments[i : i + size] for i in range(0, len(payments), size)]

    def _build_batches(self, batches, chunks):
        """Render the payloads of new ``batches`` of this connector; ``chunks`` are their payments
        as returned by :meth:`_split_payments` (same order). Default: :meth:`_build_batch` each."""
        for batch in batches:
            self._build_batch(batch)

    def _build_batch(self, batch):
        """Render the batch's payload (stored on ``batch.payload``)."""
        raise UserError(
            _("Connector %(name)s (%(code)s) cannot build batches.", name=self.name, code=self.code)
        )

    def _send(self, batch):
        """Submit ``batch`` (already locked by the caller, state sending) and move it to sent, or
        back to queued on a transport error, or to failed when the processor refuses it."""
        raise UserError(
            _("Connector %(name)s (%(code)s) cannot send batches.", name=self.name, code=self.code)
        )

    def _fetch_status(self, batch):
        """Result dicts for ``g2p.payroll.line._apply_payment_results`` (``line_id``, ``status``
        'paid' | 'failed' | 'pending', ``request_id``, optional ``psp_reference``, ``reason``,
        ``reason_code``, ``date``), built through ``batch._results_from_outcomes``."""
        raise UserError(
            _("Connector %(name)s (%(code)s) cannot fetch statuses.", name=self.name, code=self.code)
        )

    def _test_connection(self):
        """Check credentials and reachability; return a message or raise UserError."""
        raise UserError(
            _("Connector %(name)s (%(code)s) has no connection test.", name=self.name, code=self.code)
        )

    # ------------------------------------------------------------------ submissions

    def _count_submission(self, batch):
        """Just before a submission of ``batch`` goes out: the marker committed from its own cursor
        (a submission found later without an answer is looked up before any resend) and the
        batch's send count."""
        batch._note_submission()
        batch.send_count += 1

    def _find_submitted_batch(self, batch):
        """The processor's id of ``batch`` when it already holds it (looked up by the batch's
        correlation id), else None. Override per code; default: the processor cannot be asked."""
        return None

    def _recover_submission(self, batch):
        """Mark ``batch`` sent and return True when the processor already holds it (a submission
        whose answer was lost, or that failed after being registered): it is not submitted again."""
        external_id = self._find_submitted_batch(batch)
        if not external_id:
            return False
        self.env["g2p.payment.batch.log"]._log(
            batch,
            "info",
            note=_("The processor already holds this batch (%s): not submitted again.", external_id),
        )
        batch._set_sent(external_id)
        return True

    # ------------------------------------------------------------------ outbound HTTP

    # ------------------------------------------------------------------ collection (money in)

    def _callback_base_url(self):
        """Where the processor reaches this Odoo (a connector may set its own public address)."""
        return self.env["ir.config_parameter"].sudo().get_param("web.base.url")

    def _request_collection(self, collection):
        """Send ``collection`` (a ``g2p.payment.collection``) to the payer's wallet. Returns
        ``{"accepted": bool, "external_id": …, "reason": …}``; raises G2pTransportError when the
        processor could not be reached."""
        raise UserError(_("Connector %s cannot collect payments.", self.name))

    def _fetch_collection_status(self, collection):
        """The processor's status of ``collection``: ``{"status": one of COLLECTION_STATUSES,
        "amount", "psp_reference", "reason", "date"}``."""
        raise UserError(_("Connector %s cannot collect payments.", self.name))

    def _request_transfer(self, transfer):
        """Send ``transfer`` (a ``g2p.payment.transfer``) to the processor. Returns
        ``{"accepted": bool, "external_id": …, "reason": …}``; raises G2pTransportError when the
        processor could not be reached."""
        raise UserError(_("Connector %s cannot make single transfers.", self.name))

    def _fetch_transfer_status(self, transfer):
        """The processor's status of ``transfer``: ``{"status": one of TRANSFER_STATUSES,
        "psp_reference", "reason", "date"}``."""
        raise UserError(_("Connector %s cannot make single transfers.", self.name))

    def _render_transfer_file(self, transfers, name, record):
        """Connectors that hand transfers to a bank in a file render it here, attached to
        ``record``; the others send each transfer on its own and return no attachment."""
        return self.env["ir.attachment"]

    def _build_request_url(self, endpoint, **kwargs):
        """The URL of ``endpoint`` (a path of the connector's API, or a full URL). Default: the
        endpoint as given. ``kwargs`` are the hook arguments given to :meth:`_request`."""
        return endpoint

    def _build_request_headers(self, method, endpoint, batch=None, **kwargs):
        """Headers every request to ``endpoint`` carries (tenant, correlation id, a Bearer token...);
        headers given to :meth:`_request` are added over them. Default: none."""
        return {}

    def _build_request_auth(self, batch=None, **kwargs):
        """A ``requests`` auth (a (user, password) tuple or an ``AuthBase``) for the request, or None.
        Used when :meth:`_request` is given no ``auth``. Default: none."""
        return None

    def _parse_response_content(self, response, **kwargs):
        """The content of a processor's answer. Default: its JSON, or {} when it is not JSON."""
        try:
            return response.json()
        except ValueError:
            return {}

    def _parse_response_error(self, response, content=None, **kwargs):
        """A short text saying why the processor refused a request (for a batch's error or a
        message). Default: the start of the answer's body."""
        return (response.text or "")[:1000]

    def _request_content(self, batch, method, endpoint, **kwargs):
        """:meth:`_request`, then ``(response, content)`` with the content parsed by
        :meth:`_parse_response_content`."""
        response = self._request(batch, method, endpoint, **kwargs)
        hook_kwargs = {
            k: v for k, v in kwargs.items() if k not in _REQUESTS_KWARGS and k not in _REQUEST_OPTIONS
        }
        return response, self._parse_response_content(response, **hook_kwargs)

    def _request(
        self,
        batch,
        method,
        endpoint,
        idempotent=None,
        log_body=None,
        log_kind="request",
        log_response=True,
        before_retry=None,
        **kwargs,
    ):
        """The one outbound HTTP call of the hub (``payment.provider._send_api_request``'s place).
        The URL, headers and auth come from the connector's hooks :meth:`_build_request_url`,
        :meth:`_build_request_headers` and :meth:`_build_request_auth`, which receive the keyword
        arguments ``requests`` does not take (``_REQUESTS_KWARGS`` go to ``requests``). Returns the
        ``requests.Response`` for any HTTP status below 500; every request and response is logged on
        ``batch`` (when given) with secrets redacted.

        Retries (``max_transport_retries``, exponential backoff) only what cannot have been applied:
        connection failures before the request went out. Read timeouts, dropped connections and 5xx
        answers are retried only for ``idempotent`` requests (GET by default); otherwise a timeout
        raises G2pTransportError with ``maybe_delivered`` and a 5xx response is returned, so the
        caller looks the request up before sending it again. A caller that can look it up passes
        ``before_retry``: called (after the backoff) before trying again a request that changes
        something and was answered 5xx; when it returns True the request turned out to be applied,
        nothing is sent again and None is returned. After the last try the 5xx response is returned.
        ``log_body`` replaces the request body in the log (e.g. a summary instead of a payment file);
        ``log_response=False`` keeps only the size of the response (payee data in status pages).
        """
        self.ensure_one()
        hook_kwargs = {k: v for k, v in kwargs.items() if k not in _REQUESTS_KWARGS}
        kwargs = {k: v for k, v in kwargs.items() if k in _REQUESTS_KWARGS}
        url = self._build_request_url(endpoint, **hook_kwargs)
        headers = {
            **self._build_request_headers(method, endpoint, batch=batch, **hook_kwargs),
            **(kwargs.get("headers") or {}),
        }
        if headers:
            kwargs["headers"] = headers
        if "auth" not in kwargs:
            auth = self._build_request_auth(batch=batch, **hook_kwargs)
            if auth is not None:
                kwargs["auth"] = auth
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD")
        kwargs.setdefault("timeout", self.timeout)
        kwargs["verify"] = self.verify_tls
        # The log of the record the request is for: a batch, or a collection request.
        Log = self.env[getattr(batch, "_log_model", "g2p.payment.batch.log")]
        body = log_body if log_body is not None else kwargs.get("data") or kwargs.get("json")
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if kwargs.get("params"):
            # Log the full address (query included); redact_url hides the secret parameters.
            url_logged = requests.Request(method, url, params=kwargs["params"]).prepare().url
        else:
            url_logged = url
        tries = self.max_transport_retries + 1
        delay = max(self.retry_backoff, 0.0)
        error = None
        # The previous try was answered 5xx: what it asked may have been applied.
        maybe_applied = False
        for number in range(1, tries + 1):
            if number > 1:
                time.sleep(delay)
                delay *= 2
                if maybe_applied and before_retry():
                    return None
            maybe_applied = False
            Log._log(
                batch,
                log_kind,
                method=method.upper(),
                url=url_logged,
                body=body,
                headers=kwargs.get("headers"),
                note=_("try %(n)s of %(tries)s", n=number, tries=tries) if number > 1 else None,
            )
            started = time.monotonic()
            try:
                response = requests.request(method, url, **kwargs)
            except requests.exceptions.SSLError as exc:
                # Never retried: a certificate problem does not fix itself.
                Log._log(batch, "error", method=method.upper(), url=url_logged, body=str(exc))
                raise G2pTransportError(
                    _("TLS error talking to %(url)s: %(error)s", url=redact_url(url), error=exc)
                ) from None
            except (requests.exceptions.ConnectTimeout, requests.exceptions.ConnectionError) as exc:
                # A ConnectionError raised after the body went out (reset, dropped) may have been
                # received: only ConnectTimeout / refused connections are surely not delivered.
                delivered = not _surely_not_sent(exc)
                error = G2pTransportError(
                    _("Cannot reach %(url)s: %(error)s", url=redact_url(url), error=exc.__class__.__name__),
                    maybe_delivered=delivered,
                )
                Log._log(batch, "error", method=method.upper(), url=url_logged, body=str(exc)[:500])
                if delivered and not idempotent:
                    raise error from None
                continue
            except requests.exceptions.Timeout as exc:
                error = G2pTransportError(
                    _(
                        "%(url)s did not answer within %(timeout)s seconds.",
                        url=redact_url(url),
                        timeout=kwargs["timeout"],
                    ),
                    maybe_delivered=True,
                )
                Log._log(batch, "error", method=method.upper(), url=url_logged, body=str(exc)[:500])
                if not idempotent:
                    raise error from None
                continue
            except requests.exceptions.RequestException as exc:
                Log._log(batch, "error", method=method.upper(), url=url_logged, body=str(exc)[:500])
                raise G2pTransportError(
                    _("Request to %(url)s failed: %(error)s", url=redact_url(url), error=exc)
                ) from None
            Log._log(
                batch,
                "response",
                method=method.upper(),
                url=url_logged,
                http_status=response.status_code,
                body=response.text if log_response else _("[%s bytes]", len(response.content)),
                headers=response.headers,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            if response.status_code < 500:
                return response
            if not idempotent:
                # A 5xx to a request that changes something: PH-EE, for one, may have registered a
                # batch before failing, so only a look-up (before_retry) can tell.
                if before_retry is None or number == tries:
                    return response
                maybe_applied = True
            error = G2pTransportError(
                _("%(url)s answered HTTP %(status)s.", url=redact_url(url), status=response.status_code),
                status=response.status_code,
            )
        raise error


def _surely_not_sent(exc):
    """Whether a requests ConnectionError happened before any byte of the request was sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = repr(exc)
    return any(
        marker in text
        for marker in (
            "NewConnectionError",
            "Connection refused",
            "Name or service not known",
            "Failed to resolve",
        )
    )
