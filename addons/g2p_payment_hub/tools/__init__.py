"""Pure-Python helpers every connector uses: amount formatting, currency decimals, request ids.

Nothing here touches the ORM. The wire formats of each connector type live in that connector's
addon (e.g. ``odoo.addons.g2p_payment_hub_phee.tools.phee``) and build on these helpers.
"""

import os
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not 2 (the common case); used when the caller does not
# give the currency's decimals itself (Odoo's ``res.currency.decimal_places`` is the better source).
# fmt: off
_MINOR_UNITS = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                     "VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    "CLF": 4,
    "UYW": 4,
}
# fmt: on


class FormatError(ValueError):
    """An input that cannot be rendered into the wire format; the message says which and why."""


def currency_decimals(currency):
    """Number of decimals of an ISO 4217 currency code (2 unless listed otherwise)."""
    return _MINOR_UNITS.get(currency, 2)


def format_amount(amount, decimals, where):
    """Render a strictly positive amount with exactly ``decimals`` decimals.

    Refuses, rather than rounds, an amount that has more precision than allowed: rounding money
    silently would pay a beneficiary something else than what was approved. Floats (Odoo monetary
    fields) go through ``str`` so 10.1 stays 10.1. ``where`` prefixes the error message.
    """
    if isinstance(amount, float):
        amount = str(amount)
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise FormatError(f"{where}: amount {amount!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise FormatError(f"{where}: amount {amount!r} must be a positive number")
    try:
        rounded = value.quantize(Decimal(1).scaleb(-decimals))
    except InvalidOperation:
        raise FormatError(f"{where}: amount {amount!r} is too large") from None
    if rounded != value:
        raise FormatError(f"{where}: amount {amount!r} has more than {decimals} decimal(s)")
    return f"{rounded:f}"


def new_request_ids(count):
    """``count`` random (version 4) UUIDs as strings, from one read of the system's random source:
    a national payroll needs hundreds of thousands at once."""
    raw = os.urandom(16 * count).hex()
    ids = []
    for start in range(0, 32 * count, 32):
        h = raw[start : start + 32]
        ids.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}")
    return ids
