import base64
import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..tools import jws
from odoo.addons.g2p_payment_hub.tools import FormatError

DATA = Path(__file__).parent / "data"
# Test-only key pair, committed on purpose: never configure it on a real tenant.
PRIVATE_KEY = (DATA / "TEST_ONLY_phee_jws_private_key.pem").read_bytes()
CERTIFICATE = (DATA / "TEST_ONLY_phee_jws_certificate.pem").read_bytes()

HEADERS = {
    "X-CorrelationID": "5a4e2f1c-9d7b-4c3a-8e6f-0b1d2c3e4f50",
    "Platform-TenantId": "gorilla",
    "Purpose": "not signed",
}
PAYLOAD = "id,request_id,amount\n0,00000000-0000-0000-0000-000000000001,100"


def test_signed_string_order_and_trim():
    headers = {"platform-tenantid": "gorilla", "X-BatchID": "b-1", "X-CorrelationID": "c-1", "Type": "csv"}
    assert jws.signed_string(headers, " a,b\r\nc,d\n") == "b-1:c-1:gorilla:a,b\nc,d"
    # Absent or empty headers are skipped, not signed as empty values.
    assert jws.signed_string({"X-BatchID": "", "Platform-TenantId": "t"}, "x") == "t:x"


def test_round_trip_and_independent_check():
    signature = jws.sign(PRIVATE_KEY, HEADERS, PAYLOAD)
    assert jws.verify(CERTIFICATE, HEADERS, PAYLOAD, signature)
    # PKCS#1 v1.5 signatures are deterministic.
    assert jws.sign(PRIVATE_KEY, HEADERS, PAYLOAD) == signature
    # cryptography's own PKCS#1 v1.5 type 1 unpadding (no DigestInfo) recovers the UTF-8 hex of
    # SHA3-256(S): the block is what PH-EE's Java side produces and checks.
    public_key = x509.load_pem_x509_certificate(CERTIFICATE).public_key()
    recovered = public_key.recover_data_from_signature(base64.b64decode(signature), padding.PKCS1v15(), None)
    expected = hashlib.sha3_256(f"{HEADERS['X-CorrelationID']}:gorilla:{PAYLOAD}".encode()).hexdigest()
    assert recovered == expected.encode()
    # A bare public key works as well as the certificate.
    public_pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert jws.verify(public_pem.decode(), HEADERS, PAYLOAD, signature)


def test_tampering_fails():
    signature = jws.sign(PRIVATE_KEY, HEADERS, PAYLOAD)
    assert not jws.verify(CERTIFICATE, HEADERS, PAYLOAD.replace("100", "900"), signature)
    assert not jws.verify(CERTIFICATE, {**HEADERS, "Platform-TenantId": "other"}, PAYLOAD, signature)
    assert not jws.verify(CERTIFICATE, {**HEADERS, "X-BatchID": "b-1"}, PAYLOAD, signature)
    flipped = bytearray(base64.b64decode(signature))
    flipped[-1] ^= 1
    assert not jws.verify(CERTIFICATE, HEADERS, PAYLOAD, base64.b64encode(bytes(flipped)).decode())
    assert not jws.verify(CERTIFICATE, HEADERS, PAYLOAD, "not base64!")
    assert not jws.verify(CERTIFICATE, HEADERS, PAYLOAD, base64.b64encode(b"short").decode())


def test_wrong_key_fails():
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert not jws.verify(CERTIFICATE, HEADERS, PAYLOAD, jws.sign(other_pem, HEADERS, PAYLOAD))


def test_trailing_newline_is_trimmed_consistently():
    signature = jws.sign(PRIVATE_KEY, HEADERS, PAYLOAD)
    assert jws.sign(PRIVATE_KEY, HEADERS, PAYLOAD + "\n") == signature
    assert jws.sign(PRIVATE_KEY, HEADERS, PAYLOAD.replace("\n", "\r\n") + "\r\n") == signature
    assert jws.verify(CERTIFICATE, HEADERS, PAYLOAD + "\n", signature)


def test_bad_keys_are_configuration_errors():
    with pytest.raises(FormatError, match="cannot read the signing key"):
        jws.sign(b"not a key", HEADERS, PAYLOAD)
    with pytest.raises(FormatError, match="cannot read the verification certificate"):
        jws.verify(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", HEADERS, PAYLOAD, "")
