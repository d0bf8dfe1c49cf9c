"""Voucher codes: the voucher id and its last valid day, signed with an HMAC under the database
secret (``odoo.tools.misc.hmac``), in 24 base32 characters a person can type from the paper.

Layout (15 bytes): voucher id (4 bytes), last valid day as days since 2000-01-01 (2 bytes), the
first 9 bytes (72 bits) of HMAC-SHA256 over those 6 bytes. Any altered character changes the
payload or the signature, so a forged or edited code is refused; the id and the date in the code
are also checked against the voucher itself."""

import base64
import binascii
import re
import struct
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from odoo.tools.misc import consteq, hmac

SCOPE = "g2p_voucher"
EPOCH = date(2000, 1, 1)
MAC_BYTES = 9
CODE_LENGTH = 24
# What people mistype when copying a code: base32 has no 0, 1 or 8.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


class InvalidToken(ValueError):
    """The text is not a voucher code signed by this database."""


def _mac(env, payload):
    return bytes.fromhex(hmac(env(su=True), SCOPE, payload.hex()))[:MAC_BYTES]


def encode(env, voucher_id, valid_until):
    """The printed code of a voucher, grouped by four: ``ABCD-EFGH-…`` (24 characters)."""
    payload = struct.pack(">IH", voucher_id, (valid_until - EPOCH).days)
    raw = base64.b32encode(payload + _mac(env, payload)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalize(text):
    """The bare code from what was typed or scanned: a code with or without dashes and spaces,
    lower case, look-alike digits, or a link carrying ``?code=``."""
    text = (text or "").strip()
    if "code=" in text:
        text = (parse_qs(urlsplit(text).query).get("code") or [""])[0]
    return re.sub(r"[^A-Z0-9]", "", text.upper()).translate(_LOOKALIKES)


def decode(env, text):
    """(voucher id, last valid day) of a genuine code; raises InvalidToken otherwise."""
    code = normalize(text)
    if len(code) != CODE_LENGTH:
        raise InvalidToken("length")
    try:
        raw = base64.b32decode(code)
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("alphabet") from error
    payload, mac = raw[:6], raw[6:]
    if not consteq(mac, _mac(env, payload)):
        raise InvalidToken("signature")
    voucher_id, days = struct.unpack(">IH", payload)
    return voucher_id, EPOCH + timedelta(days=days)
