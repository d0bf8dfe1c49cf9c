#!/usr/bin/env python3
"""A standalone simulator of Mifos Payment Hub EE (PH-EE): the bulk processor's
``POST /batchtransactions`` and the operations app's ``/oauth/token`` and ``/api/v1`` status API.

It follows ``docs/phee-bulk.md`` and PH-EE's own source (ph-ee-bulk-processor master, July 2024;
ph-ee-operations-app master, Aug 2024). Where PH-EE has a quirk that a connector must survive, the
simulator keeps it and says so in a comment. It is test equipment: it runs as its own process, speaks
real HTTP both ways (callbacks included) and adds a ``/simulator/...`` control API for fault injection.

Run: python addons/g2p_payment_hub_phee/tests/simulators/phee.py --host 127.0.0.1 --port 0 [--config f.json]
It prints ``PHEE_SIMULATOR_READY http://127.0.0.1:<port>`` on stdout once it listens.

Python 3.11 standard library plus ``cryptography`` (certificate loading) and ``requests`` (callbacks), and
base.py next to it.
"""

import base64
import copy
import datetime
import hashlib
import hmac
import itertools
import json
import logging
import math
import re
import secrets
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.backends import default_backend

# base.py, shared by the stand-ins, is the payment hub's: its folder goes on the path.
sys.path.append(str(Path(__file__).resolve().parents[3] / "g2p_payment_hub" / "tests" / "simulators"))
import base

_logger = logging.getLogger("phee_simulator")

KEYS_DIR = Path(__file__).resolve().parent / "keys"
READY_MARKER = "PHEE_SIMULATOR_READY"

# The CSV columns PH-EE's Transaction schema knows, in its order (docs/phee-bulk.md §1).
CSV_COLUMNS = (
    "id",
    "request_id",
    "payment_mode",
    "payer_identifier_type",
    "payer_identifier",
    "payee_identifier_type",
    "payee_identifier",
    "amount",
    "currency",
    "note",
    "account_number",
    "program_shortcode",
    "cycle",
    "payee_dfsp_id",
    "batch_id",
)
CSV_COLUMN_SET = frozenset(CSV_COLUMNS)

# The operations app's OAuth client is "client" with an empty secret: Basic base64("client:").
OPS_CLIENT_BASIC = "Basic Y2xpZW50Og=="

DEFAULT_CONFIG = {
    # Tenants the hub knows (Platform-TenantId); PH-EE's sample tenants.
    "tenants": ["gorilla", "lion", "rhino"],
    # csv.size: the largest accepted file, in bytes.
    "csv_size": 100000,
    # Payment modes with a configured connector; any other mode fails every row of the batch.
    "known_payment_modes": ["mojaloop", "gsma", "closedloop"],
    # bulk-processor splitting.sub-batch-size: rows per sub-batch within one payee DFSP.
    "sub_batch_size": 5,
    # Account lookup: off by default (PH-EE's default). When on, payees listed in unknown_payees or
    # matching unknown_payee_pattern (a regex, full match) are "not found"; the others get lookup_dfsp.
    "account_lookup": False,
    "unknown_payees": [],
    "unknown_payee_pattern": None,
    "lookup_dfsp": "pluto",
    # Outcome rule for rows that reach a payment connector.
    "fail_if_payee_endswith": [],
    "fail_amount_over": None,
    "fail_reason": "Payee FSP rejected the transfer",
    # This share of the rows that will succeed or fail stays IN_PROGRESS until the batch has been read
    # settle_after_polls times through the operations API (or /simulator/complete is called).
    "in_progress_fraction": 0.0,
    "settle_after_polls": 1,
    # Seconds between acceptance (202) and processing; 0 processes at once in the background.
    "processing_delay": 0.0,
    # Callback knobs.
    "callback_delay": 0.0,
    "callback_duplicates": 0,
    "callback_drop": False,
    "callback_max_retry": 3,
    "callback_timeout": 5.0,
    # Operations app OAuth (password grant); when on, every /api/v1 call needs a Bearer token.
    "oauth": False,
    "oauth_users": {"mifos": "password"},
    # JWS: verify X-SIGNATURE on submissions with this certificate.
    "jws_verify": False,
    "jws_cert": str(KEYS_DIR / "test_only_jws_cert.pem"),
    # The same X-CorrelationID submitted again: "accept" (PH-EE master: a second batch is created,
    # so the payments go out twice) or "conflict" (409, an unmerged PH-EE change, commit 5be54b3).
    "duplicate_correlation": "accept",
    # pollingApi.timer, echoed as SuggestedCallbackSeconds.
    "polling_timer": "120",
    # Requests to pay (POST /channel/transactionRequest): seconds until the payer answers on their
    # phone. What they answer depends on the last digit of their MSISDN (COLLECTION_SCENARIOS).
    "collection_delay": 0.2,
    # Single transfers (POST /channel/transfer): seconds until the payee's FSP commits them. How
    # they end depends on the last character of the payee's identifier (TRANSFER_SCENARIOS).
    "transfer_delay": 0.2,
}
# Last digit of the payer's MSISDN -> (final state, share of the amount paid, callbacks sent, error).
# Any other digit approves. "3" never answers (the request stays RECEIVED: the hub expires it).
COLLECTION_SCENARIOS = {
    "2": ("REJECTED", 0, 1, "Payer rejected the transaction request"),
    "3": (None, 0, 0, None),
    "4": ("FAILED", 0, 1, "Payer FSP: insufficient funds"),
    "5": ("ACCEPTED", Decimal("0.5"), 1, None),
    "6": ("ACCEPTED", 1, 3, None),
}
COLLECTION_APPROVED = ("ACCEPTED", 1, 1, None)
# Last character of the payee's identifier -> (final transferState, callbacks sent, error). Any
# other character commits. "8" never settles (the transfer stays RECEIVED).
TRANSFER_SCENARIOS = {
    "9": ("ABORTED", 1, "Payee FSP: account closed"),
    "8": (None, 0, None),
    "7": ("COMMITTED", 3, None),
}
TRANSFER_COMMITTED = ("COMMITTED", 1, None)

FAULT_KINDS = ("submit_status", "submit_delay", "accept_then_fail", "ops_status", "channel_accept_then_fail")


def _by_correlation(transactions, correlation):
    """The transaction (request to pay, channel transfer) already received with ``correlation``."""
    if not correlation:
        return None
    return next((t for t in transactions.values() if t["clientCorrelationId"] == correlation), None)


def phee_error(status, information, description):
    """PH-EE bulk processor's error body."""
    return base.HttpError(
        status, {"errorInformation": information, "errorDescription": description, "errorCode": status}
    )


def spring_error(status, error, message, path):
    """Spring Boot's default error body (missing required header, unknown route...)."""
    return base.HttpError(
        status,
        {
            "timestamp": _iso_now(),
            "status": status,
            "error": error,
            "message": message,
            "path": path,
        },
    )


def _iso_now():
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _now_ms():
    return int(time.time() * 1000)


def _java_date(ms):
    """``String.valueOf(java.util.Date)`` in UTC, as the operations app prints createdAt."""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _java_double(value):
    """``Double.toString``: 100.0, 66.66666666666667, NaN."""
    return "NaN" if math.isnan(value) else repr(float(value))


def _java_percent(value):
    """``new DecimalFormat("#.##")`` rounding FLOOR: 100, 33.33, 66.66, NaN."""
    if math.isnan(value):
        return "NaN"
    floored = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    return f"{floored:f}".rstrip("0").rstrip(".")


def _num(value):
    """A Decimal as a JSON number: integral amounts stay integers."""
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------------------------------------------
# JWS (docs/phee-bulk.md §5), written from the description, not from PH-EE's Java.


