"""The GSMA Mobile Money batch stand-in over real HTTP: refusals, outcomes by rule, paging, idempotency,
callbacks, auth and injected faults. Plain pytest, no Odoo."""

import json
import threading
import time
import uuid
from base64 import b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from .simulators.gsma import run_gsma_simulator

RULES = {
    "reject_msisdn_suffixes": {"99": "Payee account is barred"},
    "unknown_msisdns": ["+254700000404"],
}


def headers(correlation_id=None, **extra):
    return {
        "X-CorrelationID": correlation_id or str(uuid.uuid4()),
        "X-Date": "2025-01-15T10:00:00.000Z",
        "Content-Type": "application/json",
        **extra,
    }


def txn(msisdn, amount="100.00", reference=None):
    return {
        "amount": amount,
        "currency": "KES",
        "type": "disbursement",
        "debitParty": [{"key": "accountid", "value": "2999"}],
        "creditParty": [{"key": "msisdn", "value": msisdn}],
        "requestingOrganisationTransactionReference": reference or msisdn,
    }


def wait_completed(url, server_correlation_id, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = requests.get(f"{url}/requeststates/{server_correlation_id}", timeout=5).json()
        if state["status"] != "pending":
            return state
        time.sleep(0.02)
    raise AssertionError("request state stayed pending")


@pytest.fixture(scope="module")
def sim():
    with run_gsma_simulator(**RULES) as sim:
        yield sim


@pytest.fixture(autouse=True)
def clean(sim):
    sim.control("reset", {})


class CallbackListener:
    """A local HTTP server recording the PUTs the provider sends to X-Callback-URL."""

    def __init__(self):
        self.received = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                listener.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    listener = CallbackListener()
    yield listener
    listener.close()


def test_batch_outcomes_follow_the_rules_and_page(sim):
    payees = ["+254711000001", "+254711000099", "+254700000404", "+254711000002", "+254711000003"]
    body = {"batchTitle": "Cycle 1", "transactions": [txn(m) for m in payees]}
    response = requests.post(f"{sim.url}/batchtransactions", json=body, headers=headers(), timeout=5)
    assert response.status_code == 202
    state = response.json()
    assert state["status"] == "pending"
    assert state["notificationMethod"] == "polling"
    assert uuid.UUID(state["serverCorrelationId"])
    batch_id = state["objectReference"]

    final = wait_completed(sim.url, state["serverCorrelationId"])
    assert final["status"] == "completed" and final["objectReference"] == batch_id

    batch = requests.get(f"{sim.url}/batchtransactions/{batch_id}", timeout=5).json()
    assert batch["batchStatus"] == "completed"
    assert (batch["completedCount"], batch["rejectionCount"], batch["parsingSuccessCount"]) == (3, 2, 5)
    assert batch["processingFlag"] is False and batch["batchTitle"] == "Cycle 1"

    rejections = requests.get(f"{sim.url}/batchtransactions/{batch_id}/rejections", timeout=5)
    reasons = {r["creditParty"][0]["value"]: r["rejectionReason"] for r in rejections.json()}
    assert reasons == {
        "+254711000099": "Payee account is barred",
        "+254700000404": "Payee MSISDN +254700000404 is not registered",
    }

    page = requests.get(f"{sim.url}/batchtransactions/{batch_id}/completions?offset=1&limit=1", timeout=5)
    assert page.headers["X-Records-Available-Count"] == "3"
    assert page.headers["X-Records-Returned-Count"] == "1"
    [completion] = page.json()
    assert completion["requestingOrganisationTransactionReference"] == "+254711000002"
    assert completion["link"] == f"/transactions/{completion['transactionReference']}"
    rest = requests.get(f"{sim.url}/batchtransactions/{batch_id}/completions?offset=3", timeout=5)
    assert rest.json() == [] and rest.headers["X-Records-Returned-Count"] == "0"


@pytest.mark.parametrize(
    ("hdrs", "body", "code", "description"),
    [
        (
            {"X-Date": "2025-01-15T10:00:00Z"},
            {"transactions": [txn("+254711000001")]},
            "mandatoryValueNotSupplied",
            "Header X-CorrelationID is required",
        ),
        (
            {"X-CorrelationID": "not-a-uuid", "X-Date": "2025-01-15T10:00:00Z"},
            {"transactions": [txn("+254711000001")]},
            "formatError",
            "X-CorrelationID must be a UUID",
        ),
        (
            headers(),
            {"transactions": []},
            "mandatoryValueNotSupplied",
            "transactions must be a non-empty array",
        ),
        (
            headers(),
            {"transactions": [txn("+254711000001", amount="12.5x")]},
            "formatError",
            "transactions[0].amount must be a decimal string",
        ),
        (
            headers(),
            {"transactions": [txn("+254711000001"), {**txn("+254711000002"), "creditParty": None}]},
            "mandatoryValueNotSupplied",
            "transactions[1].creditParty is required",
        ),
        (
            headers(),
            {"transactions": [{**txn("+1"), "type": "gift"}]},
            "transactionTypeError",
            "transactions[0].type is not a harmonised type",
        ),
        (
            headers(**{"X-Callback-URL": "ftp://x"}),
            {"transactions": [txn("+1")]},
            "formatError",
            "X-Callback-URL must be an http(s) URL",
        ),
    ],
)
def test_invalid_batch_is_refused_with_a_gsma_error(sim, hdrs, body, code, description):
    response = requests.post(f"{sim.url}/batchtransactions", json=body, headers=hdrs, timeout=5)
    assert response.status_code == 400
    error = response.json()
    assert (error["errorCategory"], error["errorCode"], error["errorDescription"]) == (
        "validation",
        code,
        description,
    )
    assert error["errorDateTime"].endswith("Z")
    assert sim.control("callbacks") == []
    assert not [r for r in sim.control("received") if r["method"] == "GET"]


def test_same_correlation_id_creates_one_batch(sim):
    correlation_id = str(uuid.uuid4())
    body = {"transactions": [txn("+254711000001")]}
    first = requests.post(
        f"{sim.url}/batchtransactions", json=body, headers=headers(correlation_id), timeout=5
    )
    again = requests.post(
        f"{sim.url}/batchtransactions", json=body, headers=headers(correlation_id), timeout=5
    )
    assert first.status_code == 202
    assert again.status_code == 400
    error = again.json()
    assert (error["errorCategory"], error["errorCode"]) == ("businessRule", "duplicateRequest")
    assert error["errorDescription"] == f"Duplicate X-CorrelationID {correlation_id}"
    # The client recovers the resource of the first request through the Responses API.
    link = requests.get(f"{sim.url}/responses/{correlation_id}", timeout=5).json()["link"]
    assert link == f"/batchtransactions/{first.json()['objectReference']}"
    posts = sim.control("received", path_prefix="/batchtransactions")
    assert [p["headers"]["X-CorrelationID"] for p in posts] == [correlation_id, correlation_id]
    wait_completed(sim.url, first.json()["serverCorrelationId"])
    batch = requests.get(f"{sim.url}{link}", timeout=5).json()
    assert batch["completedCount"] == 1


def test_callback_is_put_to_the_listener_with_duplicates_and_delay(sim, listener):
    sim.control("config", {"callback": {"duplicates": 1, "delay": 0.2}})
    correlation_id = str(uuid.uuid4())
    hdrs = headers(correlation_id, **{"X-Callback-URL": listener.url})
    body = {"transactions": [txn("+254711000001"), txn("+254711000099")]}
    state = requests.post(f"{sim.url}/batchtransactions", json=body, headers=hdrs, timeout=5).json()
    assert state["notificationMethod"] == "callback"
    received = listener.wait(2)
    assert len(received) == 2
    for put in received:
        assert put["path"] == "/callback"
        assert put["headers"]["X-CorrelationID"] == correlation_id
        assert put["body"]["batchId"] == state["objectReference"]
        assert (put["body"]["batchStatus"], put["body"]["completedCount"], put["body"]["rejectionCount"]) == (
            "completed",
            1,
            1,
        )
    assert [c["status"] for c in sim.control("callbacks")] == [204, 204]


def test_dropped_callback_leaves_polling_and_batch_failure_calls_back_the_error(sim, listener):
    sim.control("config", {"callback": {"drop": True}})
    hdrs = headers(**{"X-Callback-URL": listener.url})
    state = requests.post(
        f"{sim.url}/batchtransactions", json={"transactions": [txn("+1")]}, headers=hdrs, timeout=5
    )
    assert wait_completed(sim.url, state.json()["serverCorrelationId"])["status"] == "completed"
    time.sleep(0.2)
    assert listener.received == []

    failure = {
        "errorCategory": "businessRule",
        "errorCode": "insufficientFunds",
        "errorDescription": "Float too low",
    }
    sim.control("config", {"callback": {"drop": False}, "batch_failure": failure})
    state = requests.post(
        f"{sim.url}/batchtransactions",
        json={"transactions": [txn("+1")]},
        headers=headers(**{"X-Callback-URL": listener.url}),
        timeout=5,
    )
    [put] = listener.wait(1)
    assert {k: put["body"][k] for k in failure} == failure
    final = wait_completed(sim.url, state.json()["serverCorrelationId"])
    assert final["status"] == "failed" and final["error"]["errorCode"] == "insufficientFunds"


def test_unknown_batch_and_request_state_and_poll_limit(sim):
    missing = requests.get(f"{sim.url}/batchtransactions/BT-nope", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["errorCategory"] == "identification"
    assert missing.json()["errorDescription"] == "Batch BT-nope not found"
    assert requests.get(f"{sim.url}/requeststates/{uuid.uuid4()}", timeout=5).status_code == 404

    sim.control("config", {"poll_limit": 2, "processing_delay": 5})
    state = requests.post(
        f"{sim.url}/batchtransactions", json={"transactions": [txn("+1")]}, headers=headers(), timeout=5
    ).json()
    url = f"{sim.url}/requeststates/{state['serverCorrelationId']}"
    assert [requests.get(url, timeout=5).json()["status"] for _ in range(2)] == ["pending", "pending"]
    over = requests.get(url, timeout=5)
    assert over.status_code == 400
    assert over.json()["errorCode"] == "rateLimitError"
    assert over.json()["errorDescription"] == "Poll limit of 2 exceeded"
    batch = requests.get(f"{sim.url}/batchtransactions/{state['objectReference']}", timeout=5).json()
    assert (batch["batchStatus"], batch["processingFlag"]) == ("approved", True)


def test_bad_paging_parameters(sim):
    state = requests.post(
        f"{sim.url}/batchtransactions", json={"transactions": [txn("+1")]}, headers=headers(), timeout=5
    ).json()
    url = f"{sim.url}/batchtransactions/{state['objectReference']}/completions"
    assert requests.get(url, params={"offset": -1}, timeout=5).json()["errorCode"] == "invalidOffset"
    assert (
        requests.get(url, params={"limit": 0}, timeout=5).json()["errorDescription"]
        == "limit must be a positive integer"
    )


def test_api_key_and_oauth_client_credentials():
    auth = {"api_key": "k-123", "consumer_key": "ck", "consumer_secret": "cs"}
    with run_gsma_simulator(auth=auth) as sim:
        body = {"transactions": [txn("+1")]}
        refused = requests.post(f"{sim.url}/batchtransactions", json=body, headers=headers(), timeout=5)
        assert refused.status_code == 401
        assert (refused.json()["errorCategory"], refused.json()["errorDescription"]) == (
            "authorisation",
            "Missing or invalid X-API-Key",
        )
        no_token = requests.post(
            f"{sim.url}/batchtransactions", json=body, headers=headers(**{"X-API-Key": "k-123"}), timeout=5
        )
        assert no_token.json()["errorDescription"] == "Missing or invalid Authorization"

        token_url = f"{sim.url}/v1/oauth/accesstoken"
        wrong = requests.post(
            token_url, data={"grant_type": "client_credentials"}, auth=("ck", "bad"), timeout=5
        )
        assert wrong.status_code == 401
        token = requests.post(
            token_url, data={"grant_type": "client_credentials"}, auth=("ck", "cs"), timeout=5
        ).json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
        bearer = headers(**{"X-API-Key": "k-123", "Authorization": f"Bearer {token['access_token']}"})
        assert (
            requests.post(f"{sim.url}/batchtransactions", json=body, headers=bearer, timeout=5).status_code
            == 202
        )
        stale = headers(**{"X-API-Key": "k-123", "Authorization": "Bearer forged"})
        assert (
            requests.post(f"{sim.url}/batchtransactions", json=body, headers=stale, timeout=5).status_code
            == 401
        )
        basic = headers(**{"X-API-Key": "k-123", "Authorization": "Basic " + b64encode(b"ck:cs").decode()})
        assert (
            requests.post(f"{sim.url}/batchtransactions", json=body, headers=basic, timeout=5).status_code
            == 202
        )


def test_faults_error_delay_and_accept_then_fail(sim):
    body = {"transactions": [txn("+1")]}
    sim.control("faults", {"kind": "error", "count": 2, "status": 503, "path_prefix": "/batchtransactions"})
    statuses = [
        requests.post(f"{sim.url}/batchtransactions", json=body, headers=headers(), timeout=5).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 202]

    sim.control("faults", {"kind": "delay", "seconds": 0.3})
    started = time.monotonic()
    assert requests.get(f"{sim.url}/heartbeat", timeout=5).json() == {"serviceStatus": "available"}
    assert time.monotonic() - started >= 0.3

    # The batch is created although the answer is a 500: a retry with the same correlation id is refused.
    sim.control("faults", {"kind": "accept_then_fail"})
    correlation_id = str(uuid.uuid4())
    lost = requests.post(
        f"{sim.url}/batchtransactions", json=body, headers=headers(correlation_id), timeout=5
    )
    assert lost.status_code == 500 and lost.json()["errorCategory"] == "internal"
    retry = requests.post(
        f"{sim.url}/batchtransactions", json=body, headers=headers(correlation_id), timeout=5
    )
    assert retry.json()["errorCode"] == "duplicateRequest"
    assert requests.get(f"{sim.url}/responses/{correlation_id}", timeout=5).status_code == 200


def test_throughput(sim):
    session = requests.Session()
    body = {"transactions": [txn(f"+2547110{i:05d}") for i in range(500)]}
    started = time.monotonic()
    ids = [
        session.post(f"{sim.url}/batchtransactions", json=body, headers=headers(), timeout=10).json()
        for _ in range(20)
    ]
    for state in ids:
        wait_completed(sim.url, state["serverCorrelationId"])
    elapsed = time.monotonic() - started
    print(
        f"\nGSMA stand-in: 20 batches x 500 transactions settled in {elapsed:.2f}s"
        f" ({10000 / elapsed:.0f} txn/s)"
    )
