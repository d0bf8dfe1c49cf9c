"""GSMA Mobile Money API v1.2 bulk disbursement (``/batchtransactions``)."""

import json
import re
from datetime import UTC, datetime

import requests

from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_payment_hub.exceptions import G2pTransportError
from odoo.addons.g2p_payment_hub.tools import format_amount
from odoo.addons.g2p_registry.const import SECRET_GROUPS

# Rejection reasons are free text in GSMA v1.2: map the usual wordings to our reason codes.
REJECTION_REASON_CODES = [
    (re.compile(r"deceased|dead", re.IGNORECASE), "DECEASED"),
    (
        re.compile(r"not (registered|found)|unknown|does not exist|invalid (msisdn|account)", re.IGNORECASE),
        "ACCOUNT_NOT_FOUND",
    ),
    (re.compile(r"closed|barred|blocked|suspended|inactive|dormant", re.IGNORECASE), "ACCOUNT_CLOSED"),
]
# Party keys (GSMA "accountid" identifiers) per payment account type.
#: Error codes of a failed merchant payment that mean the payer said no (the others are failures).
DECLINED_CODES = ("requestDeclined", "transactionDeclined", "payerDeclined")
GSMA_PARTY_KEYS = {"mobile_wallet": "msisdn", "bank": "bankaccountno", "cash": "accountid"}


class _SecretHeaders(requests.auth.AuthBase):
    """Adds secret headers (credentials, the callback URL with its token) when the request is
    prepared, so they never reach the batch log; ``inner`` is another requests auth to apply too."""

    def __init__(self, headers, inner=None):
        self.headers, self.inner = headers, inner

    def __call__(self, request):
        if isinstance(self.inner, tuple):
            request = requests.auth.HTTPBasicAuth(*self.inner)(request)
        elif self.inner:
            request = self.inner(request)
        request.headers.update(self.headers)
        return request


def gsma_reason_code(reason):
    """Our failure reason code for a GSMA rejection reason."""
    for pattern, code in REJECTION_REASON_CODES:
        if pattern.search(reason or ""):
            return code
    return "PSP_REJECTED"