def load_public_numbers(cert_path):
    """(n, e) of the RSA key in a PEM X.509 certificate."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes(), default_backend())
    numbers = cert.public_key().public_numbers()
    return numbers.n, numbers.e


def signed_string(header_values, payload):
    """S: the present values of X-BatchID, X-CorrelationID, Platform-TenantId, each followed by ':',
    then the payload."""
    return "".join(f"{value}:" for value in header_values if value) + payload


def verify_signature(public_numbers, signature_b64, header_values, payload):
    """True when ``signature_b64`` is the RSA PKCS#1 v1.5 block-type-1 private-key encryption (no
    DigestInfo) of the UTF-8 hex SHA3-256 of S."""
    n, e = public_numbers
    size = (n.bit_length() + 7) // 8
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    if len(signature) != size or int.from_bytes(signature, "big") >= n:
        return False
    block = pow(int.from_bytes(signature, "big"), e, n).to_bytes(size, "big")
    # 00 01 FF..FF 00 payload, with at least eight FF bytes of padding.
    separator = block.find(b"\x00", 2)
    if block[:2] != b"\x00\x01" or separator < 10 or block[2:separator].strip(b"\xff"):
        return False
    expected = hashlib.sha3_256(signed_string(header_values, payload).encode()).hexdigest().encode()
    return hmac.compare_digest(block[separator + 1 :], expected)


# ---------------------------------------------------------------------------------------------------
# Request parsing


def parse_multipart(content_type, body):
    """{part name: bytes} of a multipart/form-data body (a small parser: one pass over the bytes)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not match:
        return {}
    delimiter = b"--" + match.group(1).encode()
    parts = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.partition(b"\r\n\r\n")
        name = re.search(rb'(?<!\w)name="([^"]*)"', head)
        if name:
            # The part's data ends with the CRLF that precedes the next delimiter.
            parts[name.group(1).decode()] = data[:-2] if data.endswith(b"\r\n") else data
    return parts


