import datetime
import json
import time
import uuid
from collections import Counter
from decimal import Decimal

import pytest

from ..tools import phee
from odoo.addons.g2p_payment_hub.tools import FormatError, new_request_ids


def _instruction(n, amount=Decimal(100), payee=None, **values):
    return phee.PaymentInstruction(
        request_id=values.pop("request_id", str(uuid.UUID(int=n + 1))),
        payment_mode=values.pop("payment_mode", "mojaloop"),
        payer_identifier_type="msisdn",
        payer_identifier="27710101999",
        payee_identifier_type=values.pop("payee_identifier_type", "msisdn"),
        payee_identifier=payee or f"2771{n:07d}",
        amount=amount,
        currency=values.pop("currency", "USD"),
        note=values.pop("note", f"G2P cycle 1 payment {n}"),
        line_id=n,
        **values,
    )


def _key(row):
    return row["payee_identifier"], row["payee_identifier_type"], row["amount"], row["currency"]


def test_render_csv_exact():
    text = phee.render_csv([_instruction(0), _instruction(1, amount=Decimal("250.00"), note="")])
    assert text == (
        "id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,"
        "payee_identifier,amount,currency,note\n"
        "0,00000000-0000-0000-0000-000000000001,mojaloop,msisdn,27710101999,msisdn,27710000000,100,USD,"
        "G2P cycle 1 payment 0\n"
        "1,00000000-0000-0000-0000-000000000002,mojaloop,msisdn,27710101999,msisdn,27710000001,250,USD,"
    )
    assert not text.endswith("\n")


def test_render_csv_decimals():
    text = phee.render_csv([_instruction(0, amount=Decimal("12.5")), _instruction(1, amount=7)], decimals=2)
    assert [row["amount"] for row in phee.parse_csv(text)] == ["12.50", "7.00"]
    # Odoo monetary fields are floats: 10.1 must not become 10.0999999...
    assert phee.parse_csv(phee.render_csv([_instruction(0, amount=10.1)], decimals=2))[0]["amount"] == "10.10"


@pytest.mark.parametrize(
    ("amount", "decimals", "message"),
    [
        (
            Decimal("100.5"),
            0,
            "row 0 (request_id '00000000-0000-0000-0000-000000000001'), column amount: "
            "amount Decimal('100.5') has more than 0 decimal(s)",
        ),
        (Decimal("1.005"), 2, "more than 2 decimal(s)"),
        (Decimal(0), 0, "must be a positive number"),
        (Decimal(-5), 0, "must be a positive number"),
        (Decimal("NaN"), 0, "must be a positive number"),
        ("ten", 0, "is not a number"),
    ],
)
def test_render_csv_refuses_bad_amounts(amount, decimals, message):
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        phee.render_csv([_instruction(0, amount=amount)], decimals=decimals)


def test_render_csv_names_row_and_column_of_forbidden_characters():
    rows = [_instruction(0), _instruction(1, payee="2771,000")]
    with pytest.raises(FormatError, match=r"row 1 .*column payee_identifier: '2771,000' contains a comma"):
        phee.render_csv(rows)
    for bad in ('mo"jaloop', "mo\njaloop", "mo\rjaloop", "mo'jaloop"):
        with pytest.raises(FormatError, match="row 0 .*column payment_mode"):
            phee.render_csv([_instruction(0, payment_mode=bad)])
    with pytest.raises(FormatError, match="column payee_identifier_type: ' msisdn' has leading or trailing"):
        phee.render_csv([_instruction(0, payee_identifier_type=" msisdn")])
    # The check of a whole row at once must catch, and name, each of these too.
    for values, column in [
        ({"payment_mode": "\tmojaloop"}, "payment_mode"),
        ({"payee_identifier_type": "msisdn\t"}, "payee_identifier_type"),
        ({"payee": "2771000 "}, "payee_identifier"),
    ]:
        with pytest.raises(FormatError, match=f"column {column}: .* has leading or trailing"):
            phee.render_csv([_instruction(0, **values)])
    # An inner tab or space breaks nothing in PH-EE's split: such a row passes the slower check.
    assert phee.parse_csv(phee.render_csv([_instruction(0, payee="2771 000\t1")]))[0]["payee_identifier"] == (
        "2771 000\t1"
    )
    with pytest.raises(FormatError, match="column request_id: not a UUID"):
        phee.render_csv([_instruction(0, request_id="PAY-1")])
    with pytest.raises(FormatError, match="column request_id: not a UUID"):
        phee.render_csv([_instruction(0, request_id=str(uuid.UUID(int=1)) + " ")])
    with pytest.raises(FormatError, match="column currency: 'usd' is not an ISO 4217 code"):
        phee.render_csv([_instruction(0, currency="usd")])
    with pytest.raises(FormatError, match="column payment_mode: value is required"):
        phee.render_csv([_instruction(0, payment_mode="")])


def test_render_csv_sanitises_the_note():
    text = phee.render_csv([_instruction(0, note='Cycle 3, "March"\r\nO\'Brien\thousehold')])
    assert phee.parse_csv(text)[0]["note"] == "Cycle 3 March O Brien household"


