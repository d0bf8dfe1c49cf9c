import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from ..tools import pain001
from odoo.addons.g2p_payment_hub.tools import FormatError

# Our own subset of pain.001.001.09 (element order, cardinalities, lengths, patterns).
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "pain001_subset.xsd")))
NS = {"p": pain001.NAMESPACE}
REQUEST_1 = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b"
REQUEST_2 = "00000000-0000-0000-0000-000000000002"


def _render(payments=None, **overrides):
    values = dict(
        message_id="G2P-PAYROLL-42-1",
        creation_datetime=datetime(2025, 3, 1, 10, 30, 15, 123456),
        debtor_name="Ministère de la Solidarité",
        debtor_iban="DE89 3704 0044 0532 0130 00",
        debtor_bic="COBADEFFXXX",
        payments=[
            pain001.CreditTransfer(
                REQUEST_1,
                Decimal("150.5"),
                "Zoë Ångström-Øberg",
                "FR1420041010050500013M02606",
                "BNPAFRPP",
                "G2P cycle 3 – household H-0042",
            ),
            pain001.CreditTransfer(REQUEST_2, 80, "Jean Dupont", "gb82 west 1234 5698 7654 32"),
        ]
        if payments is None
        else payments,
        execution_date=date(2025, 3, 3),
        currency="EUR",
    )
    values.update(overrides)
    return etree.fromstring(pain001.render_pain001(**values))


def _text(node, path):
    return node.findtext(path, namespaces=NS)


def test_structure_and_values():
    root = _render()
    SCHEMA.assertValid(root)
    assert root.tag == f"{{{pain001.NAMESPACE}}}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert _text(header, "p:MsgId") == "G2P-PAYROLL-42-1"
    assert _text(header, "p:CreDtTm") == "2025-03-01T10:30:15Z"
    assert _text(header, "p:NbOfTxs") == "2"
    assert _text(header, "p:CtrlSum") == "230.50"
    assert _text(header, "p:InitgPty/p:Nm") == "Ministere de la Solidarite"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert _text(info, "p:PmtMtd") == "TRF"
    assert _text(info, "p:ReqdExctnDt/p:Dt") == "2025-03-03"
    assert _text(info, "p:DbtrAcct/p:Id/p:IBAN") == "DE89370400440532013000"
    assert _text(info, "p:DbtrAgt/p:FinInstnId/p:BICFI") == "COBADEFFXXX"
    first, second = info.findall("p:CdtTrfTxInf", NS)
    assert (
        _text(first, "p:PmtId/p:InstrId") == _text(first, "p:PmtId/p:EndToEndId") == uuid.UUID(REQUEST_1).hex
    )
    assert uuid.UUID(_text(first, "p:PmtId/p:EndToEndId")) == uuid.UUID(REQUEST_1)
    amount = first.find("p:Amt/p:InstdAmt", NS)
    assert (amount.text, amount.get("Ccy")) == ("150.50", "EUR")
    assert _text(first, "p:CdtrAgt/p:FinInstnId/p:BICFI") == "BNPAFRPP"
    assert _text(first, "p:Cdtr/p:Nm") == "Zoe Angstrom-Oberg"
    assert _text(first, "p:CdtrAcct/p:Id/p:IBAN") == "FR1420041010050500013M02606"
    assert _text(first, "p:RmtInf/p:Ustrd") == "G2P cycle 3 household H-0042"
    # No BIC known: no CdtrAgt; no remittance text: no RmtInf.
    assert second.find("p:CdtrAgt", NS) is None
    assert second.find("p:RmtInf", NS) is None
    assert _text(second, "p:Amt/p:InstdAmt") == "80.00"
    assert _text(second, "p:CdtrAcct/p:Id/p:IBAN") == "GB82WEST12345698765432"
    # The schema is not vacuous: an element out of order fails it.
    first.append(first.find("p:PmtId", NS))
    assert not SCHEMA.validate(root)


def test_currency_decimals_and_timezone():
    payments = [pain001.CreditTransfer(REQUEST_1, 5000, "A B", "DE89370400440532013000")]
    tz = timezone(timedelta(hours=3))
    root = _render(payments, currency="XOF", creation_datetime=datetime(2025, 3, 1, 2, 0, tzinfo=tz))
    SCHEMA.assertValid(root)
    assert _text(root, ".//p:InstdAmt") == "5000"
    assert _text(root, ".//p:GrpHdr/p:CreDtTm") == "2025-02-28T23:00:00Z"
    assert _text(
        _render(payments, currency="KWD", creation_datetime=datetime(2025, 1, 1, tzinfo=UTC)), ".//p:CtrlSum"
    ) == ("5000.000")
    with pytest.raises(FormatError, match=r"payment 1 .*more than 0 decimal"):
        _render(
            [pain001.CreditTransfer(REQUEST_1, Decimal("1.5"), "A B", "DE89370400440532013000")],
            currency="XOF",
        )


def test_lengths_and_character_set():
    long_name = "Ñandú " * 40
    root = _render(
        [pain001.CreditTransfer(REQUEST_1, 1, long_name, "DE89370400440532013000", "", "€ " + "x" * 300)]
    )
    SCHEMA.assertValid(root)
    name = _text(root, ".//p:Cdtr/p:Nm")
    assert len(name) <= 140 and name.startswith("Nandu Nandu") and not name.endswith(" ")
    assert len(_text(root, ".//p:Ustrd")) == 140
    assert pain001.latin_text("Łódź & Straße «№5»", 140) == "Lodz + Strasse No5"
    assert pain001.end_to_end_id("PAY/2025/000042") == "PAY/2025/000042"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"debtor_iban": "DE89370400440532013001"},
            "debtor IBAN: 'DE89370400440532013001' is not a valid IBAN",
        ),
        ({"debtor_bic": "COBA"}, "debtor BIC: 'COBA' is not a valid BIC"),
        ({"message_id": "M" * 36}, "message id"),
        ({"currency": "eur"}, "not an ISO 4217 code"),
        ({"payments": [pain001.CreditTransfer("x" * 36, 1, "A", "DE89370400440532013000")]}, "request id"),
        (
            {"payments": [pain001.CreditTransfer(REQUEST_1, 1, "محمد", "DE89370400440532013000")]},
            "payment 1 .*creditor: name",
        ),
        (
            {"payments": [pain001.CreditTransfer(REQUEST_1, 1, "A", "NL00INGB0001")]},
            "payment 1 .*creditor IBAN",
        ),
        ({"payments": [pain001.CreditTransfer(REQUEST_1, 0, "A", "DE89370400440532013000")]}, "positive"),
        ({"payments": []}, "at least one payment"),
    ],
)
def test_refusals(overrides, message):
    with pytest.raises(FormatError, match=message):
        _render(**overrides)