def parse_csv(text):
    """(rows, well_formed) from PH-EE-style CSV: header first, values split naively on commas (no
    quoting), so a comma inside a value shifts the columns. Raises when the header has a column PH-EE
    does not know (exact spelling)."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0].split(",") if lines else []
    if not header or not set(header) <= CSV_COLUMN_SET or len(set(header)) != len(header):
        raise phee_error(
            400,
            "Invalid file structure",
            "The file uploaded contains wrong structure. Please upload correct file columns and try again.",
        )
    rows = []
    well_formed = True
    for line in lines[1:]:
        values = line.split(",")
        if len(values) != len(header):
            well_formed = False
        rows.append(dict(zip(header, values, strict=False)))
    return rows, well_formed


def rows_from_raw(items):
    """CSV-shaped rows from the RAW JSON variant (PH-EE converts it to CSV before processing)."""
    rows = []
    for index, item in enumerate(items):
        credit = (item.get("creditParty") or [{}])[0]
        debit = (item.get("debitParty") or [{}])[0]
        rows.append(
            {
                "id": str(index),
                "request_id": item.get("requestId") or "",
                "payment_mode": item.get("paymentMode") or "",
                "payer_identifier_type": debit.get("key") or "",
                "payer_identifier": debit.get("value") or "",
                "payee_identifier_type": credit.get("key") or "",
                "payee_identifier": credit.get("value") or "",
                "amount": str(item.get("amount", "")),
                "currency": item.get("currency") or "",
                "note": item.get("descriptionText") or "",
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------
# State


@dataclass
class Batch:
    batch_id: str
    correlation_id: str
    tenant: str
    purpose: str
    filename: str
    callback_url: str
    registering_institution_id: str
    payee_dfsp_header: str
    rows: list
    well_formed: bool
    created_at: int = field(default_factory=_now_ms)
    # Arrival order, which breaks ties between batches created within the same millisecond.
    seq: int = 0
    completed_at: int | None = None
    processed: bool = False
    note: str | None = None
    transfers: list = field(default_factory=list)
    sub_batches: dict = field(default_factory=dict)  # sub-batch id -> list of transfers
    duplicates: list = field(default_factory=list)
    # Transfers reported IN_PROGRESS for now, with the outcome they will settle to.
    pending: list = field(default_factory=list)
    polls: int = 0


class State:
    """Everything the simulator holds, behind one lock. Batches are found by id in a dict; the
    correlation ids seen so far are a set."""

    def __init__(self, config):
        self.lock = threading.RLock()
        self.base_config = copy.deepcopy(config)
        self.reset()

    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(self.base_config)
            self.faults = []
            self.batches = {}
            self.correlation_ids = set()
            self.received = []
            self.arrivals = itertools.count(1)
            self.callbacks = []
            self.tokens = set()
            self._public_numbers = None
            # transactionId -> transaction request (a dict shaped like the operations app's entity).
            self.transaction_requests = {}
            self.transaction_request_log = []
            # transactionId -> single transfer of the channel connector.
            self.channel_transfers = {}
            self.channel_transfer_log = []

    def merge_config(self, values):
        unknown = sorted(set(values) - set(DEFAULT_CONFIG))
        if unknown:
            raise base.HttpError(400, {"error": "unknown config keys", "keys": unknown})
        with self.lock:
            self.config.update(values)
            self._public_numbers = None

    def public_numbers(self):
        with self.lock:
            if self._public_numbers is None:
                self._public_numbers = load_public_numbers(self.config["jws_cert"])
            return self._public_numbers

    def add_fault(self, spec):
        """{"submit_status": 500, "count": 2} | {"submit_delay": 5, "count": 1} |
        {"accept_then_fail": 1, "mode": "500"|"drop"} | {"ops_status": 503, "count": 1} |
        {"channel_accept_then_fail": 1}: a channel transfer registered, then answered 500 (the
        answer is lost: the caller must find it by its correlation id)."""
        kinds = [kind for kind in FAULT_KINDS if kind in spec]
        if len(kinds) != 1:
            raise base.HttpError(400, {"error": "give exactly one of " + ", ".join(FAULT_KINDS)})
        kind = kinds[0]
        if kind == "accept_then_fail":
            fault = {"kind": kind, "value": spec.get("mode", "500"), "count": int(spec[kind])}
        else:
            fault = {"kind": kind, "value": spec[kind], "count": int(spec.get("count", 1))}
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, kinds):
        """The first armed fault of one of ``kinds``, consuming one use of it."""
        with self.lock:
            for fault in self.faults:
                if fault["kind"] in kinds and fault["count"] > 0:
                    fault["count"] -= 1
                    return dict(fault)
        return None


# ---------------------------------------------------------------------------------------------------
# Processing: what the bulk processor's workflow does after the 202.


class Processor:
    def __init__(self, state):
        self.state = state
        self.workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="phee-process")
        self.callback_workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="phee-callback")
        self.http = requests.Session()

    def shutdown(self):
        self.workers.shutdown(wait=False, cancel_futures=True)
        self.callback_workers.shutdown(wait=False, cancel_futures=True)

    def schedule(self, batch):
        delay = float(self.state.config["processing_delay"])
        if delay > 0:
            timer = threading.Timer(delay, self.workers.submit, args=(self.process, batch))
            timer.daemon = True
            timer.start()
        else:
            self.workers.submit(self.process, batch)

    def process(self, batch):
        try:
            self._process(batch)
        except Exception:  # an executor swallows it: a bug here must at least show on stderr
            _logger.exception("processing batch %s failed", batch.batch_id)

    def _process(self, batch):
        with self.state.lock:
            config = dict(self.state.config)
        if not batch.well_formed:
            # ProcessorStartRouteService.verifyData: the batch is accepted but nothing is paid.
            with self.state.lock:
                batch.note = "Invalid data in file data processing stopped"
                batch.processed = True
            return
        kept = []
        seen = set()
        duplicates = []
        for row in batch.rows:
            # DeDuplicationRoute: payee id + type + amount + currency; the later row is dropped.
            key = (
                row.get("payee_identifier"),
                row.get("payee_identifier_type"),
                row.get("amount"),
                row.get("currency"),
            )
            if key in seen:
                duplicates.append({**row, "note": "Duplicate transaction."})
            else:
                seen.add(key)
                kept.append(row)

        rule = OutcomeRule(config)
        transfers, pending = [], []
        reached = 0  # rows that reached a payment connector so far
        for row in kept:
            transfer, final = self._transfer(batch, row, config, rule)
            transfers.append(transfer)
            if final is None:
                continue
            if rule.stays_in_progress(reached):
                pending.append((transfer, final))
            else:
                transfer.update(final)
            reached += 1

        sub_batches = {}
        by_dfsp = {}
        for transfer in transfers:
            by_dfsp.setdefault(transfer["payeeDfspId"], []).append(transfer)
        size = max(1, int(config["sub_batch_size"]))
        for group in by_dfsp.values():
            for start in range(0, len(group), size):
                sub_batch_id = str(uuid.uuid4())
                for transfer in group[start : start + size]:
                    transfer["batchId"] = sub_batch_id
                sub_batches[sub_batch_id] = group[start : start + size]

        with self.state.lock:
            batch.transfers = transfers
            batch.sub_batches = sub_batches
            batch.duplicates = duplicates
            batch.pending = pending
            batch.processed = True
            if not pending:
                batch.completed_at = _now_ms()
        self.send_callback(batch)

    def _transfer(self, batch, row, config, rule):
        """(transfer as the operations app lists it, the outcome it settles to or None when it has
        failed already)."""
        amount = _amount(row.get("amount"))
        payee = row.get("payee_identifier") or ""
        transfer = {
            "id": None,
            "workflowInstanceKey": None,
            "transactionId": str(uuid.uuid4()),
            "startedAt": _now_ms(),
            "completedAt": None,
            "status": "IN_PROGRESS",
            "statusDetail": None,
            "payeeDfspId": row.get("payee_dfsp_id") or batch.payee_dfsp_header or None,
            "payeePartyId": payee,
            "payeePartyIdType": row.get("payee_identifier_type") or None,
            "payeeFee": None,
            "payeeFeeCurrency": None,
            "payeeQuoteCode": None,
            "payerDfspId": batch.tenant,
            "payerPartyId": row.get("payer_identifier") or None,
            "payerPartyIdType": row.get("payer_identifier_type") or None,
            "payerFee": None,
            "payerFeeCurrency": None,
            "payerQuoteCode": None,
            "amount": _num(amount) if amount is not None else None,
            "currency": row.get("currency") or None,
            "direction": "OUTGOING",
            "errorInformation": None,
            "batchId": None,
            "clientCorrelationId": row.get("request_id") or None,
            "paymentMode": row.get("payment_mode") or None,
        }
        if config["account_lookup"]:
            if _payee_unknown(payee, config):
                transfer.update(_failed(404, "Payee Identifier not found"))
                return transfer, None
            transfer["payeeDfspId"] = transfer["payeeDfspId"] or config["lookup_dfsp"]
        if row.get("payment_mode") not in config["known_payment_modes"]:
            transfer.update(_failed(404, "Payment mode not configured"))
            return transfer, None
        return transfer, rule.outcome(payee, amount)

    def settle(self, batch):
        """Move IN_PROGRESS transfers to their outcome; a new callback reports the new rate (PH-EE
        sends one per completion phase). Returns how many transfers moved."""
        with self.state.lock:
            pending, batch.pending = batch.pending, []
            for transfer, final in pending:
                transfer.update(final)
            if pending:
                batch.completed_at = _now_ms()
        if pending:
            self.send_callback(batch)
        return len(pending)

    def note_poll(self, batch):
        """An operations API read of the batch: IN_PROGRESS rows settle after enough reads made
        once the transfers exist (reads while the workflow has not started do not count)."""
        with self.state.lock:
            if not batch.processed:
                return
            batch.polls += 1
            due = batch.pending and batch.polls > int(self.state.config["settle_after_polls"])
        if due:
            self.settle(batch)

    # -- callbacks ----------------------------------------------------------------------------------

    def send_callback(self, batch):
        with self.state.lock:
            config = dict(self.state.config)
            total = len(batch.transfers)
            successful = sum(1 for t in batch.transfers if t["status"] == "COMPLETED")
        if not batch.callback_url or config["callback_drop"]:
            return
        # BatchAggregateRoute: (int) (successful / total * 100).
        rate = int(successful / total * 100) if total else 0
        body = {
            "clientCorrelationId": batch.correlation_id,
            "batchId": batch.batch_id,
            "message": f"The Batch Aggregation API was complete with : {rate}",
        }
        for copy_number in range(1 + int(config["callback_duplicates"])):
            delay = float(config["callback_delay"])
            if delay > 0:
                timer = threading.Timer(
                    delay,
                    self.callback_workers.submit,
                    args=(self._deliver, batch, body, copy_number, config),
                )
                timer.daemon = True
                timer.start()
            else:
                self.callback_workers.submit(self._deliver, batch, body, copy_number, config)

    def answer_request_to_pay(self, transaction):
        """The payer's answer on their phone (by the last digit of their MSISDN), then the callback."""
        state, share, callbacks, error = COLLECTION_SCENARIOS.get(
            transaction["payerPartyId"][-1:], COLLECTION_APPROVED
        )
        if state is None:
            return
        with self.state.lock:
            transaction["state"] = state
            transaction["completedAt"] = _now_ms()
            transaction["errorInformation"] = error
            if state == "ACCEPTED":
                paid = (Decimal(str(transaction["amount"])) * Decimal(str(share))).quantize(Decimal("0.01"))
                transaction["amount"] = float(paid)
                transaction["externalId"] = "MM%s" % secrets.token_hex(5).upper()
            url = transaction["callbackUrl"]
        if not url:
            return
        body = {
            "transactionId": transaction["transactionId"],
            "clientCorrelationId": transaction["clientCorrelationId"],
            "state": state,
        }
        self._post_callbacks(transaction["transactionId"], url, body, callbacks)

    def commit_transfer(self, transfer):
        """The payee's FSP commits or aborts a channel transfer (by the last character of the
        payee's identifier), then the callback."""
        state, callbacks, error = TRANSFER_SCENARIOS.get(transfer["payeePartyId"][-1:], TRANSFER_COMMITTED)
        if state is None:
            return
        with self.state.lock:
            transfer["transferState"] = state
            transfer["completedTimestamp"] = _now_ms()
            transfer["errorInformation"] = error
            if state == "COMMITTED":
                transfer["transferId"] = "TR%s" % secrets.token_hex(5).upper()
            url = transfer["callbackUrl"]
        if url:
            body = {
                "transactionId": transfer["transactionId"],
                "clientCorrelationId": transfer["clientCorrelationId"],
                "transferState": state,
            }
            self._post_callbacks(transfer["transactionId"], url, body, callbacks)

    def _post_callbacks(self, transaction_id, url, body, callbacks):
        config = dict(self.state.config)
        for copy_number in range(callbacks):
            # Like the bulk callbacks: a non-2xx answer is retried up to callback.max-retry times.
            for attempt in range(1, int(config["callback_max_retry"]) + 1):
                try:
                    response = self.http.post(url, json=body, timeout=config["callback_timeout"])
                    status, error_text = response.status_code, None
                except requests.RequestException as exc:
                    status, error_text = None, f"{type(exc).__name__}: {exc}"
                with self.state.lock:
                    self.state.callbacks.append(
                        {
                            "transactionId": transaction_id,
                            "url": url,
                            "copy": copy_number,
                            "attempt": attempt,
                            "status": status,
                            "error": error_text,
                            "body": body,
                            "at": _iso_now(),
                        }
                    )
                if status is not None and 200 <= status < 300:
                    break
                time.sleep(0.5)

    def _deliver(self, batch, body, copy_number, config):
        """POST the callback; SendCallbackRoute retries a non-2xx answer up to callback.max-retry."""
        for attempt in range(1, int(config["callback_max_retry"]) + 1):
            try:
                response = self.http.post(batch.callback_url, json=body, timeout=config["callback_timeout"])
                status, error = response.status_code, None
            except requests.RequestException as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            with self.state.lock:
                self.state.callbacks.append(
                    {
                        "batchId": batch.batch_id,
                        "clientCorrelationId": batch.correlation_id,
                        "url": batch.callback_url,
                        "copy": copy_number,
                        "attempt": attempt,
                        "status": status,
                        "error": error,
                        "body": body,
                        "at": _iso_now(),
                    }
                )
            if status is not None and 200 <= status < 300:
                return