def test_parse_csv_applies_phee_rules():
    good = phee.render_csv([_instruction(0)])
    assert phee.parse_csv(good)[0]["request_id"] == "00000000-0000-0000-0000-000000000001"
    assert phee.parse_csv("request_id,amount,batch_id\nabc,5,b1") == [
        {"request_id": "abc", "amount": "5", "batch_id": "b1"}
    ]
    for text, message in [
        (good + "\n", "trailing newline"),
        (good.replace("\n", "\r\n"), "CR found"),
        (good.replace("request_id", "requestId", 1), "Invalid file structure: header"),
        ("id,id\n0,0", "Invalid file structure: header"),
        ("id,note\n0,a,b", "line 2: 3 values for 2 columns"),
        ('id,note\n0,"a"', "line 2: quotes"),
        ("", "empty"),
    ]:
        with pytest.raises(FormatError, match=message):
            phee.parse_csv(text)


def test_split_spreads_duplicates_and_respects_limits():
    instructions = [_instruction(n) for n in range(1200)]
    # Three beneficiaries paid twice and one paid three times with the same amount: PH-EE would
    # drop the repeats if they shared a batch.
    for n, original in ((5, 0), (700, 0), (1100, 0), (40, 41), (900, 901), (1000, 1001)):
        instructions[n] = _instruction(n, payee=f"2771{original:07d}")
    max_bytes = 20_000
    batches = phee.split_into_batches(instructions, max_rows=500, max_bytes=max_bytes)

    seen = Counter(instruction.request_id for batch in batches for instruction in batch)
    assert sorted(seen) == sorted(instruction.request_id for instruction in instructions)
    assert set(seen.values()) == {1}
    sizes = []
    for batch in batches:
        text = phee.render_csv(batch)
        sizes.append(len(text.encode()))
        assert len(text.encode()) <= max_bytes
        rows = phee.parse_csv(text)
        assert len(rows) == len(batch) <= 500
        keys = [_key(row) for row in rows]
        assert len(set(keys)) == len(keys), "a batch holds two rows PH-EE would de-duplicate"
        # Round trip: what PH-EE reads is what we sent.
        assert [row["request_id"] for row in rows] == [i.request_id for i in batch]
        assert [row["id"] for row in rows] == [str(n) for n in range(len(batch))]
        assert [Decimal(row["amount"]) for row in rows] == [i.amount for i in batch]
    # The byte limit, not the row limit, decides here (each row is ~120 bytes): 1,198 distinct
    # payments fill 8 batches; the split closes a batch where a key repeats at a layer boundary, so
    # payee 0's third and fourth payments get a batch each.
    assert [len(batch) for batch in batches] == [167, 166, 166, 166, 166, 166, 165, 36, 1, 1]
    assert min(sizes[:7]) > max_bytes - 130
    # Deterministic.
    assert phee.split_into_batches(instructions, max_rows=500, max_bytes=max_bytes) == batches


def test_split_row_limit_and_same_payee_different_amount():
    instructions = [_instruction(n, payee="27710000000", amount=Decimal(n + 1)) for n in range(1001)]
    batches = phee.split_into_batches(instructions)
    assert [len(batch) for batch in batches] == [500, 500, 1]
    assert [i for batch in batches for i in batch] == instructions


def test_split_one_payee_paid_many_times_needs_one_batch_each():
    instructions = [_instruction(n, payee="27710000000") for n in range(4)] + [_instruction(9)]
    batches = phee.split_into_batches(instructions)
    assert [[i.line_id for i in batch] for batch in batches] == [[0, 9], [1], [2], [3]]


def test_split_refuses_a_row_too_big_for_a_file():
    with pytest.raises(FormatError, match="over the 150 bytes limit"):
        phee.split_into_batches([_instruction(0, note="x" * 100)], max_bytes=150)


def test_split_and_render_250000_instructions():
    instructions = [_instruction(n, amount=Decimal(50 + n % 7)) for n in range(250_000)]
    start = time.perf_counter()
    batches = phee.split_into_batches(instructions)
    split = time.perf_counter() - start
    texts = [phee.render_csv(batch) for batch in batches]
    total = time.perf_counter() - start
    print(f"\n250,000 instructions: split {split:.2f}s, split+render {total:.2f}s, {len(batches)} batches")  # noqa: T201
    assert sum(len(batch) for batch in batches) == 250_000
    assert all(len(text.encode()) <= 100_000 for text in texts)


def test_render_raw_json():
    body = json.loads(
        phee.render_raw_json(
            [
                _instruction(0, note='Cycle 3, "March"'),
                phee.PaymentInstruction(
                    str(uuid.UUID(int=2)), "gsma", "", "", "accountNumber", "ACC-9", Decimal("5.5"), "KES"
                ),
            ],
            decimals=2,
        )
    )
    assert body == [
        {
            "requestId": "00000000-0000-0000-0000-000000000001",
            "paymentMode": "mojaloop",
            "amount": "100.00",
            "currency": "USD",
            "descriptionText": 'Cycle 3, "March"',
            "creditParty": [{"key": "msisdn", "value": "27710000000"}],
            "debitParty": [{"key": "msisdn", "value": "27710101999"}],
        },
        {
            "requestId": "00000000-0000-0000-0000-000000000002",
            "paymentMode": "gsma",
            "amount": "5.50",
            "currency": "KES",
            "descriptionText": "",
            "creditParty": [{"key": "accountNumber", "value": "ACC-9"}],
            "debitParty": [],
        },
    ]
    with pytest.raises(FormatError, match="row 0 .*more than 0 decimal"):
        phee.render_raw_json([_instruction(0, amount=Decimal("5.5"))])


