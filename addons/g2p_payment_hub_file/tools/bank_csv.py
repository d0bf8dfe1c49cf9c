"""A plain bank payment file: RFC 4180 CSV written by the csv module.

Unlike PH-EE's naive parser, banks read quoted values, so names and references keep their commas
and quotes here instead of being refused or cleaned.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from odoo.addons.g2p_payment_hub.tools import FormatError, currency_decimals, format_amount

COLUMNS = (
    "payment_number",
    "request_id",
    "beneficiary_name",
    "account",
    "bic",
    "amount",
    "currency",
    "reference",
)


@dataclass(frozen=True, slots=True)
class BankPayment:
    """One row of the file; ``account`` is an IBAN or a domestic account number."""

    payment_number: str
    request_id: str
    beneficiary_name: str
    account: str
    bic: str
    amount: Decimal
    currency: str
    reference: str = ""


def render_bank_csv(payments, decimals=None):
    """The file as text: a header row, then one CRLF-terminated row per payment.

    Amounts use ``decimals``, else each currency's ISO 4217 minor unit; an amount with more
    decimals, or a payment without number, request id, name or account, is refused.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, payment in enumerate(payments, start=1):
        label = f"payment {number} ({payment.payment_number!r})"
        for column in ("payment_number", "request_id", "beneficiary_name", "account", "currency"):
            if not getattr(payment, column):
                raise FormatError(f"{label}: {column} is required")
        places = currency_decimals(payment.currency) if decimals is None else decimals
        writer.writerow(
            (
                payment.payment_number,
                payment.request_id,
                payment.beneficiary_name,
                payment.account,
                payment.bic or "",
                format_amount(payment.amount, places, label),
                payment.currency,
                payment.reference or "",
            )
        )
    return buffer.getvalue()
