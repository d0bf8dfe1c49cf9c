"""Local stand-in for a GSMA Mobile Money API v1.2 provider: bulk disbursements (batch transactions).

Behaviour follows the GSMA Mobile Money API v1.2.0 OpenAPI definition (developer.mobilemoneyapi.io, "Mobile
Money API" 1.2.0), its API Guidelines and the "Disbursements - Use Case Scenarios" page ("Bulk Disbursement",
"Bulk Disbursement Failure"). Each behaviour below names the section it follows as [spec: ...].

Stdlib + requests, and the payment hub's tests/simulators/base.py. Run
``python addons/g2p_payment_hub_gsma/tests/simulators/gsma.py --host 127.0.0.1 --port 0``;
it prints ``GSMA_SIMULATOR_READY http://127.0.0.1:<port>`` once listening. From tests use
``run_gsma_simulator(**config)``.
The control API under ``/simulator/`` is described in the payment hub's tests/simulators/README.md.
"""

import json
import re
import sys
import threading
import time
import uuid
from base64 import b64decode
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs

import requests

# base.py, shared by the stand-ins, is the payment hub's: its folder goes on the path.
sys.path.append(str(Path(__file__).resolve().parents[3] / "g2p_payment_hub" / "tests" / "simulators"))
import base

READY_PREFIX = "GSMA_SIMULATOR_READY"

DEFAULT_CONFIG = {
    # Seconds between the 202 and the end of batch processing (and the callback).
    "processing_delay": 0.0,
    # Payee MSISDN suffix -> rejection reason; checked after unknown_msisdns.
    "reject_msisdn_suffixes": {},
    # Payee MSISDNs the provider does not know: rejected with "Payee MSISDN <msisdn> is not registered".
    "unknown_msisdns": [],
    # The spec marks every header optional; requiring these catches a connector that forgets them.
    "required_headers": ["X-CorrelationID", "X-Date"],
    # [spec: requestStateObject.pollLimit] number of polls allowed per request state.
    "poll_limit": 100,
    # When set ({errorCategory, errorCode, errorDescription}) the whole batch fails asynchronously.
    "batch_failure": None,
    "callback": {"duplicates": 0, "drop": False, "delay": 0.0},
    # Auth is off unless configured: api_key -> X-API-Key required; consumer_key/secret -> Authorization
    # Bearer (token from POST /v1/oauth/accesstoken) or Basic key:secret required.
    "auth": {"api_key": None, "consumer_key": None, "consumer_secret": None},
    # Merchant payments (payee-initiated, POST /transactions/type/merchantpay): seconds until the
    # payer answers on their phone; what they answer depends on the last digit of their MSISDN.
    "merchantpay_delay": 0.2,
}

# Last digit of the payer's (debit party's) MSISDN -> (outcome, share of the amount paid, callbacks,
# error code, description). Any other digit approves; "3" never answers (the request stays pending).
MERCHANTPAY_SCENARIOS = {
    "2": ("failed", 0, 1, "requestDeclined", "The payer declined the request"),
    "3": (None, 0, 0, None, None),
    "4": ("failed", 0, 1, "insufficientFunds", "Payer has insufficient funds"),
    "5": ("completed", 0.5, 1, None, None),
    "6": ("completed", 1, 3, None, None),
}
MERCHANTPAY_APPROVED = ("completed", 1, 1, None, None)

# [spec: components.schemas.amount] pattern.
AMOUNT_RE = re.compile(r"^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[0-9])?$")
UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
# [spec: components.schemas.type] harmonised transaction types.
TRANSACTION_TYPES = {
    "billpay", "deposit", "disbursement", "transfer", "merchantpay", "inttransfer", "adjustment", "reversal",
    "withdrawal",
}  # fmt: skip
# [spec: Guidelines, error codes] HTTP status per errorCategory.
CATEGORY_STATUS = {
    "validation": 400,
    "businessRule": 400,
    "authorisation": 401,
    "identification": 404,
    "internal": 500,
    "serviceUnavailable": 503,
}
DEFAULT_PAGE_LIMIT = 50  # [spec: parameters.limit] "the server will apply a limit of 50 records"
TOKEN_TTL = 3600


def now_iso():
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_object(category, code, description, parameters=None):
    """[spec: components.schemas.errorObject]. The v1.2 schema spells the field 'errordescription'; the API
    Guidelines and every published example use 'errorDescription', which is what clients read."""
    error = {
        "errorCategory": category,
        "errorCode": code,
        "errorDescription": description,
        "errorDateTime": now_iso(),
    }
    if parameters:
        error["errorParameters"] = [{"key": k, "value": str(v)} for k, v in parameters.items()]
    return error


