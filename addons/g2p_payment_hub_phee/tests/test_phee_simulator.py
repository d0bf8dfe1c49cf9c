"""The PH-EE simulator over real HTTP, run as its own process. Plain pytest: nothing from Odoo."""

import base64
import hashlib
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import serialization

from .simulators.phee import KEYS_DIR, PheeSimulator, run_phee_simulator

TENANT = "gorilla"
HEADER = (
    "id,request_id,payment_mode,payer_identifier_type,payer_identifier,"
    "payee_identifier_type,payee_identifier,amount,currency,note"
)


def sign(private_key_pem, headers, payload):
    """Test-only signer (docs/phee-bulk.md §5): RSA PKCS#1 v1.5 block type 1 private-key encryption
    of the UTF-8 hex SHA3-256 of S, Base64."""
    key = serialization.load_pem_private_key(private_key_pem, None, default_backend())
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    size = (n.bit_length() + 7) // 8
    signed = "".join(
        f"{headers[name]}:"
        for name in ("X-BatchID", "X-CorrelationID", "Platform-TenantId")
        if headers.get(name)
    )
    digest = hashlib.sha3_256((signed + payload).encode()).hexdigest().encode()
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(digest)) + b"\x00" + digest
    return base64.b64encode(pow(int.from_bytes(block, "big"), d, n).to_bytes(size, "big")).decode()


def row(index, payee, amount=100, mode="mojaloop", request_id=None, currency="USD"):
    request_id = request_id or str(uuid.uuid4())
    return f"{index},{request_id},{mode},msisdn,24500000000,msisdn,{payee},{amount},{currency},G2P"


def make_csv(rows, header=HEADER):
    """LF line endings, no trailing newline: what the connector must send."""
    return "\n".join([header, *rows])


def request_ids(csv_text):
    return [line.split(",")[1] for line in csv_text.split("\n")[1:]]


def submit(
    sim, csv_text, correlation_id=None, tenant=TENANT, filename="g2p_batch.csv", timeout=10, **headers
):
    all_headers = {
        "X-CorrelationID": correlation_id or str(uuid.uuid4()),
        "Purpose": "G2P payment test",
        "Type": "csv",
        "Platform-TenantId": tenant,
        "filename": filename,
        **headers,
    }
    all_headers = {key: value for key, value in all_headers.items() if value is not None}
    files = {"data": (filename or "batch.csv", csv_text.encode(), "text/csv")}
    return requests.post(
        f"{sim.url}/batchtransactions?type=csv", headers=all_headers, files=files, timeout=timeout
    )


def ops(sim, path, tenant=TENANT, **params):
    headers = {"Platform-TenantId": tenant, **params.pop("headers", {})}
    return requests.get(f"{sim.url}/api/v1{path}", params=params, headers=headers, timeout=10)


def batch_id_of(response):
    assert response.status_code == 202, response.text
    return response.json()["PollingPath"].rsplit("/", 1)[1]


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def transfers(sim, batch_id, expected=None, status="ALL"):
    """All transfers of a processed batch, over pages of 500."""

    def fetch():
        page = ops(sim, "/batch/detail", batchId=batch_id, status=status, pageSize=500).json()
        return (
            page["content"] if page["totalElements"] and expected in (None, page["totalElements"]) else None
        )

    return wait_for(fetch)


def by_request(items):
    return {item["clientCorrelationId"]: item for item in items}


@pytest.fixture(scope="module")
def simulator():
    with run_phee_simulator() as sim:
        yield sim


@pytest.fixture
def sim(simulator):
    simulator.control("reset")
    return simulator


