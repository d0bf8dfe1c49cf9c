"""Mifos Payment Hub EE bulk processor: batch files, RAW bodies and status mapping.

Follows ``docs/phee-bulk.md``. PH-EE parses the CSV with a naive comma split, so values are
validated here instead of quoted; the byte size of a file is checked because PH-EE refuses files
over ``csv.size`` (100,000 bytes by default).
"""

import datetime
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from odoo.addons.g2p_payment_hub.tools import FormatError, format_amount

#: The columns PH-EE accepts, exactly spelled; any subset is a valid header.
ALLOWED_COLUMNS = (
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
#: What we send: the first ten.
COLUMNS = ALLOWED_COLUMNS[:10]
HEADER = ",".join(COLUMNS)

# Characters that would break PH-EE's naive split (commas, quotes) or its line reading (CR/LF).
_FORBIDDEN = re.compile(r"[,\"'\r\n]")
# Sanitising a note: forbidden characters and other control characters become spaces.
_NOTE_UNSAFE = re.compile(r"[,\"'\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s{2,}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Fields that must not be empty (the payer may be, in budget-account mode PH-EE takes it from the
# program configuration).
_REQUIRED = ("request_id", "payment_mode", "payee_identifier_type", "payee_identifier", "currency")

STATUS_PAID = "paid"
STATUS_FAILED = "failed"
STATUS_PENDING = "pending"
_TRANSFER_STATUS = {
    "COMPLETED": STATUS_PAID,
    "FAILED": STATUS_FAILED,
    "EXCEPTION": STATUS_FAILED,
    "IN_PROGRESS": STATUS_PENDING,
    "UNKNOWN": STATUS_PENDING,
}

#: The operations app's TransactionRequestState, mapped to a collection's status.
COLLECTION_STATES = {
    "ACCEPTED": "paid",
    "SUCCESS": "paid",
    "REJECTED": "rejected",
    "FAILED": "failed",
    "IN_PROGRESS": "pending",
    "INITIATED": "pending",
    "RECEIVED": "pending",
    "REQUEST_ACCEPTED": "pending",
}

#: A channel transfer's transferState (Mojaloop's words) -> the hub's transfer status.
TRANSFER_STATES = {
    "COMMITTED": "paid",
    "ABORTED": "failed",
    "RECEIVED": "pending",
    "RESERVED": "pending",
}
#: The hub's payee account type -> the Mojaloop party id type PH-EE expects.
PARTY_ID_TYPES = {"msisdn": "MSISDN", "iban": "IBAN", "account": "ACCOUNT_ID"}


@dataclass(frozen=True, slots=True)
class PaymentInstruction:
    """One payment attempt. ``line_id`` is the caller's own key, never sent to PH-EE."""

    request_id: str
    payment_mode: str
    payer_identifier_type: str
    payer_identifier: str
    payee_identifier_type: str
    payee_identifier: str
    amount: Decimal
    currency: str
    note: str = ""
    line_id: int | None = None


class TransferOutcome(NamedTuple):
    """A PH-EE transfer mapped to our payment states (``status`` is paid, failed or pending)."""

    request_id: str
    status: str
    reason: str
    psp_reference: str
    #: When the processor finished the transfer (naive UTC), if it says so.
    completed_at: datetime.datetime | None = None


def sanitize_note(note):
    """The note as sent in the CSV: commas, quotes and control characters (CR/LF included) become
    spaces, runs of spaces collapse, ends are trimmed. Notes are free text, so they are cleaned
    rather than refused; every other column is refused when it holds such characters."""
    if not note:
        return ""
    return _SPACES.sub(" ", _NOTE_UNSAFE.sub(" ", note)).strip()


def _where(instruction, row):
    return f"row {row} (request_id {instruction.request_id!r})"


def _check(instruction, row, decimals):
    """Validate one instruction; return its values after ``id`` in column order, as strings."""
    for column in _REQUIRED:
        if not getattr(instruction, column):
            raise FormatError(f"{_where(instruction, row)}, column {column}: value is required")
    if not isinstance(instruction.request_id, str) or not _UUID.fullmatch(instruction.request_id):
        raise FormatError(f"{_where(instruction, row)}, column request_id: not a UUID")
    if not _CURRENCY.fullmatch(instruction.currency):
        raise FormatError(
            f"{_where(instruction, row)}, column currency: {instruction.currency!r} is not an ISO 4217 code"
        )
    try:
        amount = format_amount(instruction.amount, decimals, "amount")
    except FormatError as error:
        raise FormatError(f"{_where(instruction, row)}, column {error}") from None
    return [
        instruction.request_id,
        instruction.payment_mode,
        instruction.payer_identifier_type or "",
        instruction.payer_identifier or "",
        instruction.payee_identifier_type,
        instruction.payee_identifier,
        amount,
        instruction.currency,
        sanitize_note(instruction.note),
    ]


def _row_values(instruction, row, decimals):
    """The validated values of one CSV line after its ``id`` (which depends on the batch)."""
    values = _check(instruction, row, decimals)
    body = ",".join(values)
    # One look at the whole row: printable (no line break, tab or other white space but the plain
    # space), no quote, no extra comma, no value starting or ending with a space. Only a row that
    # fails this is checked column by column, to name the culprit (or pass, e.g. an inner tab).
    if (
        body.isprintable()
        and body.count(",") == len(values) - 1
        and '"' not in body
        and "'" not in body
        and ", " not in body
        and " ," not in body
        and body[:1] != " "
        and body[-1:] != " "
    ):
        return values
    # Something is wrong: find the column to name it.
    for column, value in zip(COLUMNS[1:], values, strict=True):
        if _FORBIDDEN.search(value):
            raise FormatError(
                f"{_where(instruction, row)}, column {column}: {value!r} contains a comma, a quote or a "
                "line break, which PH-EE cannot parse"
            )
        if value != value.strip():
            raise FormatError(
                f"{_where(instruction, row)}, column {column}: {value!r} has leading or trailing spaces"
            )
    return values


def render_csv(instructions, decimals=0, bodies=None):
    """The PH-EE batch file for ``instructions``: the ten-column header, ``id`` from 0, LF line
    endings and no trailing newline (it would break the JWS signature).

    ``decimals`` is the connector's amount setting: with 0, amounts are whole numbers and one with a
    fractional part is refused. Raises FormatError naming the row and column of a bad value.
    ``bodies``: the rows already validated and rendered by :func:`split_into_batches` (same
    decimals), by request id, so they are not rendered twice.
    """
    bodies = bodies or {}
    lines = [HEADER]
    lines.extend(
        f"{row},{bodies.get(instruction.request_id) or ','.join(_row_values(instruction, row, decimals))}"
        for row, instruction in enumerate(instructions)
    )
    return "\n".join(lines)


def split_into_batches(instructions, max_rows=500, max_bytes=100_000, decimals=0, bodies=None):
    """Split instructions into PH-EE batches: at most ``max_rows`` rows and ``max_bytes`` bytes of
    rendered CSV (UTF-8) each, and never two instructions sharing payee id, payee id type, amount
    (as rendered) and currency in one batch: PH-EE de-duplicates on those and would silently drop
    one.

    Instructions are taken in "layers": first every instruction whose key appears for the first
    time, then the second occurrences, and so on, each layer in input order. A layer has no
    duplicate key, so batches fill greedily and only a layer boundary may close one early; the
    order is deterministic and the work linear. Every instruction is validated as for
    :func:`render_csv`; pass a dict as ``bodies`` to keep the rendered rows for it. Returns a list
    of lists of instructions.
    """
    if max_rows < 1:
        raise FormatError("max_rows must be at least 1")
    header_bytes = len(HEADER.encode())
    seen = defaultdict(int)
    layers = []
    for row, instruction in enumerate(instructions):
        values = _row_values(instruction, row, decimals)
        body = ",".join(values)
        if bodies is not None:
            bodies[instruction.request_id] = body
        key = (values[5], values[4], values[6], values[7])
        occurrence = seen[key]
        seen[key] = occurrence + 1
        if occurrence == len(layers):
            layers.append([])
        layers[occurrence].append((instruction, key, len(body.encode())))

    batches = []
    batch, keys, size = [], set(), header_bytes
    for layer in layers:
        for instruction, key, body_bytes in layer:
            # "\n" + id + "," + body; the id is the row's index in its own batch.
            row_bytes = len(str(len(batch))) + body_bytes + 2
            if batch and (len(batch) == max_rows or size + row_bytes > max_bytes or key in keys):
                batches.append(batch)
                batch, keys, size = [], set(), header_bytes
                row_bytes = body_bytes + 3
            if size + row_bytes > max_bytes:
                raise FormatError(
                    f"request_id {instruction.request_id!r}: a file with this row alone is "
                    f"{size + row_bytes} bytes, over the {max_bytes} bytes limit"
                )
            batch.append(instruction)
            keys.add(key)
            size += row_bytes
    if batch:
        batches.append(batch)
    return batches


def parse_csv(text):
    """Parse a batch file the way PH-EE does, and refuse what it would refuse or misread.

    Header: a subset of :data:`ALLOWED_COLUMNS`, exactly spelled, no repeats ("Invalid file
    structure" otherwise). Rows: naive comma split, so a row must have as many values as the header
    and no value may hold a quote. CR and a trailing newline are refused (the latter breaks the
    signature). Returns one dict per row, values as strings.
    """
    if not text:
        raise FormatError("Invalid file structure: the file is empty")
    if "\r" in text:
        raise FormatError("Invalid file structure: CR found, lines must end with LF only")
    if text.endswith("\n"):
        raise FormatError("Invalid file structure: trailing newline")
    header, *lines = text.split("\n")
    columns = header.split(",")
    unknown = [column for column in columns if column not in ALLOWED_COLUMNS]
    if unknown or len(set(columns)) != len(columns):
        raise FormatError(f"Invalid file structure: header {header!r}")
    rows = []
    for number, line in enumerate(lines, start=1):
        values = line.split(",")
        if len(values) != len(columns):
            raise FormatError(
                f"line {number + 1}: {len(values)} values for {len(columns)} columns (a comma in a value?)"
            )
        if '"' in line or "'" in line:
            raise FormatError(f"line {number + 1}: quotes are not unquoted by PH-EE")
        rows.append(dict(zip(columns, values, strict=True)))
    return rows


def render_raw_json(instructions, decimals=0):
    """The body of a ``Type: raw`` submission: a JSON array, one object per instruction.

    Validated like the CSV, except that commas and quotes are allowed (JSON escapes them). The
    amount is a string formatted as in the CSV; ``debitParty`` is empty when no payer is given
    (budget-account mode).
    """
    body = []
    for row, instruction in enumerate(instructions):
        values = dict(zip(COLUMNS[1:], _check(instruction, row, decimals), strict=True))
        payer = instruction.payer_identifier
        body.append(
            {
                "requestId": values["request_id"],
                "paymentMode": values["payment_mode"],
                "amount": values["amount"],
                "currency": values["currency"],
                "descriptionText": instruction.note or "",
                "creditParty": [
                    {"key": values["payee_identifier_type"], "value": values["payee_identifier"]}
                ],
                "debitParty": [{"key": instruction.payer_identifier_type, "value": payer}] if payer else [],
            }
        )
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def batch_id_from_polling_path(body):
    """The PH-EE batch id from a 202 submission response (``PollingPath`` last segment).

    ``body`` is the decoded JSON object or its text.
    """
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            raise FormatError(f"the submission response is not JSON: {body[:200]!r}") from None
    path = body.get("PollingPath") if isinstance(body, dict) else None
    batch_id = path.rpartition("/")[2] if isinstance(path, str) else ""
    if not batch_id:
        raise FormatError(f"the submission response has no PollingPath with a batch id: {body!r}"[:300])
    return batch_id


def _error_text(error_information):
    """Readable text from PH-EE's ``errorInformation`` (a dict, JSON text or plain text)."""
    if isinstance(error_information, str):
        try:
            error_information = json.loads(error_information)
        except ValueError:
            return error_information.strip()
    if isinstance(error_information, dict):
        inner = error_information.get("errorInformation")
        if isinstance(inner, dict):
            error_information = inner
        code = error_information.get("errorCode")
        description = error_information.get("errorDescription")
        return " ".join(str(part) for part in (code, description) if part)
    return str(error_information or "")


def transfer_outcome(transfer):
    """Map one PH-EE Transfer (from ``/batch/detail``) to a :class:`TransferOutcome`.

    COMPLETED → paid; FAILED / EXCEPTION → failed, with the reason from errorInformation, else
    statusDetail; IN_PROGRESS / UNKNOWN → pending. The request id is ``clientCorrelationId``
    (fallback ``transactionId``); the PSP reference is ``transactionId``. An unknown status is
    refused rather than guessed.
    """
    request_id = transfer.get("clientCorrelationId") or transfer.get("transactionId")
    if not request_id:
        raise FormatError(f"transfer without clientCorrelationId or transactionId: {transfer!r}"[:300])
    raw_status = str(transfer.get("status") or "").upper()
    status = _TRANSFER_STATUS.get(raw_status)
    if status is None:
        raise FormatError(f"transfer {request_id}: unknown status {transfer.get('status')!r}")
    reason = ""
    if status == STATUS_FAILED:
        reason = (
            _error_text(transfer.get("errorInformation"))
            or str(transfer.get("statusDetail") or "").strip()
            or raw_status
        )
    completed_at = utc_datetime(transfer.get("completedAt")) if status != STATUS_PENDING else None
    return TransferOutcome(request_id, status, reason, transfer.get("transactionId") or "", completed_at)


_EPOCH = datetime.datetime(1970, 1, 1)


def utc_datetime(value):
    """A naive UTC datetime from PH-EE's date values: epoch milliseconds (Jackson's default for
    ``java.util.Date``, as a number or digits) or ISO 8601 text; None when absent or unreadable
    (a date is a detail of an outcome, never a reason to drop it)."""
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
            # 0 and negatives are placeholders, not moments.
            return _EPOCH + datetime.timedelta(milliseconds=int(value)) if int(value) > 0 else None
        parsed = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo:
        parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
    return parsed