class ApiError(base.HttpError):
    def __init__(self, category, code, description, parameters=None):
        super().__init__(CATEGORY_STATUS[category], error_object(category, code, description, parameters))


def parse_x_date(value):
    """X-Date is 'format: date-time' in the spec; the Guidelines' examples use RFC 7231. Accept both."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return parsedate_to_datetime(value)


class State(base.State):
    default_config = DEFAULT_CONFIG

    def reset(self):
        with self.lock:
            super().reset()
            self.batches = {}
            self.request_states = {}
            self.polls = {}
            self.correlations = {}  # client X-CorrelationID -> batchId
            self.transactions = {}  # transactionReference -> merchant payment
            self.transaction_correlations = {}  # client X-CorrelationID -> transactionReference
            self.merchant_requests = []  # every merchantpay request received (repeats included)
            self.callbacks = []
            self.tokens = {}


class Handler(base.Handler):
    server_version = "GSMASimulator/1.2"
    state: State

    def do_PATCH(self):
        self.dispatch("PATCH")

    def send_json(self, status, body, headers=None):
        # [spec: components.headers.X-Date] on every response
        super().send_json(status, body, {"X-Date": now_iso(), **(headers or {})})

    def fault_body(self):
        return error_object("internal", "genericError", "Injected fault")

    def control(self, method, name, raw):
        if name == "callbacks" and method == "GET":
            with self.state.lock:
                return 200, self.state.callbacks
        return super().control(method, name, raw)

    # --- GSMA API ----------------------------------------------------------------------------------------

    def route(self, method, path, raw):
        if method == "POST" and path == "/v1/oauth/accesstoken":
            return self.access_token(raw)
        self.check_auth()
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["batchtransactions"]:
            return self.create_batch(raw)
        if method == "GET" and parts[0] == "batchtransactions" and len(parts) in (2, 3):
            batch = self.find_batch(parts[1])
            if len(parts) == 2:
                return 200, self.batch_view(batch), {}
            if parts[2] in ("completions", "rejections"):
                return self.page(batch[parts[2]])
        if method == "POST" and parts == ["transactions", "type", "merchantpay"]:
            return self.create_merchant_payment(raw)
        if method == "GET" and parts[0] == "transactions" and len(parts) == 2:
            return self.transaction_view(parts[1])
        if method == "GET" and parts[0] == "requeststates" and len(parts) == 2:
            return self.request_state(parts[1])
        if method == "GET" and parts[0] == "responses" and len(parts) == 2:
            return self.response_link(parts[1])
        if method == "GET" and parts == ["heartbeat"]:
            return 200, {"serviceStatus": "available"}, {}  # [spec: /heartbeat]
        raise ApiError("identification", "genericError", f"No resource at {method} {path}")

    def access_token(self, raw):
        """OAuth 2.0 client credentials, as the GSMA SDKs call the sandbox: POST /v1/oauth/accesstoken with
        Basic consumerKey:consumerSecret and form body grant_type=client_credentials."""
        auth = self.state.config["auth"]
        if not auth.get("consumer_key"):
            raise ApiError("identification", "genericError", "OAuth is not configured on this simulator")
        if parse_qs(raw.decode()).get("grant_type") != ["client_credentials"]:
            raise ApiError("validation", "formatError", "grant_type must be client_credentials")
        if not self.basic_matches(auth):
            raise ApiError("authorisation", "clientAuthorisationError", "Invalid consumer key or secret")
        token = uuid.uuid4().hex
        with self.state.lock:
            self.state.tokens[token] = time.time() + TOKEN_TTL
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL}, {}

    def basic_matches(self, auth):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            key, _, secret = b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return (key, secret) == (auth["consumer_key"], auth["consumer_secret"])

    def check_auth(self):
        """[spec: parameters.X-API-Key / Security Guidelines] pre-shared API key header plus, when consumer
        credentials are configured, a Bearer token ('standard' level) or Basic credentials ('development')."""
        auth = self.state.config["auth"]
        if auth.get("api_key") and self.headers.get("X-API-Key") != auth["api_key"]:
            raise ApiError("authorisation", "clientAuthorisationError", "Missing or invalid X-API-Key")
        if auth.get("consumer_key"):
            header = self.headers.get("Authorization", "")
            if header.startswith("Bearer "):
                with self.state.lock:
                    expiry = self.state.tokens.get(header[7:], 0)
                if expiry > time.time():
                    return
                raise ApiError("authorisation", "clientAuthorisationError", "Invalid or expired access token")
            if not self.basic_matches(auth):
                raise ApiError(
                    "authorisation", "clientAuthorisationError", "Missing or invalid Authorization"
                )

    def validate_headers(self):
        for name in self.state.config["required_headers"]:
            if not self.headers.get(name):
                raise ApiError(
                    "validation", "mandatoryValueNotSupplied", f"Header {name} is required", {name: ""}
                )
        correlation_id = self.headers.get("X-CorrelationID")
        if correlation_id and not UUID_RE.match(correlation_id):
            # [spec: parameters.X-CorrelationID] "Must be supplied as a UUID."
            raise ApiError(
                "validation",
                "formatError",
                "X-CorrelationID must be a UUID",
                {"X-CorrelationID": correlation_id},
            )
        x_date = self.headers.get("X-Date")
        if x_date:
            try:
                parse_x_date(x_date)
            except (TypeError, ValueError):
                raise ApiError(
                    "validation", "formatError", "X-Date is not a valid date-time", {"X-Date": x_date}
                ) from None
        callback = self.headers.get("X-Callback-URL")
        if callback and not re.match(r"^https?://[^\s/]+", callback):
            raise ApiError(
                "validation",
                "formatError",
                "X-Callback-URL must be an http(s) URL",
                {"X-Callback-URL": callback},
            )
        return correlation_id, callback

    def validate_body(self, raw):
        """[spec: requestBodies.createBatchTransaction -> requestBatchTransaction, requestTransaction]."""
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError("validation", "formatError", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError("validation", "formatError", "Request body must be a JSON object")
        transactions = body.get("transactions")
        if not isinstance(transactions, list) or not transactions:
            raise ApiError(
                "validation", "mandatoryValueNotSupplied", "transactions must be a non-empty array"
            )
        for index, txn in enumerate(transactions):
            where = f"transactions[{index}]"
            if not isinstance(txn, dict):
                raise ApiError("validation", "formatError", f"{where} must be an object")
            for field in ("amount", "currency", "type", "debitParty", "creditParty"):
                if txn.get(field) in (None, "", []):
                    raise ApiError(
                        "validation",
                        "mandatoryValueNotSupplied",
                        f"{where}.{field} is required",
                        {f"{where}.{field}": ""},
                    )
            amount = txn["amount"]
            if not isinstance(amount, str) or not AMOUNT_RE.match(amount):
                raise ApiError(
                    "validation",
                    "formatError",
                    f"{where}.amount must be a decimal string",
                    {f"{where}.amount": amount},
                )
            if float(amount) <= 0:
                raise ApiError(
                    "validation",
                    "negativeValue",
                    f"{where}.amount must be positive",
                    {f"{where}.amount": amount},
                )
            if not isinstance(txn["currency"], str) or not re.match(r"^[A-Z]{3}$", txn["currency"]):
                raise ApiError(
                    "validation", "currencyNotSupported", f"{where}.currency is not an ISO 4217 code",
                    {f"{where}.currency": txn["currency"]},
                )  # fmt: skip
            if txn["type"] not in TRANSACTION_TYPES:
                raise ApiError(
                    "validation",
                    "transactionTypeError",
                    f"{where}.type is not a harmonised type",
                    {f"{where}.type": txn["type"]},
                )
            for side in ("debitParty", "creditParty"):
                parties = txn[side]
                valid = isinstance(parties, list) and 1 <= len(parties) <= 10
                valid = valid and all(
                    isinstance(p, dict) and p.get("key") and p.get("value") for p in parties
                )
                if not valid:
                    raise ApiError(
                        "validation", "formatError", f"{where}.{side} must be 1 to 10 {{key, value}} pairs"
                    )  # fmt: skip
        return body

    def create_batch(self, raw):
        """[spec: POST /batchtransactions -> 202 requestStateObject; Use Case 'Bulk Disbursement' step 1]."""
        correlation_id, callback = self.validate_headers()
        body = self.validate_body(raw)
        state = self.state
        with state.lock:
            if correlation_id and correlation_id in state.correlations:
                # [spec: Guidelines, Idempotency] "If the previous request was subsequently processed then
                # the API provider will reject the request due to a duplicate Client Correlation Id"; the
                # client then fetches the resource via GET /responses/{clientCorrelationId}.
                raise ApiError(
                    "businessRule", "duplicateRequest", f"Duplicate X-CorrelationID {correlation_id}",
                    {"X-CorrelationID": correlation_id},
                )  # fmt: skip
            batch_id = f"BT-{uuid.uuid4()}"
            created = now_iso()
            server_correlation_id = str(uuid.uuid4())
            batch = {
                "batchId": batch_id,
                "batchStatus": "approved",  # a one-shot batch needs no maker/checker approval
                "batchTitle": body.get("batchTitle"),
                "batchDescription": body.get("batchDescription"),
                "scheduledStartDate": body.get("scheduledStartDate"),
                "processingFlag": True,
                "creationDate": created,
                "approvalDate": created,
                "completionDate": None,
                "parsingSuccessCount": len(body["transactions"]),
                "completedCount": 0,
                "rejectionCount": 0,
                "transactions": body["transactions"],
                "completions": [],
                "rejections": [],
            }
            request_state = {
                "serverCorrelationId": server_correlation_id,
                "status": "pending",
                "notificationMethod": "callback" if callback else "polling",
                "objectReference": batch_id,
                "pollLimit": state.config["poll_limit"],
            }
            state.batches[batch_id] = batch
            state.request_states[server_correlation_id] = request_state
            if correlation_id:
                state.correlations[correlation_id] = batch_id
            delay = state.config["processing_delay"]
            accepted = dict(request_state)  # copied before processing can complete it
        job = threading.Timer(
            delay, self.process, (state, batch_id, server_correlation_id, correlation_id, callback)
        )
        job.daemon = True
        job.start()
        return 202, accepted, {}

    @staticmethod
    def payee_msisdn(txn):
        parties = txn["creditParty"]
        return next((p["value"] for p in parties if p["key"].lower() == "msisdn"), parties[0]["value"])

    @classmethod
    def process(cls, state, batch_id, server_correlation_id, correlation_id, callback):
        with state.lock:
            config = state.config
            batch = state.batches.get(batch_id)
            if batch is None:  # the state was reset while this batch waited
                return
            request_state = state.request_states[server_correlation_id]
            batch["processingFlag"] = False
            if config["batch_failure"]:
                # [spec: Use Case 'Bulk Disbursement Failure'] the callback carries the error object.
                failure = config["batch_failure"]
                error = error_object(
                    failure["errorCategory"], failure["errorCode"], failure.get("errorDescription", "")
                )
                request_state.update(status="failed", error=error)
                payload = error
            else:
                for txn in batch["transactions"]:
                    cls.settle(config, batch, txn)
                batch["batchStatus"] = "completed"
                batch["completionDate"] = now_iso()
                request_state["status"] = "completed"
                payload = cls.batch_view(batch)
            callback_config = dict(config["callback"])
        if callback and not callback_config.get("drop"):
            cls.send_callback(state, callback, correlation_id, payload, callback_config)

    @classmethod
    def settle(cls, config, batch, txn):
        msisdn = cls.payee_msisdn(txn)
        reason = None
        if msisdn in config["unknown_msisdns"]:
            reason = f"Payee MSISDN {msisdn} is not registered"
        else:
            reason = next(
                (r for s, r in config["reject_msisdn_suffixes"].items() if msisdn.endswith(s)), None
            )
        parties = {
            "debitParty": txn["debitParty"],
            "creditParty": txn["creditParty"],
            "requestingOrganisationTransactionReference": txn.get(
                "requestingOrganisationTransactionReference"
            ),
        }
        if reason:
            # [spec: components.schemas.responseBatchTransactionRejection]
            batch["rejections"].append({"rejectionDate": now_iso(), "rejectionReason": reason, **parties})
            batch["rejectionCount"] += 1
        else:
            # [spec: components.schemas.responseBatchTransactionCompletion]
            reference = f"TX-{uuid.uuid4().hex[:16]}"
            batch["completions"].append(
                {
                    "transactionReference": reference,
                    "completionDate": now_iso(),
                    "link": f"/transactions/{reference}",
                    **parties,
                }
            )
            batch["completedCount"] += 1

    @staticmethod
    def send_callback(state, url, correlation_id, payload, callback_config):
        """[spec: callbacks.batchTransactionsSuccessEvent / batchTransactionsFailureEvent] PUT to
        X-Callback-URL with the client's X-CorrelationID; the client answers 204."""
        time.sleep(callback_config.get("delay", 0.0))
        headers = {"Content-Type": "application/json", "X-Date": now_iso()}
        if correlation_id:
            headers["X-CorrelationID"] = correlation_id
        for _ in range(1 + int(callback_config.get("duplicates", 0))):
            entry = {"url": url, "body": payload, "time": time.time()}
            try:
                entry["status"] = requests.put(url, json=payload, headers=headers, timeout=5).status_code
            except requests.RequestException as exc:
                entry["error"] = str(exc)
            with state.lock:
                state.callbacks.append(entry)

    @staticmethod
    def batch_view(batch):
        """[spec: components.schemas.responseBatchTransaction], without the transaction lists."""
        hidden = ("transactions", "completions", "rejections")
        return {k: v for k, v in batch.items() if k not in hidden and v is not None}

    def find_batch(self, batch_id):
        with self.state.lock:
            batch = self.state.batches.get(batch_id)
        if batch is None:
            raise ApiError(
                "identification", "genericError", f"Batch {batch_id} not found", {"batchId": batch_id}
            )
        return batch

    def page(self, records):
        """[spec: parameters.offset / limit, headers X-Records-Available-Count / X-Records-Returned-Count]."""
        try:
            offset = int(self.query.get("offset", 0))
        except ValueError:
            offset = -1
        if offset < 0:
            raise ApiError("validation", "invalidOffset", "offset must be a non-negative integer")
        try:
            limit = int(self.query.get("limit", DEFAULT_PAGE_LIMIT))
        except ValueError:
            limit = 0
        if limit < 1:
            raise ApiError("validation", "formatError", "limit must be a positive integer")
        with self.state.lock:
            selected = records[offset : offset + limit]
            available = len(records)
        headers = {"X-Records-Available-Count": available, "X-Records-Returned-Count": len(selected)}
        return 200, [{k: v for k, v in r.items() if v is not None} for r in selected], headers

    def request_state(self, server_correlation_id):
        """[spec: GET /requeststates/{serverCorrelationId}]; polls beyond pollLimit are refused."""
        state = self.state
        with state.lock:
            request_state = state.request_states.get(server_correlation_id)
            if request_state is None:
                raise ApiError(
                    "identification", "genericError", f"Request state {server_correlation_id} not found"
                )
            state.polls[server_correlation_id] = polls = state.polls.get(server_correlation_id, 0) + 1
            if polls > request_state["pollLimit"]:
                raise ApiError(
                    "businessRule", "rateLimitError", f"Poll limit of {request_state['pollLimit']} exceeded"
                )
            return 200, dict(request_state), {}

    def response_link(self, client_correlation_id):
        """[spec: GET /responses/{clientCorrelationId} -> responseResponse {link}]."""
        with self.state.lock:
            batch_id = self.state.correlations.get(client_correlation_id)
            reference = self.state.transaction_correlations.get(client_correlation_id)
        if reference:
            return 200, {"link": f"/transactions/{reference}"}, {}
        if batch_id is None:
            raise ApiError("identification", "genericError", f"No response for {client_correlation_id}")
        return 200, {"link": f"/batchtransactions/{batch_id}"}, {}

    # --- merchant payments (payee-initiated collection) --------------------------------------------------

    def create_merchant_payment(self, raw):
        """[spec: POST /transactions/type/{transactionType} -> 202 requestStateObject; Use Case
        'Payee-Initiated Merchant Payment']: the merchant (the scheme) asks the payer (debitParty) to
        pay; the payer authorises on their handset, then the transaction exists."""
        correlation_id, callback = self.validate_headers()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise ApiError("validation", "formatError", "Body is not JSON") from None
        amount, currency = str(body.get("amount") or ""), body.get("currency") or ""
        debit = [p for p in body.get("debitParty") or [] if isinstance(p, dict)]
        credit = [p for p in body.get("creditParty") or [] if isinstance(p, dict)]
        msisdn = next((str(p.get("value")) for p in debit if str(p.get("key", "")).lower() == "msisdn"), "")
        if not AMOUNT_RE.match(amount) or float(amount) <= 0:
            raise ApiError("validation", "formatError", "amount is not a valid amount", {"amount": amount})
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise ApiError("validation", "formatError", "currency must be an ISO 4217 code")
        if not re.fullmatch(r"\+?\d{6,15}", msisdn) or not credit:
            raise ApiError(
                "validation", "mandatoryValueNotSupplied", "debitParty msisdn and creditParty are required"
            )
        state = self.state
        with state.lock:
            state.merchant_requests.append({"clientCorrelationId": correlation_id, "msisdn": msisdn})
            if correlation_id and correlation_id in state.transaction_correlations:
                # [spec: Guidelines, Idempotency] as for batches: a repeat is refused as a duplicate.
                raise ApiError(
                    "businessRule", "duplicateRequest", f"Duplicate X-CorrelationID {correlation_id}",
                    {"X-CorrelationID": correlation_id},
                )  # fmt: skip
            server_correlation_id = str(uuid.uuid4())
            request_state = {
                "serverCorrelationId": server_correlation_id,
                "status": "pending",
                "notificationMethod": "callback" if callback else "polling",
                "pollLimit": state.config["poll_limit"],
            }
            state.request_states[server_correlation_id] = request_state
            reference = f"MP-{uuid.uuid4().hex[:16]}"
            if correlation_id:
                state.transaction_correlations[correlation_id] = reference
            delay = state.config["merchantpay_delay"]
            accepted = dict(request_state)
        payment = {**body, "transactionReference": reference, "msisdn": msisdn}
        job = threading.Timer(
            delay,
            self.answer_merchant_payment,
            (state, server_correlation_id, correlation_id, callback, payment),
        )
        job.daemon = True
        job.start()
        return 202, accepted, {}

    @classmethod
    def answer_merchant_payment(cls, state, server_correlation_id, correlation_id, callback, payment):
        outcome, share, callbacks, code, description = MERCHANTPAY_SCENARIOS.get(
            payment["msisdn"][-1:], MERCHANTPAY_APPROVED
        )
        if outcome is None:
            return
        with state.lock:
            request_state = state.request_states.get(server_correlation_id)
            if request_state is None:  # reset meanwhile
                return
            if outcome == "failed":
                error = error_object("businessRule", code, description)
                request_state.update(status="failed", error=error)
                payload = error
            else:
                now = now_iso()
                reference = payment["transactionReference"]
                transaction = {
                    "transactionReference": reference,
                    "transactionStatus": "completed",
                    "type": "merchantpay",
                    "amount": "%.2f" % (float(payment["amount"]) * share),
                    "currency": payment["currency"],
                    "debitParty": payment["debitParty"],
                    "creditParty": payment["creditParty"],
                    "requestingOrganisationTransactionReference": payment.get(
                        "requestingOrganisationTransactionReference"
                    ),
                    "creationDate": now,
                    "modificationDate": now,
                }
                state.transactions[reference] = transaction
                request_state.update(status="completed", objectReference=reference)
                payload = transaction
            drop = state.config["callback"].get("drop")
        if not callback or drop:
            return
        headers = {"Content-Type": "application/json", "X-Date": now_iso()}
        if correlation_id:
            headers["X-CorrelationID"] = correlation_id
        for _copy in range(callbacks):
            # [spec: callbacks] PUT to X-Callback-URL; a provider retries an answer that is not 2xx.
            for _try in range(3):
                entry = {"url": callback, "body": payload, "time": time.time()}
                try:
                    entry["status"] = requests.put(
                        callback, json=payload, headers=headers, timeout=5
                    ).status_code
                except requests.RequestException as exc:
                    entry["error"] = str(exc)
                with state.lock:
                    state.callbacks.append(entry)
                if 200 <= entry.get("status", 0) < 300:
                    break
                time.sleep(0.5)

    def transaction_view(self, reference):
        """[spec: GET /transactions/{transactionReference}]."""
        with self.state.lock:
            transaction = self.state.transactions.get(reference)
        if transaction is None:
            raise ApiError("identification", "genericError", f"Transaction {reference} not found")
        return 200, {k: v for k, v in transaction.items() if v is not None}, {}


class SimulatorProcess(base.SimulatorProcess):
    def __init__(self, url, process):
        super().__init__(url, process)
        self.session = requests.Session()  # for tests that call the API directly


def run_gsma_simulator(**config):
    """Context manager: start this stand-in in a subprocess; yields .url, .session and .control()."""
    return base.run_simulator(__file__, READY_PREFIX, config, SimulatorProcess)


if __name__ == "__main__":
    base.serve_main(__doc__.splitlines()[0], READY_PREFIX, Handler, State)