class OutcomeRule:
    """Decides, from configuration, how a transfer that reached its payment connector ends."""

    def __init__(self, config):
        self.suffixes = tuple(config["fail_if_payee_endswith"])
        over = config["fail_amount_over"]
        self.amount_over = Decimal(str(over)) if over is not None else None
        self.reason = config["fail_reason"]
        self.fraction = float(config["in_progress_fraction"])

    def outcome(self, payee, amount):
        if (self.suffixes and payee.endswith(self.suffixes)) or (
            self.amount_over is not None and amount is not None and amount > self.amount_over
        ):
            return _failed(500, self.reason)
        return {"status": "COMPLETED", "statusDetail": None, "completedAt": _now_ms()}

    def stays_in_progress(self, index):
        """Of n rows, exactly floor(n * fraction), spread evenly, so tests can count on the number."""
        return math.floor((index + 1) * self.fraction) > math.floor(index * self.fraction)


def _failed(code, reason):
    return {
        "status": "FAILED",
        "statusDetail": reason,
        "errorInformation": json.dumps({"errorCode": str(code), "errorDescription": reason}),
        "completedAt": _now_ms(),
    }


def _amount(text):
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return None


def _payee_unknown(payee, config):
    pattern = config["unknown_payee_pattern"]
    return payee in config["unknown_payees"] or bool(pattern and re.fullmatch(pattern, payee))


# ---------------------------------------------------------------------------------------------------
# Operations API views


def batch_counts(batch, transfers=None):
    """(total, counts, amounts) as the operations app aggregates them, over ``transfers`` (a
    sub-batch) or the whole batch. Before the workflow has created transfers the submitted rows all
    count as ongoing."""
    if transfers is not None or batch.processed:
        items = [(t["status"], _amount(str(t["amount"]))) for t in batch.transfers if transfers is None]
        items += [(t["status"], _amount(str(t["amount"]))) for t in transfers or ()]
    else:
        items = [("IN_PROGRESS", _amount(row.get("amount"))) for row in batch.rows]
    amounts = {"total": Decimal(0), "ongoing": Decimal(0), "failed": Decimal(0), "completed": Decimal(0)}
    counts = {"ongoing": 0, "failed": 0, "completed": 0}
    for status, amount in items:
        amount = amount or Decimal(0)
        key = {"COMPLETED": "completed", "FAILED": "failed", "IN_PROGRESS": "ongoing"}.get(status)
        amounts["total"] += amount
        if key:
            counts[key] += 1
            amounts[key] += amount
    return len(items), counts, amounts


def batch_status(total, counts, completed_at, otherwise="Failed"):
    """BatchApi's status: a batch with no transfers is "COMPLETED"; a finished batch that is not wholly
    successful is "Failed" (generateDetails) or "UNKNOWN" (generateBatchSummaryResponse)."""
    if counts["completed"] == total:
        return "COMPLETED"
    if counts["ongoing"] and completed_at is None:
        return "Pending"
    return otherwise


def batch_dto(batch, aggregate=False):
    """BatchDTO as ``GET /batch?batchId=`` (generateBatchSummaryResponse) or, with ``aggregate``, as
    ``GET /batch/{batchId}`` (generateDetails) builds it. PH-EE's two builders differ and a client
    must accept both: percentages "33.33" vs "33.33333333333333", a finished partial batch "UNKNOWN"
    vs "Failed", and only the latter fills createdAt, modes and purpose (always "Unknown purpose")."""
    total, counts, amounts = batch_counts(batch)
    failed_share = counts["failed"] / total * 100 if total else math.nan
    success_share = counts["completed"] / total * 100 if total else math.nan
    percent = _java_double if aggregate else _java_percent
    return {
        "batchId": batch.batch_id,
        "requestId": batch.correlation_id,
        "total": total,
        "ongoing": counts["ongoing"],
        "failed": counts["failed"],
        "successful": counts["completed"],
        "totalAmount": _num(amounts["total"]),
        "successfulAmount": _num(amounts["completed"]),
        "pendingAmount": _num(amounts["ongoing"]),
        "failedAmount": _num(amounts["failed"]),
        "file": None,
        "notes": batch.note,
        "createdAt": _java_date(batch.created_at) if aggregate else None,
        "status": batch_status(total, counts, batch.completed_at, "Failed" if aggregate else "UNKNOWN"),
        "modes": _modes(batch) if aggregate else None,
        "purpose": "Unknown purpose" if aggregate else None,
        "failPercentage": percent(failed_share),
        "successPercentage": percent(success_share),
        "registeringInstitutionId": batch.registering_institution_id or None,
        "payerFsp": batch.tenant,
        "correlationId": batch.correlation_id,
    }


def _modes(batch):
    return ",".join(sorted({row.get("payment_mode") or "" for row in batch.rows} - {""}))


def batch_entity(batch, sub_batch_id=None, transfers=None):
    """The operations app's Batch row (what GET /batches lists): one per batch and per sub-batch."""
    total, counts, amounts = batch_counts(batch, transfers)
    return {
        "id": None,
        "batchId": batch.batch_id,
        "subBatchId": sub_batch_id,
        "requestId": batch.correlation_id,
        "requestFile": batch.filename,
        "totalTransactions": total,
        "ongoing": counts["ongoing"],
        "failed": counts["failed"],
        "completed": counts["completed"],
        "totalAmount": _num(amounts["total"]),
        "ongoingAmount": _num(amounts["ongoing"]),
        "failedAmount": _num(amounts["failed"]),
        "completedAmount": _num(amounts["completed"]),
        "result_file": None,
        "resultGeneratedAt": None,
        "note": batch.note,
        "workflowKey": None,
        "workflowInstanceKey": None,
        "startedAt": batch.created_at,
        "completedAt": batch.completed_at,
        "paymentMode": _modes(batch),
        "registeringInstitutionId": batch.registering_institution_id or None,
        "payerFsp": batch.tenant,
        "correlationId": batch.correlation_id,
        "approvedAmount": None,
        "approvedCount": None,
        "status": None,
    }


def summary_fields(entity, purpose):
    """The counters shared by BatchAndSubBatchSummaryResponse and SubBatchSummary."""
    total = entity["totalTransactions"]
    return {
        "batchId": entity["batchId"],
        "requestId": entity["requestId"],
        "startedAt": entity["startedAt"],
        "completedAt": entity["completedAt"],
        "registeringInstitutionId": entity["registeringInstitutionId"],
        "total": total,
        "ongoing": entity["ongoing"],
        "successful": entity["completed"],
        "failed": entity["failed"],
        "totalAmount": entity["totalAmount"],
        "pendingAmount": entity["ongoingAmount"],
        "successfulAmount": entity["completedAmount"],
        "failedAmount": entity["failedAmount"],
        "file": None,
        "notes": entity["note"],
        "createdAt": _java_date(entity["startedAt"]),
        "status": batch_status(
            total,
            {"completed": entity["completed"], "ongoing": entity["ongoing"]},
            entity["completedAt"],
        ),
        "modes": entity["paymentMode"],
        "purpose": purpose,
        "failedPercentage": _java_double(entity["failed"] / total * 100 if total else math.nan),
        "successPercentage": _java_double(entity["completed"] / total * 100 if total else math.nan),
        "payerFsp": entity["payerFsp"],
    }