def test_batch_id_from_polling_path():
    body = {
        "PollingPath": "/batch/Summary/6d2bbf0f-6f6a-4b0e-9a8b-1c1f4d1c7e11",
        "SuggestedCallbackSeconds": "120",
    }
    assert phee.batch_id_from_polling_path(body) == "6d2bbf0f-6f6a-4b0e-9a8b-1c1f4d1c7e11"
    assert (
        phee.batch_id_from_polling_path(json.dumps(body).encode()) == "6d2bbf0f-6f6a-4b0e-9a8b-1c1f4d1c7e11"
    )
    for bad in (
        {"SuggestedCallbackSeconds": "120"},
        {"PollingPath": "/batch/Summary/"},
        "[1]",
        {"PollingPath": 3},
    ):
        with pytest.raises(FormatError, match="no PollingPath"):
            phee.batch_id_from_polling_path(bad)
    with pytest.raises(FormatError, match="not JSON"):
        phee.batch_id_from_polling_path("<html>502</html>")


def test_transfer_outcome():
    outcome = phee.transfer_outcome(
        {"transactionId": "tx-1", "clientCorrelationId": "req-1", "status": "COMPLETED", "statusDetail": ""}
    )
    assert outcome == phee.TransferOutcome("req-1", "paid", "", "tx-1")
    failed = phee.transfer_outcome(
        {
            "transactionId": "tx-2",
            "clientCorrelationId": "req-2",
            "status": "FAILED",
            "errorInformation": json.dumps(
                {"errorInformation": {"errorCode": 404, "errorDescription": "Payee Identifier not found"}}
            ),
            "statusDetail": "ignored when errorInformation says why",
        }
    )
    assert failed == phee.TransferOutcome("req-2", "failed", "404 Payee Identifier not found", "tx-2")
    assert phee.transfer_outcome(
        {"transactionId": "tx-3", "status": "EXCEPTION", "errorInformation": None, "statusDetail": "Timeout"}
    ) == phee.TransferOutcome("tx-3", "failed", "Timeout", "tx-3")
    assert phee.transfer_outcome(
        {"transactionId": "tx-4", "status": "failed", "errorInformation": "No funds"}
    )[1:3] == ("failed", "No funds")
    assert phee.transfer_outcome({"transactionId": "tx-5", "status": "FAILED"}).reason == "FAILED"
    for status in ("IN_PROGRESS", "UNKNOWN"):
        assert phee.transfer_outcome({"clientCorrelationId": "r", "status": status}).status == "pending"
    with pytest.raises(FormatError, match="unknown status 'DONE'"):
        phee.transfer_outcome({"clientCorrelationId": "r", "status": "DONE"})
    with pytest.raises(FormatError, match="without clientCorrelationId"):
        phee.transfer_outcome({"status": "COMPLETED"})


def test_transfer_completion_time():
    def completed(value, status="COMPLETED"):
        transfer = {"transactionId": "t", "status": status, "completedAt": value}
        return phee.transfer_outcome(transfer).completed_at

    moment = datetime.datetime(2026, 3, 1, 23, 30, 5)
    millis = int(moment.replace(tzinfo=datetime.UTC).timestamp() * 1000)
    # Jackson writes java.util.Date as epoch milliseconds; some deployments write ISO 8601.
    assert completed(millis) == moment
    assert completed(str(millis)) == moment
    assert completed("2026-03-01T23:30:05Z") == moment
    assert completed("2026-03-02T01:30:05+02:00") == moment
    assert completed(millis, status="FAILED") == moment
    # No date, an unreadable one, or a transfer still running: no completion time, the outcome stays.
    for value in (None, "", "yesterday", 10**20, 0, "0", -5, True):
        assert completed(value) is None
    assert completed(millis, status="IN_PROGRESS") is None


def test_rows_rendered_while_splitting_are_reused_as_they_are():
    instructions = [_instruction(n, amount=Decimal(100 + n)) for n in range(30)]
    bodies = {}
    batches = phee.split_into_batches(instructions, max_rows=10, bodies=bodies)
    assert len(bodies) == 30
    for batch in batches:
        assert phee.render_csv(batch, bodies=bodies) == phee.render_csv(batch)
    # A row that was not split (no body kept) is still validated and rendered.
    extra = _instruction(99)
    assert phee.render_csv([extra], bodies=bodies).split("\n")[1].startswith("0," + extra.request_id)


def test_new_request_ids_are_unique_version_4_uuids():
    ids = new_request_ids(5000)
    assert len(set(ids)) == 5000
    for value in ids[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert new_request_ids(0) == []
