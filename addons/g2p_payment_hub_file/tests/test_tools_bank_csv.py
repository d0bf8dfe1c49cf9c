import csv
import io
from decimal import Decimal

import pytest

from ..tools import bank_csv
from odoo.addons.g2p_payment_hub.tools import FormatError


def test_render_bank_csv_quotes_and_formats():
    text = bank_csv.render_bank_csv(
        [
            bank_csv.BankPayment(
                "PAY/2025/0001",
                "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b",
                'Dupont, Jean "JJ"',
                "FR1420041010050500013M02606",
                "BNPAFRPP",
                Decimal("150.5"),
                "EUR",
                "Cycle 3\nHH-42",
            ),
            bank_csv.BankPayment("PAY/2025/0002", "r-2", "Awa Diop", "SN0123", "", 5000, "XOF"),
        ]
    )
    assert text.splitlines()[0] == ",".join(bank_csv.COLUMNS)
    assert 'PAY/2025/0001,6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b,"Dupont, Jean ""JJ""",' in text
    assert text.endswith("PAY/2025/0002,r-2,Awa Diop,SN0123,,5000,XOF,\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[0]["beneficiary_name"] == 'Dupont, Jean "JJ"'
    assert rows[0]["reference"] == "Cycle 3\nHH-42"
    assert (rows[0]["amount"], rows[1]["amount"]) == ("150.50", "5000")


def test_render_bank_csv_refusals():
    payment = bank_csv.BankPayment("PAY-1", "r-1", "A", "SN0123", "", Decimal("1.5"), "XOF")
    with pytest.raises(FormatError, match=r"payment 1 \('PAY-1'\): amount Decimal\('1.5'\) has more than 0"):
        bank_csv.render_bank_csv([payment])
    assert bank_csv.render_bank_csv([payment], decimals=2).endswith(",1.50,XOF,\r\n")
    with pytest.raises(FormatError, match="payment 1 .*account is required"):
        bank_csv.render_bank_csv([bank_csv.BankPayment("PAY-1", "r-1", "A", "", "", 1, "XOF")])
