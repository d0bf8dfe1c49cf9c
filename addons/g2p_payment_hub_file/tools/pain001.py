"""ISO 20022 ``pain.001.001.09`` credit transfer initiation, for banks.

Text is reduced to the Latin basic character set most banks accept (the EPC/SEPA subset): accents
are dropped, other characters become spaces. Identifiers are never altered — a changed id would
break reconciliation — so an invalid one is refused instead.
"""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from lxml import etree

from odoo.addons.g2p_payment_hub.tools import FormatError, currency_decimals, format_amount

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
MAX_NAME = 140
MAX_REMITTANCE = 140
MAX_ID = 35

_LATIN = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]+")
_SPACES = re.compile(r" {2,}")
_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}")
# Letters NFKD does not decompose into a Latin letter plus accents.
_TRANSLITERATION = str.maketrans(
    {"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l",
     "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "ı": "i", "&": "+"}
)  # fmt: skip
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_BIC = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    """One payment to a bank account. ``creditor_bic`` may be empty (the bank derives it)."""

    request_id: str
    amount: Decimal
    creditor_name: str
    creditor_iban: str
    creditor_bic: str = ""
    remittance_information: str = ""


def latin_text(text, max_length):
    """``text`` in the Latin basic set, spaces collapsed, cut at ``max_length``."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_TRANSLITERATION))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _SPACES.sub(" ", _LATIN.sub(" ", text)).strip()[:max_length].rstrip()


def end_to_end_id(request_id):
    """The EndToEndId/InstrId for a request id: a UUID (36 characters, over the 35 allowed) is sent
    as its 32 hex digits, ``uuid.UUID(end_to_end_id)`` gives it back; other ids are sent as they
    are when they fit."""
    try:
        return uuid.UUID(request_id).hex
    except (ValueError, TypeError, AttributeError):
        return _identifier(request_id, "request id")


def _identifier(value, label):
    if not isinstance(value, str) or not _ID.fullmatch(value) or value != value.strip():
        raise FormatError(
            f"{label} {value!r}: 1 to {MAX_ID} characters among letters, digits and / - ? : ( ) . , ' +"
        )
    return value


def _iban(value, label):
    iban = (value or "").replace(" ", "").upper()
    # ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1.
    if not _IBAN.fullmatch(iban) or int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 != 1:
        raise FormatError(f"{label}: {value!r} is not a valid IBAN")
    return iban


def _bic(value, label):
    bic = (value or "").replace(" ", "").upper()
    if not _BIC.fullmatch(bic):
        raise FormatError(f"{label}: {value!r} is not a valid BIC")
    return bic


def _name(value, label):
    name = latin_text(value, MAX_NAME)
    if not name:
        raise FormatError(f"{label}: name {value!r} has no character left in the Latin basic set")
    return name


def _sub(parent, tag, text=None, **attributes):
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _path(parent, path, text):
    """Create the nested elements of a slash-separated ``path`` and set the last one's text."""
    *ancestors, leaf = path.split("/")
    for tag in ancestors:
        parent = _sub(parent, tag)
    return _sub(parent, leaf, text)


def render_pain001(
    message_id,
    creation_datetime,
    debtor_name,
    debtor_iban,
    debtor_bic,
    payments,
    execution_date,
    currency,
    decimals=None,
):
    """A ``pain.001.001.09`` document (UTF-8 bytes) with one PmtInf holding every payment.

    ``creation_datetime`` is sent in UTC (a naive one is taken as UTC, like Odoo's datetimes).
    ``decimals`` defaults to the currency's ISO 4217 minor unit; an amount with more decimals is
    refused. InstrId and EndToEndId carry :func:`end_to_end_id` of the request id.
    """
    if not payments:
        raise FormatError("a pain.001 message needs at least one payment")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise FormatError(f"currency {currency!r} is not an ISO 4217 code")
    decimals = currency_decimals(currency) if decimals is None else decimals
    _identifier(message_id, "message id")
    if creation_datetime.tzinfo is not None:
        creation_datetime = creation_datetime.astimezone(UTC).replace(tzinfo=None)

    transactions = []
    total = Decimal(0)
    for number, payment in enumerate(payments, start=1):
        label = f"payment {number} (request id {payment.request_id!r})"
        amount = format_amount(payment.amount, decimals, label)
        total += Decimal(amount)
        transactions.append(
            (
                end_to_end_id(payment.request_id),
                amount,
                payment.creditor_bic and _bic(payment.creditor_bic, f"{label}, creditor BIC"),
                _name(payment.creditor_name, f"{label}, creditor"),
                _iban(payment.creditor_iban, f"{label}, creditor IBAN"),
                latin_text(payment.remittance_information, MAX_REMITTANCE),
            )
        )
    count, control_sum = str(len(transactions)), f"{total:f}"

    document = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", creation_datetime.replace(microsecond=0).isoformat() + "Z")
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", control_sum)
    _path(header, "InitgPty/Nm", _name(debtor_name, "debtor"))

    info = _sub(initiation, "PmtInf")
    _sub(info, "PmtInfId", message_id)
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", count)
    _sub(info, "CtrlSum", control_sum)
    _path(info, "ReqdExctnDt/Dt", execution_date.isoformat())
    _path(info, "Dbtr/Nm", _name(debtor_name, "debtor"))
    _path(info, "DbtrAcct/Id/IBAN", _iban(debtor_iban, "debtor IBAN"))
    _path(info, "DbtrAgt/FinInstnId/BICFI", _bic(debtor_bic, "debtor BIC"))
    for instruction_id, amount, bic, name, iban, remittance in transactions:
        transaction = _sub(info, "CdtTrfTxInf")
        payment_id = _sub(transaction, "PmtId")
        _sub(payment_id, "InstrId", instruction_id)
        _sub(payment_id, "EndToEndId", instruction_id)
        _sub(_sub(transaction, "Amt"), "InstdAmt", amount, Ccy=currency)
        if bic:
            _path(transaction, "CdtrAgt/FinInstnId/BICFI", bic)
        _path(transaction, "Cdtr/Nm", name)
        _path(transaction, "CdtrAcct/Id/IBAN", iban)
        if remittance:
            _path(transaction, "RmtInf/Ustrd", remittance)
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
