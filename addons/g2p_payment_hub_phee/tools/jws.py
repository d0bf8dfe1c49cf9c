"""PH-EE's ``X-SIGNATURE`` (docs/phee-bulk.md §5).

PH-EE does not sign a digest the standard way: it RSA-"encrypts" with the private key, in PKCS#1
v1.5 block type 1 padding without a DigestInfo, the UTF-8 bytes of the *hex* SHA3-256 of the
signed string. ``cryptography`` has no call for that, so the block is padded here and
exponentiated with the key's private numbers.
"""

import base64
import binascii
import hashlib
import hmac
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo.addons.g2p_payment_hub.tools import FormatError

#: Headers whose values prefix the signed string, in this order, when present.
SIGNED_HEADERS = ("X-BatchID", "X-CorrelationID", "Platform-TenantId")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Java's String.trim() removes every character up to U+0020, not Unicode whitespace.
_JAVA_TRIM = "".join(chr(code) for code in range(0x21))


def _header(headers, name):
    """A header value looked up case-insensitively, as HTTP does."""
    name = name.lower()
    return next((value for key, value in headers.items() if key.lower() == name and value), None)


def signed_string(headers, payload):
    """S: the present values among :data:`SIGNED_HEADERS`, each followed by ``:``, then the
    payload with its lines joined by ``\\n`` and trimmed (so CRLF or a trailing newline in the
    payload do not change the signature)."""
    prefix = "".join(f"{value}:" for name in SIGNED_HEADERS if (value := _header(headers, name)))
    return prefix + "\n".join(_LINE_BREAK.split(payload)).strip(_JAVA_TRIM)


def _encoded_message(headers, payload, size):
    """EM = 00 01 FF..FF 00 || hex(SHA3-256(S)), ``size`` bytes long (the modulus length)."""
    digest = hashlib.sha3_256(signed_string(headers, payload).encode()).hexdigest().encode()
    padding = size - len(digest) - 3
    if padding < 8:
        raise FormatError(f"RSA key of {size * 8} bits is too small for a PH-EE signature")
    return b"\x00\x01" + b"\xff" * padding + b"\x00" + digest


def _pem(data):
    return data.encode() if isinstance(data, str) else data


def sign(private_key_pem, headers, payload, password=None):
    """The Base64 ``X-SIGNATURE`` of ``payload`` (CSV text or JSON body) with ``headers``."""
    try:
        key = serialization.load_pem_private_key(_pem(private_key_pem), password=password)
    except (ValueError, TypeError) as error:
        raise FormatError(f"cannot read the signing key: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise FormatError("the signing key must be an RSA private key")
    numbers = key.private_numbers()
    modulus = numbers.public_numbers.n
    size = (modulus.bit_length() + 7) // 8
    block = int.from_bytes(_encoded_message(headers, payload, size), "big")
    return base64.b64encode(pow(block, numbers.d, modulus).to_bytes(size, "big")).decode()


def _public_key(pem):
    pem = _pem(pem)
    try:
        if b"-----BEGIN CERTIFICATE-----" in pem:
            key = x509.load_pem_x509_certificate(pem).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise FormatError(f"cannot read the verification certificate or key: {error}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise FormatError("the verification key must be RSA")
    return key


def verify(certificate_or_public_key_pem, headers, payload, signature):
    """Whether ``signature`` (Base64) is PH-EE's signature of ``payload`` with ``headers``.

    A malformed signature is just invalid (False); an unreadable key raises FormatError, since
    that is a configuration error, not a bad message.
    """
    numbers = _public_key(certificate_or_public_key_pem).public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    value = int.from_bytes(raw, "big")
    if len(raw) != size or value >= numbers.n:
        return False
    recovered = pow(value, numbers.e, numbers.n).to_bytes(size, "big")
    return hmac.compare_digest(recovered, _encoded_message(headers, payload, size))