class G2pPaymentConnectorGsma(models.Model):
    _inherit = "g2p.payment.connector"

    code = fields.Selection(
        selection_add=[("gsma", "GSMA Mobile Money (batch)")], ondelete={"gsma": "set default"}
    )
    gsma_url = fields.Char(
        string="GSMA API URL",
        help="Base URL of the provider's Mobile Money API v1.2; resources sit at its root "
        "(…/batchtransactions).",
    )
    gsma_auth_mode = fields.Selection(
        [
            ("none", "None"),
            ("api_key", "API Key"),
            ("basic", "Basic (consumer key and secret)"),
            ("oauth", "OAuth 2.0 Client Credentials"),
        ],
        string="GSMA Authentication",
        default="none",
    )
    gsma_api_key = fields.Char(string="GSMA API Key", groups=SECRET_GROUPS, copy=False)
    gsma_consumer_key = fields.Char(string="GSMA Consumer Key", groups=SECRET_GROUPS, copy=False)
    gsma_consumer_secret = fields.Char(string="GSMA Consumer Secret", groups=SECRET_GROUPS, copy=False)
    gsma_transaction_type = fields.Selection(
        [("disbursement", "Disbursement"), ("transfer", "Transfer")],
        string="GSMA Transaction Type",
        default="disbursement",
    )
    gsma_use_callback = fields.Boolean(
        string="GSMA Callbacks",
        default=True,
        help="Ask the provider to PUT the batch result to Odoo (X-Callback-URL). The status poll cron "
        "still fetches what callbacks miss.",
    )
    gsma_callback_base_url = fields.Char(
        string="GSMA Callback Base URL",
        help="Odoo's address as the provider reaches it; empty: the web.base.url parameter.",
    )
    gsma_page_size = fields.Integer(
        string="GSMA Page Size", default=50, help="Completions and rejections read per request."
    )

    # ------------------------------------------------------------------ hooks

    def _set_payee_identifiers(self, payments):
        if self.code != "gsma":
            return super()._set_payee_identifiers(payments)
        for payment in payments:
            payment["payee_identifier_type"] = GSMA_PARTY_KEYS.get(payment["account_type"], "accountid")
            payment["payee_identifier"] = payment["account_identifier"]

    def _build_batch(self, batch):
        """The ``requestBatchTransaction`` body; each transaction carries its attempt's request id as
        requestingOrganisationTransactionReference, which completions and rejections echo back."""
        if self.code != "gsma":
            return super()._build_batch(batch)
        self._check_required_fields()
        currency = batch.currency_id.name
        transactions = []
        for attempt in batch.attempt_ids.filtered(lambda a: a.state == "open"):
            transactions.append(
                {
                    "amount": self._attempt_amount(attempt),
                    "currency": currency,
                    "type": self.gsma_transaction_type or "disbursement",
                    "debitParty": [{"key": self.payer_identifier_type, "value": self.payer_identifier}],
                    "creditParty": [
                        {"key": attempt.payee_identifier_type, "value": attempt.payee_identifier}
                    ],
                    "requestingOrganisationTransactionReference": attempt.request_id,
                }
            )
        body = {
            "batchTitle": batch.name,
            "batchDescription": _("G2P payroll %s", batch.payroll_id.name),
            "transactions": transactions,
        }
        batch.write({"payload": json.dumps(body), "payload_filename": "%s.json" % batch.name})

    def _send(self, batch):
        """POST the batch with its correlation id. Whenever the provider may already hold it (an
        earlier submission, a lost answer, a 5xx, a duplicateRequest refusal) the batch is looked up
        through GET /responses/{clientCorrelationId} first; a new POST always reuses the same
        X-CorrelationID, which the provider refuses to turn into a second batch."""
        if self.code != "gsma":
            return super()._send(batch)
        if not batch.payload:
            self._build_batch(batch)
        if batch.state == "queued":
            batch._set_sending()
        if batch.external_id or batch.gsma_server_correlation_id:
            return batch._set_sent()
        earlier, __ = batch._previous_submissions()
        if earlier and self._recover_submission(batch):
            return batch
        summary = _(
            "%(count)s transactions, %(size)s bytes", count=len(batch.attempt_ids), size=len(batch.payload)
        )
        self._count_submission(batch)
        try:
            response = self._request(
                batch,
                "POST",
                "batchtransactions",
                correlate=True,
                callback=True,
                data=batch.payload.encode(),
                log_body=summary,
            )
        except G2pTransportError as error:
            if error.maybe_delivered and self._recover_submission(batch):
                return batch
            raise
        body = self._parse_response_content(response)
        status = response.status_code
        if status == 202:
            batch.gsma_server_correlation_id = body.get("serverCorrelationId")
            if body.get("status") == "failed":
                return batch._set_failed(self._gsma_error_text(body.get("error") or body))
            return batch._set_sent(external_id=body.get("objectReference"))
        duplicate = status == 400 and body.get("errorCode") == "duplicateRequest"
        if duplicate or status >= 500:
            # A duplicate was accepted before; a 5xx may have been accepted before failing.
            if self._recover_submission(batch):
                return batch
            raise G2pTransportError(
                _(
                    "The provider answered HTTP %(status)s for batch %(batch)s and does not return it yet; "
                    "it is looked up again before any new submission.",
                    status=status,
                    batch=batch.name,
                ),
                status=status,
            )
        return batch._set_failed(
            _("HTTP %(status)s: %(error)s", status=status, error=self._parse_response_error(response, body))
        )

    def _fetch_status(self, batch):
        if self.code != "gsma":
            return super()._fetch_status(batch)
        open_attempts = batch.attempt_ids.filtered(lambda a: a.status in ("queued", "sent"))
        if batch.gsma_request_status != "completed" or not batch.external_id:
            state = self._gsma_request_state(batch) or self._gsma_batch_state(batch)
            status = state.get("status")
            if status in ("completed", "failed"):
                batch.gsma_request_status = status
            if status == "failed":
                # Bulk Disbursement Failure: nothing of the batch is paid.
                reason = self._gsma_error_text(state.get("error") or {})
                outcomes = [
                    {
                        "request_id": a.request_id,
                        "status": "failed",
                        "reason_code": "PSP_REJECTED",
                        "reason": reason,
                    }
                    for a in open_attempts
                ]
                return batch._results_from_outcomes(outcomes)
            if status != "completed" or not (state.get("objectReference") or batch.external_id):
                return []
            batch.external_id = state.get("objectReference") or batch.external_id
        outcomes = []
        for record in self._gsma_pages(batch, "completions"):
            outcomes.append(
                {
                    "request_id": record.get("requestingOrganisationTransactionReference"),
                    "status": "paid",
                    "psp_reference": record.get("transactionReference"),
                    "date": self._gsma_date(record.get("completionDate")),
                }
            )
        for record in self._gsma_pages(batch, "rejections"):
            reason = record.get("rejectionReason") or ""
            outcomes.append(
                {
                    "request_id": record.get("requestingOrganisationTransactionReference"),
                    "status": "failed",
                    "reason_code": gsma_reason_code(reason),
                    "reason": reason,
                    "date": self._gsma_date(record.get("rejectionDate")),
                }
            )
        outcomes = [o for o in outcomes if o["request_id"]]
        return batch._results_from_outcomes(outcomes)

    def _test_connection(self):
        if self.code != "gsma":
            return super()._test_connection()
        response, body = self._request_content(self.env["g2p.payment.batch"], "GET", "heartbeat")
        if response.status_code != 200:
            raise UserError(
                _("The provider answered HTTP %(status)s: %(error)s", status=response.status_code,
                  error=self._parse_response_error(response, body))
            )  # fmt: skip
        return _("Service status: %s", body.get("serviceStatus") or "?")

    # ------------------------------------------------------------------ helpers

    # ------------------------------------------------------------------ request hooks
    # ``correlate``: the request carries the batch's X-CorrelationID; ``callback``: and its
    # X-Callback-URL; ``api="oauth"``: the token endpoint, which takes a plain form.

    def _get_required_fields(self):
        if self.code != "gsma":
            return super()._get_required_fields()
        # the payer identifier is the debit party of every transaction
        return ["gsma_url", "payer_identifier_type", "payer_identifier"]

    def _build_request_url(self, endpoint, **kwargs):
        if self.code != "gsma":
            return super()._build_request_url(endpoint, **kwargs)
        self._check_required_fields()
        return "%s/%s" % (self.gsma_url.rstrip("/"), endpoint.lstrip("/"))

    def _build_request_headers(self, method, endpoint, batch=None, correlate=False, api=None, **kwargs):
        if self.code != "gsma":
            return super()._build_request_headers(method, endpoint, batch=batch, api=api, **kwargs)
        if api == "oauth":
            return {}
        return self._gsma_headers(batch if correlate else None)

    def _build_request_auth(self, batch=None, callback=False, **kwargs):
        if self.code != "gsma":
            return super()._build_request_auth(batch=batch, **kwargs)
        return self._gsma_auth(batch, callback=callback)

    def _parse_response_error(self, response, content=None, **kwargs):
        if self.code != "gsma":
            return super()._parse_response_error(response, content=content, **kwargs)
        return self._gsma_error_text(self._parse_response_content(response) if content is None else content)

    def _gsma_headers(self, batch=None):
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Date": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if batch:
            headers["X-CorrelationID"] = batch.correlation_id
        return headers

    def _callback_base_url(self):
        if self.code != "gsma" or not self.gsma_callback_base_url:
            return super()._callback_base_url()
        return self.gsma_callback_base_url

    def _gsma_callback_url(self, batch):
        if batch._name == "g2p.payment.collection":
            return batch._callback_url()
        base = self._callback_base_url()
        return "%s/g2p/payment_hub/gsma/callback/%s/%s" % (
            base.rstrip("/"),
            batch.correlation_id,
            batch.sudo().callback_token,
        )

    def _gsma_auth(self, batch, callback=False):
        """A requests auth object for the configured mode and, with ``callback``, the X-Callback-URL
        (it carries the batch's token); both stay out of the logged headers."""
        connector = self.sudo()
        mode = connector.gsma_auth_mode or "none"
        secret = {}
        inner = None
        if mode == "api_key":
            secret["X-API-Key"] = connector.gsma_api_key or ""
        elif mode == "basic":
            inner = (connector.gsma_consumer_key or "", connector.gsma_consumer_secret or "")
        elif mode == "oauth":
            secret["Authorization"] = "Bearer %s" % connector._gsma_access_token(batch)
        if callback and connector.gsma_use_callback:
            secret["X-Callback-URL"] = connector._gsma_callback_url(batch)
        return _SecretHeaders(secret, inner)

    def _gsma_access_token(self, batch):
        """The OAuth client-credentials token, from the hub's token cache."""
        credentials = (self.gsma_url, self.gsma_consumer_key, self.gsma_consumer_secret)
        token = self._token_cache_get(credentials)
        if token:
            return token
        response, body = self._request_content(
            batch,
            "POST",
            "v1/oauth/accesstoken",
            api="oauth",
            data={"grant_type": "client_credentials"},
            auth=(self.gsma_consumer_key or "", self.gsma_consumer_secret or ""),
            idempotent=True,
            log_body="grant_type=client_credentials",
        )
        if response.status_code != 200 or not body.get("access_token"):
            raise UserError(
                _("The provider refused the consumer key and secret (HTTP %s).", response.status_code)
            )
        self._token_cache_set(credentials, body["access_token"], body.get("expires_in"), margin=60)
        return body["access_token"]

    def _gsma_get(self, batch, *parts, params=None, log_response=True):
        return self._request_content(
            batch,
            "GET",
            "/".join(str(part).strip("/") for part in parts),
            params=params,
            log_kind="poll",
            log_response=log_response,
        )

    def _find_submitted_batch(self, batch):
        """The provider's batch id for our correlation id (GET /responses/{clientCorrelationId}),
        or None when it never received the batch."""
        if self.code != "gsma":
            return super()._find_submitted_batch(batch)
        response, body = self._gsma_get(batch, "responses", batch.correlation_id)
        if response.status_code != 200:
            return None
        link = body.get("link") or ""
        return link.rstrip("/").rsplit("/", 1)[-1] or None

    def _gsma_request_state(self, batch):
        """The request state of the submission, or {} when it cannot be read. Without a server
        correlation id (the 202 was lost) the batch id is recovered through the correlation id and
        the batch resource is read instead (see _gsma_batch_state)."""
        if not batch.gsma_server_correlation_id:
            if not batch.external_id:
                batch.external_id = self._find_submitted_batch(batch) or False
            return {}
        response, body = self._gsma_get(batch, "requeststates", batch.gsma_server_correlation_id)
        if response.status_code != 200:
            self.env["g2p.payment.batch.log"]._log(
                batch, "error", body=_("Request state not readable: %s", self._gsma_error_text(body))
            )
            return {}
        return body

    def _gsma_batch_state(self, batch):
        """When the request state cannot be read (lost 202, past its pollLimit), the batch
        resource itself tells whether processing is over."""
        if not batch.external_id:
            return {}
        response, body = self._gsma_get(batch, "batchtransactions", batch.external_id)
        if response.status_code == 200 and body.get("batchStatus") == "completed":
            return {"status": "completed", "objectReference": batch.external_id}
        return {}

    def _gsma_pages(self, batch, kind):
        """Every record of /batchtransactions/{id}/<kind>, page by page."""
        limit = max(self.gsma_page_size or 50, 1)
        offset = 0
        while True:
            # Pages list payees' wallets: only their size is logged.
            response, body = self._gsma_get(
                batch,
                "batchtransactions",
                batch.external_id,
                kind,
                params={"offset": offset, "limit": limit},
                log_response=False,
            )
            if response.status_code != 200 or not isinstance(body, list):
                raise G2pTransportError(
                    _("Reading the %(kind)s of batch %(batch)s failed: %(error)s",
                      kind=kind, batch=batch.name, error=self._gsma_error_text(body))
                )  # fmt: skip
            yield from body
            offset += len(body)
            available = response.headers.get("X-Records-Available-Count")
            if not body or len(body) < limit or (available and offset >= int(available)):
                return

    def _gsma_date(self, value):
        """The day of a GSMA date-time in the user's time zone (a UTC date could be 'tomorrow')."""
        try:
            moment = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return fields.Date.context_today(self, timestamp=moment)

    # ------------------------------------------------------------------ collection (merchant payment)

    def _supports_collection(self):
        return self.code == "gsma" or super()._supports_collection()

    def _request_collection(self, collection):
        """A payee-initiated merchant payment (POST /transactions/type/merchantpay): the payer, the
        debit party, authorises it on their handset; the scheme's account is the credit party."""
        if self.code != "gsma":
            return super()._request_collection(collection)
        if not self.payer_identifier:
            raise UserError(
                _("Connector %s needs the scheme's account (payer identifier) to collect.", self.name)
            )
        body = {
            "amount": format_amount(collection.amount, collection.currency_id.decimal_places, "amount"),
            "currency": collection.currency_id.name,
            "debitParty": [{"key": "msisdn", "value": collection.payer_msisdn}],
            "creditParty": [
                {"key": (self.payer_identifier_type or "accountid").lower(), "value": self.payer_identifier}
            ],
            "requestingOrganisationTransactionReference": collection.name,
            "descriptionText": collection.description or collection.name,
        }
        response, content = self._request_content(
            collection,
            "POST",
            "transactions/type/merchantpay",
            correlate=True,
            callback=True,
            data=json.dumps(body).encode(),
            idempotent=False,
        )
        status = response.status_code
        if status == 202:
            if content.get("status") == "failed":
                return {"accepted": False, "reason": self._gsma_error_text(content.get("error") or content)}
            return {"accepted": True, "external_id": content.get("serverCorrelationId")}
        if status >= 500 or (status == 400 and content.get("errorCode") == "duplicateRequest"):
            # It may hold the request: found again through GET /responses/{clientCorrelationId}.
            return {"accepted": True, "error": self._parse_response_error(response, content)}
        return {"accepted": False, "reason": self._parse_response_error(response, content)}

    def _fetch_collection_status(self, collection):
        """The request state, then the transaction it made; without a server correlation id (the
        202 was lost) the transaction is found through our correlation id."""
        if self.code != "gsma":
            return super()._fetch_collection_status(collection)
        if not collection.external_id:
            response, body = self._gsma_get(collection, "responses", collection.request_id)
            link = (body.get("link") or "") if response.status_code == 200 and isinstance(body, dict) else ""
            if not link:
                return {"status": "pending"}
            return self._gsma_collection_result(collection, link.rstrip("/").rsplit("/", 1)[-1])
        response, state = self._gsma_get(collection, "requeststates", collection.external_id)
        if response.status_code != 200:
            raise G2pTransportError(
                _("Request state of %(name)s not readable: %(error)s", name=collection.name,
                  error=self._gsma_error_text(state)),
                status=response.status_code,
            )  # fmt: skip
        if state.get("status") == "failed":
            error = state.get("error") or {}
            declined = error.get("errorCode") in DECLINED_CODES
            return {"status": "rejected" if declined else "failed", "reason": self._gsma_error_text(error)}
        if state.get("status") != "completed" or not state.get("objectReference"):
            return {"status": "pending"}
        return self._gsma_collection_result(collection, state["objectReference"])

    def _gsma_collection_result(self, collection, reference):
        response, transaction = self._gsma_get(collection, "transactions", reference)
        if response.status_code != 200 or not isinstance(transaction, dict):
            return {"status": "pending"}
        status = transaction.get("transactionStatus")
        if status != "completed":
            return {"status": "failed" if status in ("failed", "rejected") else "pending"}
        return {
            "status": "paid",
            "amount": float(transaction.get("amount") or 0),
            "psp_reference": reference,
            "date": self._gsma_date(transaction.get("modificationDate") or transaction.get("creationDate")),
        }

    @staticmethod
    def _gsma_error_text(body):
        if not isinstance(body, dict):
            return str(body)[:250]
        description = body.get("errorDescription") or body.get("errordescription") or ""
        code = body.get("errorCode") or ""
        return ("%s: %s" % (code, description) if code else description) or json.dumps(body)[:250]