class CallbackListener:
    """A local HTTP endpoint recording callbacks; answers the queued statuses, then 200."""

    def __init__(self, statuses=()):
        self.received = []
        self.statuses = list(statuses)
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = listener.statuses.pop(0) if listener.statuses else 200
                listener.received.append((status, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/g2p/phee/callback/secret-token" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def listener():
    listener = CallbackListener()
    yield listener
    listener.close()


# ---------------------------------------------------------------------------------------------------


def test_accepted_batch_is_reported_row_by_row(sim):
    csv_text = make_csv([row(i, f"24577{i:06d}") for i in range(3)])
    correlation_id = str(uuid.uuid4())
    response = submit(sim, csv_text, correlation_id)
    body = response.json()
    assert response.status_code == 202
    assert body["SuggestedCallbackSeconds"] == "120"
    assert body["PollingPath"].startswith("/batch/Summary/")
    batch_id = batch_id_of(response)
    uuid.UUID(batch_id)

    rows = transfers(sim, batch_id, expected=3)
    assert sorted(t["clientCorrelationId"] for t in rows) == sorted(request_ids(csv_text))
    assert {t["status"] for t in rows} == {"COMPLETED"}
    assert {t["batchId"] for t in rows} != {batch_id}, "transfers carry their sub-batch id"
    assert rows[0]["amount"] == 100 and rows[0]["currency"] == "USD" and rows[0]["payerDfspId"] == TENANT

    dto = ops(sim, "/batch", batchId=batch_id).json()
    expected_fields = {
        *("batchId", "requestId", "total", "ongoing", "failed", "successful", "totalAmount"),
        *("successfulAmount", "pendingAmount", "failedAmount", "file", "notes", "createdAt", "status"),
        *("modes", "purpose", "failPercentage", "successPercentage", "registeringInstitutionId"),
        *("payerFsp", "correlationId"),
    }
    assert expected_fields <= set(dto)
    assert dto["requestId"] == dto["correlationId"] == correlation_id
    assert (dto["total"], dto["successful"], dto["failed"], dto["ongoing"]) == (3, 3, 0, 0)
    assert dto["totalAmount"] == 300 and dto["status"] == "COMPLETED" and dto["successPercentage"] == "100"

    statuses = ops(sim, "/batch/transactions", batchId=batch_id).json()
    assert sorted(statuses) == sorted(t["transactionId"] for t in rows)
    assert set(statuses.values()) == {"COMPLETED"}

    missing = ops(sim, "/batch", batchId="no-such-batch")
    assert missing.status_code == 404
    assert missing.text == "Batch corresponding to batchId: no-such-batch does not exist."


@pytest.mark.parametrize(
    ("headers", "information"),
    [
        ({"Type": "xml"}, "Invalid TYPE header value passed"),
        ({"filename": ""}, "Header can't be empty"),
        ({"Platform-TenantId": "unknown-tenant"}, "Invalid tenant value."),
    ],
)
def test_header_refusals(sim, headers, information):
    response = submit(sim, make_csv([row(0, "245770000001")]), **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["errorInformation"] == information
    assert body["errorCode"] == 400 and body["errorDescription"]
    received = sim.control("received")
    assert received["acceptedBatches"] == 0
    assert received["submissions"][0]["status"] == 400


@pytest.mark.parametrize("missing", ["X-CorrelationID", "Purpose", "Type", "Platform-TenantId"])
def test_missing_required_header_is_refused(sim, missing):
    response = submit(sim, make_csv([row(0, "245770000001")]), **{missing: None})
    assert response.status_code == 400
    assert missing in response.json()["message"]


def test_invalid_file_structure_and_size_limit(sim):
    bad_header = HEADER.replace("payee_identifier,", "payee_id,")
    response = submit(sim, make_csv([row(0, "245770000001")], header=bad_header))
    assert response.status_code == 400
    assert response.json()["errorInformation"] == "Invalid file structure"

    sim.control("config", {"csv_size": 1000})
    rows = [row(i, f"24577{i:06d}") for i in range(20)]
    small = make_csv(rows[:5])
    big = make_csv(rows)
    assert len(small.encode()) <= 1000 < len(big.encode())
    assert submit(sim, small).status_code == 202
    too_big = submit(sim, big)
    assert too_big.status_code == 400
    assert too_big.json()["errorInformation"] == "File too big"


def test_comma_inside_a_value_stops_processing(sim):
    """PH-EE splits on commas naively: a value with a comma shifts the columns; the batch is accepted
    but nothing is paid."""
    csv_text = make_csv([row(0, "245770000001"), row(1, "245770000002").replace(",G2P", ",G2P, May")])
    batch_id = batch_id_of(submit(sim, csv_text))
    dto = wait_for(lambda: (d := ops(sim, "/batch", batchId=batch_id).json())["notes"] and d)
    assert dto["notes"] == "Invalid data in file data processing stopped"
    assert ops(sim, "/batch/detail", batchId=batch_id).json()["totalElements"] == 0


def test_raw_json_variant(sim):
    items = [
        {
            "requestId": str(uuid.uuid4()),
            "paymentMode": "closedloop",
            "amount": "250",
            "currency": "KES",
            "descriptionText": "G2P",
            "creditParty": [{"key": "msisdn", "value": f"2547000000{i}"}],
            "debitParty": [{"key": "msisdn", "value": "254700000999"}],
        }
        for i in range(2)
    ]
    headers = {
        "X-CorrelationID": str(uuid.uuid4()),
        "Purpose": "G2P",
        "Type": "raw",
        "Platform-TenantId": TENANT,
    }
    response = requests.post(f"{sim.url}/batchtransactions", json=items, headers=headers, timeout=10)
    rows = transfers(sim, batch_id_of(response), expected=2)
    assert sorted(t["clientCorrelationId"] for t in rows) == sorted(item["requestId"] for item in items)
    # Type csv with a JSON body does not match the content type.
    mismatch = requests.post(
        f"{sim.url}/batchtransactions", json=items, headers={**headers, "Type": "csv"}, timeout=10
    )
    assert mismatch.status_code == 400 and mismatch.json()["errorInformation"] == "Type mismatch"


def test_deduplication_drops_the_later_of_two_identical_rows(sim):
    twin_a, twin_b, other = (str(uuid.uuid4()) for _ in range(3))
    csv_text = make_csv(
        [
            row(0, "245770000001", 100, request_id=twin_a),
            row(1, "245770000001", 100, request_id=twin_b),
            row(2, "245770000001", 150, request_id=other),  # another amount: kept
        ]
    )
    batch_id = batch_id_of(submit(sim, csv_text))
    rows = transfers(sim, batch_id, expected=2)
    assert sorted(t["clientCorrelationId"] for t in rows) == sorted([twin_a, other])
    dropped = sim.control("received")["droppedDuplicateRows"][batch_id]
    assert [d["request_id"] for d in dropped] == [twin_b]
    assert dropped[0]["note"] == "Duplicate transaction."


def test_account_lookup_miss_and_unknown_payment_mode(sim):
    sim.control(
        "config",
        {"account_lookup": True, "unknown_payees": ["245770000404"], "unknown_payee_pattern": r"2459\d+"},
    )
    csv_text = make_csv(
        [
            row(0, "245770000404"),
            row(1, "245900000001"),
            row(2, "245770000002"),
            row(3, "245770000003", mode="pix"),
        ]
    )
    rows = by_request(transfers(sim, batch_id_of(submit(sim, csv_text)), expected=4))
    ids = request_ids(csv_text)
    for request_id in ids[:2]:
        assert rows[request_id]["status"] == "FAILED"
        assert rows[request_id]["statusDetail"] == "Payee Identifier not found"
        assert json.loads(rows[request_id]["errorInformation"])["errorCode"] == "404"
    assert rows[ids[2]]["status"] == "COMPLETED" and rows[ids[2]]["payeeDfspId"] == "pluto"
    assert rows[ids[3]]["status"] == "FAILED"
    assert rows[ids[3]]["statusDetail"] == "Payment mode not configured"

    # A whole batch in an unknown mode fails row by row; the batch reads "Failed".
    batch_id = batch_id_of(submit(sim, make_csv([row(i, f"24577{i:06d}", mode="swift") for i in range(3)])))
    assert {t["statusDetail"] for t in transfers(sim, batch_id, expected=3)} == {
        "Payment mode not configured"
    }
    dto = ops(sim, "/batch", batchId=batch_id).json()
    assert (dto["failed"], dto["status"], dto["failPercentage"]) == (3, "UNKNOWN", "100")
    aggregate = ops(sim, f"/batch/{batch_id}").json()
    assert (aggregate["status"], aggregate["failPercentage"], aggregate["modes"]) == (
        "Failed",
        "100.0",
        "swift",
    )


def test_outcome_rule(sim):
    sim.control(
        "config",
        {"fail_if_payee_endswith": ["13"], "fail_amount_over": 1000, "fail_reason": "Wallet limit exceeded"},
    )
    csv_text = make_csv([row(0, "245770000013"), row(1, "245770000001", 5000), row(2, "245770000002", 1000)])
    batch_id = batch_id_of(submit(sim, csv_text))
    rows = by_request(transfers(sim, batch_id, expected=3))
    ids = request_ids(csv_text)
    assert [rows[i]["status"] for i in ids] == ["FAILED", "FAILED", "COMPLETED"]
    assert rows[ids[0]]["statusDetail"] == "Wallet limit exceeded"
    assert json.loads(rows[ids[1]]["errorInformation"])["errorDescription"] == "Wallet limit exceeded"

    failed = transfers(sim, batch_id, expected=2, status="FAILED")
    assert sorted(t["clientCorrelationId"] for t in failed) == sorted(ids[:2])
    dto = ops(sim, "/batch", batchId=batch_id).json()
    assert (dto["successful"], dto["failed"], dto["failedAmount"], dto["successfulAmount"]) == (
        1,
        2,
        5100,
        1000,
    )
    assert (dto["successPercentage"], dto["failPercentage"], dto["status"]) == ("33.33", "66.66", "UNKNOWN")
    aggregate = ops(sim, f"/batch/{batch_id}").json()
    assert (aggregate["successPercentage"], aggregate["status"]) == ("33.33333333333333", "Failed")


def test_in_progress_rows_settle_on_a_later_poll_or_on_complete(sim, listener):
    sim.control("config", {"in_progress_fraction": 0.5, "settle_after_polls": 1})
    csv_text = make_csv([row(i, f"24577{i:06d}") for i in range(4)])
    batch_id = batch_id_of(submit(sim, csv_text, **{"X-CallbackURL": listener.url}))
    first = transfers(sim, batch_id, expected=4)  # the first poll of the processed batch
    assert sorted(t["status"] for t in first) == ["COMPLETED", "COMPLETED", "IN_PROGRESS", "IN_PROGRESS"]
    second = ops(sim, "/batch", batchId=batch_id).json()  # the later poll settles them
    assert (second["successful"], second["ongoing"], second["status"]) == (4, 0, "COMPLETED")
    wait_for(lambda: len(listener.received) == 2)
    assert sorted(body["message"].rsplit(" ", 1)[1] for _, body in listener.received) == ["100", "50"]

    sim.control("config", {"settle_after_polls": 1000})
    batch_id = batch_id_of(submit(sim, csv_text.replace("G2P", "again")))
    transfers(sim, batch_id, expected=4)
    dto = ops(sim, "/batch", batchId=batch_id).json()
    assert (dto["ongoing"], dto["status"]) == (2, "Pending")
    assert sim.control("complete", {"batchId": batch_id}) == {"settled": 2}
    assert ops(sim, "/batch", batchId=batch_id).json()["status"] == "COMPLETED"


def test_paging_across_pages(sim):
    csv_text = make_csv([row(i, f"24577{i:06d}", 10 + i) for i in range(25)])
    batch_id = batch_id_of(submit(sim, csv_text))
    transfers(sim, batch_id, expected=25)
    seen = []
    pages = []
    for page_no in range(3):
        page = ops(sim, "/batch/detail", batchId=batch_id, pageNo=page_no, pageSize=10).json()
        pages.append(page)
        seen += [t["clientCorrelationId"] for t in page["content"]]
    assert sorted(seen) == sorted(request_ids(csv_text))
    assert [p["numberOfElements"] for p in pages] == [10, 10, 5]
    assert [(p["first"], p["last"]) for p in pages] == [(True, False), (False, False), (False, True)]
    assert {(p["totalPages"], p["totalElements"], p["size"]) for p in pages} == {(3, 25, 10)}
    assert [p["number"] for p in pages] == [0, 1, 2]
    beyond = ops(sim, "/batch/detail", batchId=batch_id, pageNo=3, pageSize=10).json()
    assert beyond["empty"] and beyond["content"] == []


def test_batch_summary_with_sub_batches(sim):
    rows = [row(i, f"24577{i:06d}") for i in range(7)]
    csv_text = make_csv(rows)
    correlation_id = str(uuid.uuid4())
    batch_id = batch_id_of(submit(sim, csv_text, correlation_id))
    transfers(sim, batch_id, expected=7)
    assert ops(sim, f"/batches/{batch_id}").status_code == 400, "X-Correlation-ID is a required header"
    summary = ops(sim, f"/batches/{batch_id}", headers={"X-Correlation-ID": correlation_id}).json()
    # sub-batch-size 5: 7 rows make sub-batches of 5 and 2.
    assert sorted(s["total"] for s in summary["subBatchSummaryList"]) == [2, 5]
    assert (summary["total"], summary["successful"], summary["totalSubBatches"]) == (7, 7, 2)
    assert "instructionList" not in summary
    detail = ops(
        sim,
        f"/batches/{batch_id}",
        headers={"X-Correlation-ID": correlation_id},
        associations="all",
        offset=5,
        limit=5,
    ).json()
    assert len(detail["instructionList"]) == 2 and detail["totalInstruction"] == 7
    assert detail["clientCorrelationId"] == correlation_id


def test_oauth_is_required_when_enabled(sim):
    sim.control("config", {"oauth": True})
    batch_id = batch_id_of(submit(sim, make_csv([row(0, "245770000001")])))
    refused = ops(sim, "/batch", batchId=batch_id)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"

    token_url = f"{sim.url}/oauth/token"
    creds = {"username": "mifos", "password": "password", "grant_type": "password"}
    basic = {"Authorization": "Basic Y2xpZW50Og==", "Platform-TenantId": TENANT}
    assert (
        requests.post(token_url, params={**creds, "password": "x"}, headers=basic, timeout=5).status_code
        == 400
    )
    no_client = requests.post(token_url, params=creds, headers={"Platform-TenantId": TENANT}, timeout=5)
    assert no_client.status_code == 401
    token = requests.post(token_url, params=creds, headers=basic, timeout=5).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert ops(sim, "/batch", batchId=batch_id, headers=bearer).json()["batchId"] == batch_id
    assert ops(sim, "/batch", tenant="", batchId=batch_id, headers=bearer).status_code == 400
    # Each tenant is its own database: another tenant does not see the batch.
    assert ops(sim, "/batch", tenant="lion", batchId=batch_id, headers=bearer).status_code == 404


def test_callback_retried_duplicated_and_dropped(sim):
    listener = CallbackListener(statuses=[503])
    try:
        sim.control("config", {"callback_duplicates": 1})
        correlation_id = str(uuid.uuid4())
        batch_id = batch_id_of(
            submit(sim, make_csv([row(0, "245770000001")]), correlation_id, **{"X-CallbackURL": listener.url})
        )
        # One 503 then a retry, plus one duplicate copy: three POSTs, two answered 200.
        wait_for(lambda: len(listener.received) == 3)
        assert [status for status, _ in listener.received].count(200) == 2
        body = listener.received[-1][1]
        assert body == {
            "clientCorrelationId": correlation_id,
            "batchId": batch_id,
            "message": "The Batch Aggregation API was complete with : 100",
        }
        log = wait_for(lambda: len(sim.control("callbacks")["callbacks"]) == 3 and sim.control("callbacks"))
        # The two copies go out concurrently: whichever met the 503 was retried once.
        attempts = sorted((c["copy"], c["attempt"], c["status"]) for c in log["callbacks"])
        failed_copy = next(copy for copy, _, status in attempts if status == 503)
        assert attempts == sorted([(failed_copy, 1, 503), (failed_copy, 2, 200), (1 - failed_copy, 1, 200)])

        sim.control("config", {"callback_duplicates": 0, "callback_drop": True})
        batch_id = batch_id_of(
            submit(sim, make_csv([row(0, "245770000002")]), **{"X-CallbackURL": listener.url})
        )
        transfers(sim, batch_id, expected=1)
        time.sleep(0.2)
        assert len(listener.received) == 3
    finally:
        listener.close()


def test_callback_gives_up_after_three_attempts(sim):
    listener = CallbackListener(statuses=[500, 500, 500, 500])
    try:
        submit(sim, make_csv([row(0, "245770000001")]), **{"X-CallbackURL": listener.url})
        wait_for(lambda: len(sim.control("callbacks")["callbacks"]) == 3)
        time.sleep(0.2)
        assert [status for status, _ in listener.received] == [500, 500, 500]
    finally:
        listener.close()


def test_jws_signature_verified(sim):
    sim.control("config", {"jws_verify": True, "jws_cert": str(KEYS_DIR / "test_only_jws_cert.pem")})
    private_pem = (KEYS_DIR / "test_only_jws_private_key.pem").read_bytes()
    csv_text = make_csv([row(0, "245770000001"), row(1, "245770000002")])
    headers = {"X-CorrelationID": str(uuid.uuid4()), "Platform-TenantId": TENANT}
    signature = sign(private_pem, headers, csv_text)

    ok = submit(sim, csv_text, headers["X-CorrelationID"], **{"X-SIGNATURE": signature})
    assert ok.status_code == 202, ok.text

    tampered = csv_text.replace(",100,", ",900,", 1)
    refused = submit(sim, tampered, headers["X-CorrelationID"], **{"X-SIGNATURE": signature})
    assert refused.status_code == 401 and refused.json()["errorInformation"] == "Invalid signature"

    missing = submit(sim, csv_text, headers["X-CorrelationID"])
    assert missing.status_code == 400 and missing.json()["errorInformation"] == "Signature missing"

    # A file that ends with a newline is accepted, but a signature over the raw file does not verify
    # (the hub signs the trimmed text).
    with_newline = csv_text + "\n"
    raw_signature = sign(private_pem, headers, with_newline)
    assert (
        submit(sim, with_newline, headers["X-CorrelationID"], **{"X-SIGNATURE": raw_signature}).status_code
        == 401
    )
    sim.control("config", {"jws_verify": False})
    accepted = submit(sim, with_newline)
    assert accepted.status_code == 202
    assert sim.control("received")["submissions"][-1]["trailingNewline"] is True


def test_same_correlation_id_twice(sim):
    csv_text = make_csv([row(0, "245770000001")])
    correlation_id = str(uuid.uuid4())
    first = batch_id_of(submit(sim, csv_text, correlation_id))
    # PH-EE master accepts it again and creates a second batch: the payments would go out twice.
    second = batch_id_of(submit(sim, csv_text, correlation_id))
    assert first != second
    received = sim.control("received")
    assert received["duplicateCorrelationIds"] == [correlation_id]
    assert received["duplicateRequestIds"] == request_ids(csv_text)

    sim.control("config", {"duplicate_correlation": "conflict"})
    conflict = submit(sim, csv_text, correlation_id)
    assert conflict.status_code == 409
    assert conflict.json()["conflictingFieldValue"] == correlation_id


def test_submit_faults(sim):
    csv_text = make_csv([row(0, "245770000001")])
    sim.control("faults", {"submit_status": 500, "count": 2})
    assert [submit(sim, csv_text).status_code for _ in range(3)] == [500, 500, 202]

    # Slow hub: the client gives up, yet the batch was accepted.
    sim.control("faults", {"submit_delay": 1.5, "count": 1})
    with pytest.raises(requests.Timeout):
        submit(sim, csv_text, timeout=0.5)
    wait_for(lambda: sim.control("received")["acceptedBatches"] == 2)

    sim.control("faults", {"ops_status": 503, "count": 1})
    assert ops(sim, "/batches").status_code == 503
    assert ops(sim, "/batches").status_code == 200


def test_accept_then_fail_is_recovered_by_correlation_id(sim):
    """The hub accepted the batch but the client saw a 500 or a dropped connection: it must find the
    batch by its X-CorrelationID (the listing's requestId), never by sending again."""
    sent_at = datetime.now(UTC) - timedelta(seconds=2)
    for mode, error in (("500", None), ("drop", requests.ConnectionError)):
        sim.control("faults", {"accept_then_fail": 1, "mode": mode})
        correlation_id = str(uuid.uuid4())
        if error:
            with pytest.raises(error):
                submit(sim, make_csv([row(0, "245770000001")]), correlation_id)
        else:
            assert submit(sim, make_csv([row(0, "245770000001")]), correlation_id).status_code == 500
        listing = ops(
            sim,
            "/batches",
            dateFrom=sent_at.strftime("%Y-%m-%d %H:%M:%S"),
            dateTo=(datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S"),
            limit=100,
        ).json()
        found = [batch for batch in listing["data"] if batch["requestId"] == correlation_id]
        assert len(found) == 1 and found[0]["subBatchId"] is None
        submissions = sim.control("received")["submissions"]
        assert submissions[-1]["batchId"] == found[0]["batchId"]
        assert submissions[-1]["fault"] == "accept_then_fail"
        transfers(sim, found[0]["batchId"], expected=1)
    # /batch ignores requestId: there is no direct lookup by correlation id in PH-EE.
    assert ops(sim, "/batch", requestId=correlation_id).status_code == 404
    assert sim.control("received")["duplicateCorrelationIds"] == []


def test_batches_listing_filters_and_pages(sim):
    ids = [batch_id_of(submit(sim, make_csv([row(0, f"2457700000{i:02d}")]))) for i in range(3)]
    listing = ops(sim, "/batches", limit=2).json()
    assert listing["totalBatches"] == 3
    assert [b["batchId"] for b in listing["data"]] == ids[::-1][:2], "newest first by default"
    assert [b["batchId"] for b in ops(sim, "/batches", offset=2, limit=2).json()["data"]] == ids[:1]
    one = ops(sim, "/batches", batchId=ids[1][:8] + "%").json()
    assert [b["batchId"] for b in one["data"]] == [ids[1]]
    assert ops(sim, "/batches", tenant="lion").json()["totalBatches"] == 0


def test_config_file_and_unknown_keys(tmp_path):
    with run_phee_simulator(tenants=["zebra"], polling_timer="30") as sim:
        response = submit(sim, make_csv([row(0, "245770000001")]), tenant="zebra")
        assert response.json()["SuggestedCallbackSeconds"] == "30"
        bad = requests.post(f"{sim.url}/simulator/config", json={"no_such_knob": 1}, timeout=5)
        assert bad.status_code == 400 and bad.json()["keys"] == ["no_such_knob"]
    with pytest.raises(ValueError, match="no_such_knob"):
        PheeSimulator({"no_such_knob": 1})


def test_in_process_simulator():
    simulator = PheeSimulator({"tenants": [TENANT]})
    url = simulator.start()
    try:
        response = requests.post(
            f"{url}/batchtransactions",
            headers={
                "X-CorrelationID": "c",
                "Purpose": "p",
                "Type": "csv",
                "Platform-TenantId": TENANT,
                "filename": "f",
            },
            files={"data": ("f.csv", make_csv([row(0, "245770000001")]).encode())},
            timeout=5,
        )
        assert response.status_code == 202
    finally:
        simulator.stop()


def test_throughput_figures(sim):
    """Not a timing assertion: prints what the simulator sustains for the benchmark's shape."""
    batches, rows_per_batch = 60, 500
    files = [
        make_csv([row(i, f"2457{b:04d}{i:04d}", 100 + i) for i in range(rows_per_batch)])
        for b in range(batches)
    ]
    session = requests.Session()

    def send(csv_text):
        headers = {
            "X-CorrelationID": str(uuid.uuid4()),
            "Purpose": "bench",
            "Type": "csv",
            "Platform-TenantId": TENANT,
            "filename": "bench.csv",
        }
        files = {"data": ("bench.csv", csv_text.encode(), "text/csv")}
        return batch_id_of(
            session.post(f"{sim.url}/batchtransactions", headers=headers, files=files, timeout=30)
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        batch_ids = list(pool.map(send, files))
    sent = time.perf_counter()
    total = 0
    for batch_id in batch_ids:
        total += len(transfers(sim, batch_id, expected=rows_per_batch))
    done = time.perf_counter()
    assert total == batches * rows_per_batch
    size_kb = len(files[0].encode()) / 1024
    print(
        f"\nPH-EE simulator: {batches} batches x {rows_per_batch} rows ({size_kb:.0f} KB each): "
        f"sent in {sent - start:.2f}s ({batches / (sent - start):.0f} batches/s), "
        f"reconciled in {done - sent:.2f}s ({total / (done - sent):.0f} rows/s)"
    )


# -- requests to pay (collection) -------------------------------------------------------------------


def request_to_pay(sim, payer, amount="1500.00", correlation_id=None, callback=None, tenant=TENANT):
    headers = {"Platform-TenantId": tenant, "X-CorrelationID": correlation_id or str(uuid.uuid4())}
    if callback:
        headers["X-CallbackURL"] = callback
    body = {
        "payer": {"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": payer}},
        "payee": {"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "254700100200"}},
        "amount": {"amount": amount, "currency": "KES"},
    }
    return requests.post(f"{sim.url}/channel/transactionRequest", json=body, headers=headers, timeout=10)


def transaction_request(sim, transaction_id):
    response = requests.get(
        f"{sim.url}/api/v1/transactionRequests",
        params={"transactionId": transaction_id},
        headers={"Platform-TenantId": TENANT},
        timeout=10,
    )
    assert response.status_code == 200
    content = response.json()["content"]
    return content[0] if content else None


def wait_state(sim, transaction_id, pending=("RECEIVED",), timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = transaction_request(sim, transaction_id)
        if found["state"] not in pending:
            return found
        time.sleep(0.05)
    return found


@pytest.mark.parametrize(
    "payer, state, amount, error",
    [
        ("254711000001", "ACCEPTED", 1500.0, None),
        ("254711000002", "REJECTED", 1500.0, "Payer rejected the transaction request"),
        ("254711000004", "FAILED", 1500.0, "Payer FSP: insufficient funds"),
        ("254711000005", "ACCEPTED", 750.0, None),
    ],
)
def test_request_to_pay_answers_by_the_payers_last_digit(sim, listener, payer, state, amount, error):
    response = request_to_pay(sim, payer, callback=listener.url)
    assert response.status_code == 202
    transaction_id = response.json()["transactionId"]
    found = wait_state(sim, transaction_id)
    assert (found["state"], found["amount"], found["errorInformation"]) == (state, amount, error)
    assert bool(found["externalId"]) == (state == "ACCEPTED")
    deadline = time.monotonic() + 5
    while not listener.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [body for _status, body in listener.received] == [
        {"transactionId": transaction_id, "clientCorrelationId": found["clientCorrelationId"], "state": state}
    ]


def test_request_to_pay_unanswered_repeated_and_refused(sim):
    # "3" never answers: the request stays RECEIVED.
    correlation_id = str(uuid.uuid4())
    first = request_to_pay(sim, "254711000003", correlation_id=correlation_id)
    time.sleep(0.5)
    assert transaction_request(sim, first.json()["transactionId"])["state"] == "RECEIVED"
    # The same correlation id again is the same request: the payer is not asked twice.
    again = request_to_pay(sim, "254711000003", correlation_id=correlation_id)
    assert again.json()["transactionId"] == first.json()["transactionId"]
    by_correlation = requests.get(
        f"{sim.url}/api/v1/transactionRequests",
        params={"clientCorrelationId": correlation_id},
        headers={"Platform-TenantId": TENANT},
        timeout=10,
    ).json()
    assert by_correlation["totalElements"] == 1
    assert len(sim.control("received")["transactionRequests"]) == 2
    # Bad input and unknown tenants are refused.
    assert request_to_pay(sim, "12").status_code == 400
    assert request_to_pay(sim, "254711000001", amount="-5").status_code == 400
    assert request_to_pay(sim, "254711000001", tenant="nobody").status_code == 400


# -- single transfers (provider payments) -----------------------------------------------------------


def channel_transfer(
    sim, payee, amount="2500.00", correlation_id=None, callback=None, payee_type="ACCOUNT_ID"
):
    headers = {"Platform-TenantId": TENANT, "X-CorrelationID": correlation_id or str(uuid.uuid4())}
    if callback:
        headers["X-CallbackURL"] = callback
    body = {
        "payer": {"partyIdInfo": {"partyIdType": "ACCOUNT_ID", "partyIdentifier": "0110800100200"}},
        "payee": {"partyIdInfo": {"partyIdType": payee_type, "partyIdentifier": payee}},
        "amount": {"amount": amount, "currency": "KES"},
    }
    return requests.post(f"{sim.url}/channel/transfer", json=body, headers=headers, timeout=10)


def transfer_state(sim, transaction_id, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(
            f"{sim.url}/channel/transfer/{transaction_id}", headers={"Platform-TenantId": TENANT}, timeout=10
        )
        assert response.status_code == 200
        found = response.json()
        if found["transferState"] != "RECEIVED" or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.parametrize(
    "payee, state, error, callbacks",
    [
        ("0110812345671", "COMMITTED", None, 1),
        ("0110812345679", "ABORTED", "Payee FSP: account closed", 1),
        ("0110812345677", "COMMITTED", None, 3),
    ],
)
def test_channel_transfer_settles_by_the_payees_last_character(sim, listener, payee, state, error, callbacks):
    response = channel_transfer(sim, payee, callback=listener.url)
    assert response.status_code == 202
    transaction_id = response.json()["transactionId"]
    found = transfer_state(sim, transaction_id)
    assert (found["transferState"], found["errorInformation"], found["amount"]) == (state, error, 2500.0)
    assert bool(found["transferId"]) == (state == "COMMITTED")
    deadline = time.monotonic() + 5
    while len(listener.received) < callbacks and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [body["transferState"] for _status, body in listener.received] == [state] * callbacks


def test_channel_transfer_repeated_unsettled_and_refused(sim):
    correlation_id = str(uuid.uuid4())
    first = channel_transfer(sim, "0110812345678", correlation_id=correlation_id)
    time.sleep(0.5)
    transaction_id = first.json()["transactionId"]
    assert transfer_state(sim, transaction_id, timeout=0)["transferState"] == "RECEIVED"  # "8" never settles
    # The same correlation id again is the same transfer: the payee is not paid twice.
    again = channel_transfer(sim, "0110812345678", correlation_id=correlation_id)
    assert again.json()["transactionId"] == transaction_id
    by_correlation = requests.get(
        f"{sim.url}/api/v1/transfers",
        params={"clientCorrelationId": correlation_id},
        headers={"Platform-TenantId": TENANT},
        timeout=10,
    ).json()
    assert by_correlation["totalElements"] == 1
    assert len(sim.control("received")["channelTransfers"]) == 2
    assert channel_transfer(sim, "12", payee_type="MSISDN").status_code == 400
    assert channel_transfer(sim, "0110812345671", amount="0").status_code == 400
    assert channel_transfer(sim, "0110812345671", payee_type="EMAIL").status_code == 400
    missing = requests.get(
        f"{sim.url}/channel/transfer/nope", headers={"Platform-TenantId": TENANT}, timeout=10
    )
    assert missing.status_code == 404