def instruction(transfer):
    return {
        "instructionId": transfer["transactionId"],
        "payerFsp": transfer["payerDfspId"],
        "payeeFunctionalId": transfer["payeePartyId"],
        "amount": transfer["amount"],
        "status": transfer["status"],
        "reason": transfer["statusDetail"],
        "startedAt": transfer["startedAt"],
        "completedAt": transfer["completedAt"],
        "subBatchId": transfer["batchId"],
    }


def spring_page(items, page_no, page_size):
    total = len(items)
    content = items[page_no * page_size : (page_no + 1) * page_size]
    total_pages = math.ceil(total / page_size) if page_size else 0
    sort = {"sorted": False, "unsorted": True, "empty": True}
    return {
        "content": content,
        "pageable": {
            "sort": sort,
            "offset": page_no * page_size,
            "pageNumber": page_no,
            "pageSize": page_size,
            "paged": True,
            "unpaged": False,
        },
        "totalPages": total_pages,
        "totalElements": total,
        "last": page_no >= total_pages - 1,
        "first": page_no == 0,
        "size": page_size,
        "number": page_no,
        "sort": sort,
        "numberOfElements": len(content),
        "empty": not content,
    }


# ---------------------------------------------------------------------------------------------------
# HTTP


class Handler(base.FastHandler):
    server_version = "PheeSimulator/1.0"

    # (method, path) -> handler method name; the two path-parameter routes are matched in _route.
    ROUTES = {
        ("POST", "/batchtransactions"): "submit",
        ("POST", "/oauth/token"): "oauth_token",
        ("GET", "/api/v1/batch"): "ops_batch",
        ("GET", "/api/v1/batches"): "ops_batches",
        ("GET", "/api/v1/batch/detail"): "ops_batch_detail",
        ("GET", "/api/v1/batch/transactions"): "ops_batch_transactions",
        ("POST", "/channel/transactionRequest"): "channel_transaction_request",
        ("GET", "/api/v1/transactionRequests"): "ops_transaction_requests",
        ("POST", "/channel/transfer"): "channel_transfer",
        ("GET", "/api/v1/transfers"): "ops_transfers",
        ("POST", "/simulator/config"): "control_config",
        ("GET", "/simulator/config"): "control_config",
        ("POST", "/simulator/faults"): "control_faults",
        ("GET", "/simulator/received"): "control_received",
        ("GET", "/simulator/callbacks"): "control_callbacks",
        ("POST", "/simulator/reset"): "control_reset",
        ("POST", "/simulator/complete"): "control_complete",
    }

    # The server object carries state and processor (see PheeSimulator).
    @property
    def state(self):
        return self.server.state

    @property
    def processor(self):
        return self.server.processor

    def log_message(self, format, *args):
        _logger.info("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        url = urlsplit(self.path)
        self.url_path = url.path.rstrip("/") or "/"
        self.query = {key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        content_type = "application/json"
        try:
            status, body = self._route(method)()
        except base.HttpError as error:
            status, body, content_type = error.status, error.body, error.content_type
        except _DropConnection:
            self.close_connection = True
            return
        except Exception:
            _logger.exception("error handling %s %s", method, self.path)
            status, body = 500, {"errorInformation": "Internal error", "errorCode": 500}
        self._send(status, body, content_type)

    def _route(self, method):
        path = self.url_path
        name = self.ROUTES.get((method, path))
        if name:
            return getattr(self, name)
        if method == "GET" and path.startswith("/api/v1/batches/") and path.count("/") == 4:
            return lambda: self.ops_batch_summary(path.rsplit("/", 1)[1])
        if method == "GET" and path.startswith("/api/v1/batch/") and path.count("/") == 4:
            return lambda: self.ops_batch_aggregate(path.rsplit("/", 1)[1])
        if method == "GET" and path.startswith("/channel/transfer/") and path.count("/") == 3:
            return lambda: self.channel_transfer_status(path.rsplit("/", 1)[1])
        # Including the 202's PollingPath /batch/Summary/<id>: neither PH-EE service serves it.
        raise spring_error(404, "Not Found", "No message available", path)

    def _send(self, status, body, content_type="application/json"):
        if isinstance(body, dict | list) or body is None:
            payload = json.dumps(body).encode()
        else:
            payload = str(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _json_body(self):
        try:
            return json.loads(self.body or b"{}")
        except ValueError as exc:
            raise base.HttpError(400, {"error": f"invalid JSON: {exc}"}) from exc

    # -- bulk processor -----------------------------------------------------------------------------

    def submit(self):
        fault = self.state.take_fault(("submit_status", "submit_delay", "accept_then_fail"))
        if fault and fault["kind"] == "submit_status":
            self._record_submission(None, int(fault["value"]), fault=fault)
            raise phee_error(int(fault["value"]), "Injected fault", "Simulated bulk processor failure")
        if fault and fault["kind"] == "submit_delay":
            # The hub is slow but does accept the batch: the client may time out meanwhile.
            time.sleep(float(fault["value"]))
        try:
            batch, trailing_newline = self._accept()
        except base.HttpError as error:
            self._record_submission(None, error.status, fault=fault)
            raise
        self._record_submission(batch, 202, fault=fault, trailing_newline=trailing_newline)
        self.processor.schedule(batch)
        if fault and fault["kind"] == "accept_then_fail":
            if fault["value"] == "drop":
                raise _DropConnection()
            raise phee_error(500, "Injected fault", "Batch accepted, then the response failed")
        return 202, {
            "PollingPath": f"/batch/Summary/{batch.batch_id}",
            "SuggestedCallbackSeconds": str(self.state.config["polling_timer"]),
        }

    def _accept(self):
        """Validate the request like BatchTransactionsController + ProcessorStartRoute and register a
        batch. Returns (batch, whether the CSV ended with a newline)."""
        config = self.state.config
        for header in ("X-CorrelationID", "Purpose", "Type", "Platform-TenantId"):
            if self.headers.get(header) is None:
                raise spring_error(
                    400,
                    "Bad Request",
                    f"Missing request header '{header}' for method parameter of type String",
                    self.url_path,
                )
        correlation_id = self.headers["X-CorrelationID"]
        request_type = self.headers["Type"]
        tenant = self.headers["Platform-TenantId"]
        multipart = (self.headers.get("Content-Type") or "").startswith("multipart/")
        # PH-EE's error helper prints "File not uploaded" for every case (a bug upstream); the
        # simulator gives the intended text so a test can tell the refusals apart.
        if request_type.lower() not in ("csv", "raw"):
            raise phee_error(
                400,
                "Invalid TYPE header value passed",
                f'The value of the header "Type" can be "[raw,csv]" but is {request_type}',
            )
        if multipart != (request_type.lower() == "csv"):
            raise phee_error(
                400,
                "Type mismatch",
                'The value of the header "Type" doesn\'t match with the request content-type',
            )
        if multipart and not self.headers.get("filename"):
            raise phee_error(
                400,
                "Header can't be empty",
                'If the request is of type csv, the header "filename"can\'t be empty',
            )
        if tenant not in config["tenants"]:
            raise phee_error(400, "Invalid tenant value.", f"Tenant {tenant} is not configured")

        if multipart:
            data = parse_multipart(self.headers.get("Content-Type"), self.body).get("data")
            if data is None:
                raise phee_error(
                    400,
                    "File not uploaded",
                    "There was no fie uploaded with the request. Please upload a file.",
                )
            if len(data) > int(config["csv_size"]):
                raise phee_error(
                    400, "File too big", "The file uploaded is too big. Please upload a file and try again."
                )
            text = _utf8(data)
            rows, well_formed = parse_csv(text)
            signed_payload = "\n".join(text.splitlines()).strip()
        else:
            text = _utf8(self.body)
            try:
                items = json.loads(text)
            except ValueError as exc:
                raise phee_error(400, "Invalid JSON", str(exc)) from exc
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise phee_error(400, "Invalid JSON", "The body must be a JSON array of transactions")
            rows, well_formed = rows_from_raw(items), True
            signed_payload = text.strip()

        if config["jws_verify"]:
            self._check_signature(signed_payload)

        with self.state.lock:
            if correlation_id in self.state.correlation_ids and config["duplicate_correlation"] == "conflict":
                raise base.HttpError(
                    409,
                    {
                        "responseCode": "01",
                        "responseDescription": "Conflict occurred due to existing data",
                        "conflictingFieldName": "clientCorrelationId",
                        "conflictingFieldValue": correlation_id,
                    },
                )
            batch = Batch(
                batch_id=str(uuid.uuid4()),
                correlation_id=correlation_id,
                tenant=tenant,
                purpose=self.headers["Purpose"] or "test payment",
                filename=self.headers.get("filename") or "",
                callback_url=self.headers.get("X-CallbackURL") or "",
                registering_institution_id=self.headers.get("X-Registering-Institution-ID") or "",
                payee_dfsp_header=self.headers.get("X-PayeeDFSP-ID") or "",
                rows=rows,
                well_formed=well_formed,
                seq=next(self.state.arrivals),
            )
            self.state.batches[batch.batch_id] = batch
            self.state.correlation_ids.add(correlation_id)
        return batch, text.endswith(("\n", "\r"))

    def _check_signature(self, payload):
        signature = self.headers.get("X-SIGNATURE")
        if not signature:
            raise phee_error(400, "Signature missing", "The header X-SIGNATURE is required")
        header_values = [
            self.headers.get(name) for name in ("X-BatchID", "X-CorrelationID", "Platform-TenantId")
        ]
        if not verify_signature(self.state.public_numbers(), signature, header_values, payload):
            raise phee_error(401, "Invalid signature", "The X-SIGNATURE does not match the request")

    def _record_submission(self, batch, status, fault=None, trailing_newline=False):
        entry = {
            "correlationId": self.headers.get("X-CorrelationID"),
            "tenant": self.headers.get("Platform-TenantId"),
            "type": self.headers.get("Type"),
            "status": status,
            "batchId": batch.batch_id if batch else None,
            "rowCount": len(batch.rows) if batch else 0,
            "requestIds": [row.get("request_id") for row in batch.rows] if batch else [],
            "trailingNewline": trailing_newline,
            "fault": fault["kind"] if fault else None,
            "at": _iso_now(),
        }
        if trailing_newline:
            entry["warning"] = "CSV ends with a newline: a signature over the raw file would not verify"
        with self.state.lock:
            self.state.received.append(entry)

    # -- operations app -----------------------------------------------------------------------------

    def oauth_token(self):
        self._tenant()
        if self.headers.get("Authorization") != OPS_CLIENT_BASIC:
            raise base.HttpError(
                401, {"error": "unauthorized", "error_description": "Bad client credentials"}
            )
        users = self.state.config["oauth_users"]
        # Spring's token endpoint takes its parameters from the query string or a form body.
        params = dict(self.query)
        if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            params.update((k, v[0]) for k, v in parse_qs(_utf8(self.body), keep_blank_values=True).items())
        username, password = params.get("username"), params.get("password")
        if params.get("grant_type") != "password" or users.get(username) != password:
            raise base.HttpError(400, {"error": "invalid_grant", "error_description": "Bad credentials"})
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3599, "scope": "identity"}

    def _tenant(self):
        tenant = self.headers.get("Platform-TenantId")
        if not tenant or tenant not in self.state.config["tenants"]:
            raise base.HttpError(
                400, {"error": "invalid_tenant", "error_description": f"Tenant not found: {tenant}"}
            )
        return tenant

    def _ops_guard(self):
        """Tenant, then the Bearer token when OAuth is on, then any injected ops fault."""
        tenant = self._tenant()
        if self.state.config["oauth"]:
            auth = self.headers.get("Authorization") or ""
            if not (auth.startswith("Bearer ") and auth[7:] in self.state.tokens):
                raise base.HttpError(
                    401,
                    {
                        "error": "unauthorized",
                        "error_description": "Full authentication is required to access this resource",
                    },
                )
        fault = self.state.take_fault(("ops_status",))
        if fault:
            raise base.HttpError(
                int(fault["value"]), {"error": "Injected fault", "status": int(fault["value"])}
            )
        return tenant

    def _batch(self, tenant, batch_id, poll=True):
        """The batch of this tenant (each tenant has its own database in PH-EE), or None."""
        batch = self.state.batches.get(batch_id or "")
        if batch is None or batch.tenant != tenant:
            return None
        if poll:
            self.processor.note_poll(batch)
        return batch

    def ops_batch(self):
        tenant = self._ops_guard()
        batch_id = self.query.get("batchId")
        # PH-EE accepts a requestId parameter here but ignores it: only batchId finds a batch.
        batch = self._batch(tenant, batch_id)
        if batch is None:
            raise base.HttpError(
                404, f"Batch corresponding to batchId: {batch_id} does not exist.", "text/plain"
            )
        with self.state.lock:
            return 200, batch_dto(batch)

    def ops_batch_aggregate(self, batch_id):
        """GET /api/v1/batch/{batchId}: what the bulk processor's aggregation polls."""
        tenant = self._ops_guard()
        batch = self._batch(tenant, batch_id)
        if batch is None:
            raise base.HttpError(
                404, f"Batch corresponding to batchId: {batch_id} does not exist.", "text/plain"
            )
        with self.state.lock:
            return 200, batch_dto(batch, aggregate=True)

    def ops_batches(self):
        """GET /api/v1/batches: the listing, PH-EE's only search. Filters: batchId,
        registeringInstitutionId, payerFsp (SQL LIKE, % wildcard), dateFrom/dateTo
        ("yyyy-MM-dd HH:mm:ss", UTC, on startedAt); offset/limit; sort "-startedAt" (default) or
        "+startedAt". Each item carries requestId = the X-CorrelationID it was submitted with, which is
        how a client finds a batch whose 202 it never saw."""
        tenant = self._ops_guard()
        q = self.query
        try:
            offset, limit = _window(q, "offset", 0, "limit", 10)
            date_from, date_to = _parse_ops_date(q.get("dateFrom")), _parse_ops_date(q.get("dateTo"))
        except ValueError as exc:
            raise base.HttpError(400, None) from exc
        patterns = {
            "batch_id": _like(q.get("batchId", "%")),
            "registering_institution_id": _like(q.get("registeringInstitutionId", "%")),
            "tenant": _like(q.get("payerFsp", "%")),
        }
        with self.state.lock:
            found = [
                batch
                for batch in self.state.batches.values()
                if batch.tenant == tenant
                and all(pattern.fullmatch(getattr(batch, attr) or "") for attr, pattern in patterns.items())
                and (date_from is None or batch.created_at >= date_from)
                and (date_to is None or batch.created_at <= date_to)
            ]
            found.sort(
                key=lambda batch: (batch.created_at, batch.seq),
                reverse=not q.get("sort", "-").startswith("+"),
            )
            # Spring's PageRequest: page = offset // limit.
            page = found[(offset // limit) * limit : (offset // limit + 1) * limit]
            totals = [batch_entity(batch) for batch in found]
            return 200, {
                "totalBatches": len(found),
                "totalTransactions": sum(entity["totalTransactions"] for entity in totals),
                "totalAmount": sum(entity["totalAmount"] for entity in totals),
                "totalApprovedCount": 0,
                "totalApprovedAmount": 0,
                "totalSubBatchesCreated": sum(len(batch.sub_batches) for batch in found),
                "data": [batch_entity(batch) for batch in page],
            }

    def ops_batch_summary(self, batch_id):
        """GET /api/v1/batches/{batchId} (X-Correlation-ID header required); ?associations=all adds
        the instruction list, offset/limit over all the batch's transfers."""
        tenant = self._ops_guard()
        if self.headers.get("X-Correlation-ID") is None:
            raise spring_error(
                400,
                "Bad Request",
                "Missing request header 'X-Correlation-ID' for method parameter of type String",
                self.url_path,
            )
        batch = self._batch(tenant, batch_id)
        if batch is None:
            raise base.HttpError(404, "")
        with self.state.lock:
            parent = batch_entity(batch)
            subs = [
                {
                    **summary_fields(batch_entity(batch, sub_id, transfers), batch.purpose),
                    "subBatchId": sub_id,
                    "payeeFspSet": sorted({t["payeeDfspId"] for t in transfers if t["payeeDfspId"]}),
                }
                for sub_id, transfers in batch.sub_batches.items()
            ]
            approved = sum(sub["total"] for sub in subs)
            if self.query.get("associations") == "all":
                try:
                    offset, limit = _window(self.query, "offset", 0, "limit", 10)
                except ValueError as exc:
                    raise base.HttpError(400, None) from exc
                fields = summary_fields(parent, batch.purpose)
                return 200, {
                    "batchId": batch.batch_id,
                    "payerFsp": batch.tenant,
                    "reportGeneratedBy": "ph-ee-operations-app simulator",
                    "reportGeneratedAt": _iso_now(),
                    "startedAt": batch.created_at,
                    "completedAt": batch.completed_at,
                    "registeringInstitutionId": fields["registeringInstitutionId"],
                    "status": fields["status"],
                    "subBatchList": subs,
                    "instructionList": [instruction(t) for t in batch.transfers[offset : offset + limit]],
                    "total": fields["total"],
                    "ongoing": fields["ongoing"],
                    "successful": fields["successful"],
                    "failed": fields["failed"],
                    "totalAmount": fields["totalAmount"],
                    "pendingAmount": fields["pendingAmount"],
                    "successfulAmount": fields["successfulAmount"],
                    "failedAmount": fields["failedAmount"],
                    "totalInstruction": len(batch.transfers),
                    "totalBatchAmount": fields["totalAmount"],
                    "clientCorrelationId": batch.correlation_id,
                }
            return 200, {
                **summary_fields(parent, batch.purpose),
                "payeeFsp": sorted({t["payeeDfspId"] for t in batch.transfers if t["payeeDfspId"]}),
                "generatedBy": "ph-ee-operations-app simulator",
                "generatedAt": _iso_now(),
                "totalSubBatches": len(subs),
                "approvedTransactionCount": approved,
                "approvedAmount": sum(sub["totalAmount"] for sub in subs),
                "subBatchSummaryList": subs,
                "totalInstructionCount": len(batch.transfers),
            }

    def ops_batch_detail(self):
        """GET /api/v1/batch/detail: a Spring page of Transfer, optionally one status."""
        tenant = self._ops_guard()
        if "batchId" not in self.query:
            raise spring_error(
                400, "Bad Request", "Required String parameter 'batchId' is not present", self.url_path
            )
        status = self.query.get("status", "ALL").upper()
        try:
            page_no, page_size = _window(self.query, "pageNo", 0, "pageSize", 10)
        except ValueError as exc:
            raise spring_error(400, "Bad Request", str(exc), self.url_path) from exc
        batch = self._batch(tenant, self.query["batchId"])
        with self.state.lock:
            transfers = batch.transfers if batch else []
            if status in ("COMPLETED", "IN_PROGRESS", "FAILED"):
                transfers = [t for t in transfers if t["status"] == status]
            return 200, spring_page([dict(t) for t in transfers], page_no, page_size)

    def ops_batch_transactions(self):
        """GET /api/v1/batch/transactions: {transactionId: status}; JSON null for an unknown batch."""
        tenant = self._ops_guard()
        batch = self._batch(tenant, self.query.get("batchId"))
        with self.state.lock:
            if batch is None:
                return 200, None
            return 200, {t["transactionId"]: t["status"] for t in batch.transfers}

    # -- control API (test only) --------------------------------------------------------------------

    # -- requests to pay (channel connector, operations app) ----------------------------------------

    def channel_transaction_request(self):
        """The channel connector's "Initiate Request To Pay": the payee (the scheme) asks the payer's
        wallet for money; the payer approves on their phone later. Answers the transactionId."""
        tenant = self._tenant()
        body = self._json_body()
        try:
            payer = body["payer"]["partyIdInfo"]["partyIdentifier"]
            payee = body["payee"]["partyIdInfo"]["partyIdentifier"]
            amount = Decimal(str(body["amount"]["amount"]))
            currency = body["amount"]["currency"]
        except (KeyError, TypeError, InvalidOperation):
            raise phee_error(
                400, "Bad Request", "payer, payee and amount {amount, currency} are required"
            ) from None
        if (
            amount <= 0
            or not re.fullmatch(r"\d{6,15}", str(payer))
            or not re.fullmatch(r"[A-Z]{3}", currency)
        ):
            raise phee_error(400, "Bad Request", "invalid payer MSISDN, amount or currency")
        correlation = self.headers.get("X-CorrelationID") or ""
        with self.state.lock:
            self.state.transaction_request_log.append({"clientCorrelationId": correlation, "payer": payer})
            known = _by_correlation(self.state.transaction_requests, correlation)
            if known:
                # A request sent again with its correlation id is the same request (never asked twice).
                return 202, {"transactionId": known["transactionId"]}
            transaction = {
                "id": len(self.state.transaction_requests) + 1,
                "tenant": tenant,
                "transactionId": str(uuid.uuid4()),
                "clientCorrelationId": correlation,
                "payerPartyId": str(payer),
                "payeePartyId": str(payee),
                "amount": float(amount),
                "currency": currency,
                "state": "RECEIVED",
                "startedAt": _now_ms(),
                "completedAt": None,
                "errorInformation": None,
                "externalId": None,
                "callbackUrl": self.headers.get("X-CallbackURL"),
            }
            self.state.transaction_requests[transaction["transactionId"]] = transaction
            delay = float(self.state.config["collection_delay"])
        timer = threading.Timer(delay, self.processor.answer_request_to_pay, args=(transaction,))
        timer.daemon = True
        timer.start()
        return 202, {"transactionId": transaction["transactionId"]}

    # -- single transfers (channel connector, operations app) ----------------------------------------

    def channel_transfer(self):
        """The channel connector's transfer: the payer (the scheme's account) pays one payee.
        Answers the transactionId; the same X-CorrelationID again is the same transfer."""
        tenant = self._tenant()
        body = self._json_body()
        try:
            payee = body["payee"]["partyIdInfo"]
            payee_type, payee_id = payee["partyIdType"], str(payee["partyIdentifier"])
            payer = str(body["payer"]["partyIdInfo"]["partyIdentifier"])
            amount = Decimal(str(body["amount"]["amount"]))
            currency = body["amount"]["currency"]
        except (KeyError, TypeError, InvalidOperation):
            raise phee_error(
                400, "Bad Request", "payer, payee and amount {amount, currency} are required"
            ) from None
        if (
            amount <= 0
            or payee_type not in ("MSISDN", "IBAN", "ACCOUNT_ID")
            or not re.fullmatch(r"[A-Za-z0-9]{4,34}", payee_id)
            or not re.fullmatch(r"[A-Z]{3}", currency)
        ):
            raise phee_error(400, "Bad Request", "invalid payee, amount or currency")
        correlation = self.headers.get("X-CorrelationID") or ""
        with self.state.lock:
            self.state.channel_transfer_log.append({"clientCorrelationId": correlation, "payee": payee_id})
            known = _by_correlation(self.state.channel_transfers, correlation)
            if known:
                # A transfer sent again with its correlation id is the same transfer (paid once).
                return 202, {"transactionId": known["transactionId"]}
            transfer = {
                "tenant": tenant,
                "transactionId": str(uuid.uuid4()),
                "clientCorrelationId": correlation,
                "payerPartyId": payer,
                "payeePartyIdType": payee_type,
                "payeePartyId": payee_id,
                "amount": float(amount),
                "currency": currency,
                "transferState": "RECEIVED",
                "transferId": None,
                "startedAt": _now_ms(),
                "completedTimestamp": None,
                "errorInformation": None,
                "callbackUrl": self.headers.get("X-CallbackURL"),
            }
            self.state.channel_transfers[transfer["transactionId"]] = transfer
            delay = float(self.state.config["transfer_delay"])
        timer = threading.Timer(delay, self.processor.commit_transfer, args=(transfer,))
        timer.daemon = True
        timer.start()
        if self.state.take_fault(("channel_accept_then_fail",)):
            raise phee_error(500, "Internal Server Error", "the transfer was registered, the answer is lost")
        return 202, {"transactionId": transfer["transactionId"]}

    @staticmethod
    def _transfer_view(transfer):
        return {k: v for k, v in transfer.items() if k not in ("tenant", "callbackUrl")}

    def channel_transfer_status(self, transaction_id):
        """GET /channel/transfer/{transactionId}: the transfer's state."""
        tenant = self._tenant()
        with self.state.lock:
            transfer = self.state.channel_transfers.get(transaction_id)
            if not transfer or transfer["tenant"] != tenant:
                raise phee_error(404, "Not Found", "no transfer %s" % transaction_id)
            return 200, self._transfer_view(transfer)

    def ops_transfers(self):
        """The operations app's transfers, filtered by clientCorrelationId, as a Spring page."""
        tenant = self._ops_guard()
        wanted = self.query.get("clientCorrelationId")
        with self.state.lock:
            items = [
                self._transfer_view(t)
                for t in self.state.channel_transfers.values()
                if t["tenant"] == tenant and (not wanted or t["clientCorrelationId"] == wanted)
            ]
        page, size = _window(self.query, "page", 0, "size", 20)
        return 200, spring_page(items, page, size)

    def ops_transaction_requests(self):
        """The operations app's transaction requests, filtered by transactionId or
        clientCorrelationId, as a Spring page."""
        tenant = self._ops_guard()
        wanted_id, wanted_corr = self.query.get("transactionId"), self.query.get("clientCorrelationId")
        with self.state.lock:
            items = [
                {k: v for k, v in t.items() if k not in ("tenant", "callbackUrl")}
                for t in self.state.transaction_requests.values()
                if t["tenant"] == tenant
                and (not wanted_id or t["transactionId"] == wanted_id)
                and (not wanted_corr or t["clientCorrelationId"] == wanted_corr)
            ]
        page, size = _window(self.query, "page", 0, "size", 20)
        return 200, spring_page(items, page, size)

    def control_config(self):
        if self.command == "POST":
            self.state.merge_config(self._json_body())
        with self.state.lock:
            return 200, self.state.config

    def control_faults(self):
        fault = self.state.add_fault(self._json_body())
        with self.state.lock:
            return 200, {"added": fault, "faults": [f for f in self.state.faults if f["count"] > 0]}

    def control_received(self):
        """Every submission; request ids and correlation ids that went out in more than one accepted
        batch are listed so a test can assert that nothing was sent twice."""
        with self.state.lock:
            submissions = list(self.state.received)
            transaction_requests = list(self.state.transaction_request_log)
            channel_transfers = list(self.state.channel_transfer_log)
            dropped = {
                batch.batch_id: batch.duplicates for batch in self.state.batches.values() if batch.duplicates
            }
        seen_requests, dup_requests = set(), set()
        seen_corr, dup_corr = set(), set()
        for entry in submissions:
            if entry["batchId"] is None:
                continue
            (dup_corr if entry["correlationId"] in seen_corr else seen_corr).add(entry["correlationId"])
            for request_id in entry["requestIds"]:
                (dup_requests if request_id in seen_requests else seen_requests).add(request_id)
        return 200, {
            "submissions": submissions,
            "acceptedBatches": sum(1 for entry in submissions if entry["batchId"]),
            "duplicateCorrelationIds": sorted(dup_corr),
            "duplicateRequestIds": sorted(dup_requests),
            "droppedDuplicateRows": dropped,
            # Every request to pay received, a repeat (same correlation id) included.
            "transactionRequests": transaction_requests,
            # Every channel transfer received, a repeat (same correlation id) included.
            "channelTransfers": channel_transfers,
        }

    def control_callbacks(self):
        with self.state.lock:
            return 200, {"callbacks": list(self.state.callbacks)}

    def control_reset(self):
        self.state.reset()
        return 200, {"reset": True}

    def control_complete(self):
        """Settle IN_PROGRESS transfers now: of one batch ({"batchId": ...}) or of all."""
        batch_id = self._json_body().get("batchId")
        with self.state.lock:
            if batch_id and batch_id not in self.state.batches:
                raise base.HttpError(404, {"error": f"no batch {batch_id}"})
            batches = [self.state.batches[batch_id]] if batch_id else list(self.state.batches.values())
        return 200, {"settled": sum(self.processor.settle(batch) for batch in batches)}


class _DropConnection(Exception):
    """Close the socket without an answer (accept_then_fail with mode "drop")."""


def _window(query, start_key, start_default, size_key, size_default):
    """(start, size) query parameters; Spring refuses a negative start or a size below one."""
    start, size = int(query.get(start_key, start_default)), int(query.get(size_key, size_default))
    if start < 0 or size < 1:
        raise ValueError(f"{start_key} must be >= 0 and {size_key} >= 1")
    return start, size


def _utf8(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise phee_error(400, "Invalid file structure", f"The file is not UTF-8: {exc}") from exc


def _like(pattern):
    """An SQL LIKE pattern as a regex."""
    return re.compile(".*".join(re.escape(part).replace("_", ".") for part in pattern.split("%")), re.DOTALL)


def _parse_ops_date(text):
    if not text:
        return None
    moment = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.UTC)
    return int(moment.timestamp() * 1000)


# ---------------------------------------------------------------------------------------------------
# Running it


class PheeSimulator:
    """In-process use: ``url = PheeSimulator(config).start()`` ... ``.stop()``. Tests should prefer
    ``run_phee_simulator`` (a separate process, like the real hub)."""

    def __init__(self, config=None, host="127.0.0.1", port=0):
        merged = {**DEFAULT_CONFIG, **(config or {})}
        unknown = sorted(set(merged) - set(DEFAULT_CONFIG))
        if unknown:
            raise ValueError(f"unknown config keys: {unknown}")
        self.state = State(merged)
        self.processor = Processor(self.state)
        self.httpd = base.Server((host, port), Handler)
        self.httpd.state = self.state
        self.httpd.processor = self.processor
        self.thread = None

    @property
    def url(self):
        return base.server_url(self.httpd)

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="phee-http", daemon=True)
        self.thread.start()
        return self.url

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.processor.shutdown()


def connector_values(url):
    """The fields of a PH-EE ``g2p.payment.connector`` that talks to the simulator at ``url`` in its
    default configuration: a known tenant and payment mode, the OAuth user, a payer wallet."""
    user, password = next(iter(DEFAULT_CONFIG["oauth_users"].items()))
    return {
        "code": "phee",
        "phee_bulk_url": url,
        "phee_ops_url": url,
        "phee_tenant": DEFAULT_CONFIG["tenants"][0],
        "phee_username": user,
        "phee_password": password,
        "payment_mode": DEFAULT_CONFIG["known_payment_modes"][0],
        "payer_identifier_type": "msisdn",
        "payer_identifier": "27710101999",
    }


def run_phee_simulator(startup_timeout=20, **config):
    """Start the simulator as its own process with ``config``; a context manager yielding its ``url`` and
    ``control(...)`` (see base.SimulatorProcess)."""
    return base.run_simulator(__file__, READY_MARKER, config, startup_timeout=startup_timeout)


def main(argv=None):
    parser = base.argument_parser(__doc__.split("\n\n")[0], default_port=8090)
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    simulator = PheeSimulator(args.config, host=args.host, port=args.port)
    try:
        base.serve(simulator.httpd, READY_MARKER)
    finally:
        simulator.processor.shutdown()


if __name__ == "__main__":
    main()
