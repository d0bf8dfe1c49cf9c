"""The Fineract savings-deposit stand-in over real HTTP: auth and tenant refusals, deposits, closed and
unknown accounts, Idempotency-Key replays, lookups and injected faults. Plain pytest, no Odoo."""

import time
import uuid
from datetime import date, timedelta

import pytest
import requests

from .simulators.fineract import run_fineract_simulator

ACCOUNTS = [
    {"id": 1, "accountNo": "000000001", "externalId": "BEN-001", "status": "active", "balance": "10.00"},
    {"id": 2, "accountNo": "000000002", "externalId": "BEN-002", "status": "closed"},
]
AUTH = ("mifos", "password")
TENANT = {"Fineract-Platform-TenantId": "default"}


def deposit_body(amount=250, when=None, **extra):
    return {
        "transactionDate": (when or date.today()).strftime("%d %B %Y"),
        "transactionAmount": amount,
        "paymentTypeId": 1,
        "locale": "en",
        "dateFormat": "dd MMMM yyyy",
        **extra,
    }


@pytest.fixture(scope="module")
def sim():
    with run_fineract_simulator(accounts=ACCOUNTS) as sim:
        yield sim


@pytest.fixture(autouse=True)
def clean(sim):
    sim.control("reset", {})


@pytest.fixture
def api(sim):
    session = requests.Session()
    session.auth = AUTH
    session.headers.update(TENANT)

    def call(method, path, **kwargs):
        return session.request(method, f"{sim.api_url}{path}", timeout=5, **kwargs)

    return call


def deposit(api, account_id, body, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return api(
        "POST", f"/savingsaccounts/{account_id}/transactions?command=deposit", json=body, headers=headers
    )


def balance(api, account_id):
    return api("GET", f"/savingsaccounts/{account_id}").json()["summary"]["accountBalance"]


def test_tenant_and_basic_auth_are_required(sim):
    url = f"{sim.api_url}/savingsaccounts/1"
    no_tenant = requests.get(url, auth=AUTH, timeout=5)
    assert no_tenant.status_code == 400
    assert no_tenant.json()["defaultUserMessage"] == (
        "No tenant identifier found: Add request header of 'Fineract-Platform-TenantId' or add the parameter "
        "'tenantIdentifier' to query string of request URL."
    )
    other = requests.get(url, auth=AUTH, headers={"Fineract-Platform-TenantId": "acme"}, timeout=5)
    assert other.json()["defaultUserMessage"] == "The tenant identifier: acme is not valid."
    for auth in (None, ("mifos", "wrong")):
        refused = requests.get(url, auth=auth, headers=TENANT, timeout=5)
        assert refused.status_code == 401
        assert refused.json() == {
            "developerMessage": "Invalid authentication details were passed in api request.",
            "httpStatusCode": "401",
            "defaultUserMessage": "Unauthenticated. Please login.",
            "userMessageGlobalisationCode": "error.msg.not.authenticated",
            "errors": [],
        }
    by_query = requests.get(url, params={"tenantIdentifier": "default"}, auth=AUTH, timeout=5)
    assert by_query.status_code == 200


def test_deposit_credits_the_account_and_is_retrievable(api):
    response = deposit(api, 1, deposit_body(250, receiptNumber="R-1"))
    assert response.status_code == 200
    result = response.json()
    assert result == {"officeId": 1, "clientId": 1, "savingsId": 1, "resourceId": result["resourceId"]}
    assert balance(api, 1) == 260.0

    txn = api("GET", f"/savingsaccounts/1/transactions/{result['resourceId']}").json()
    assert txn["transactionType"]["deposit"] is True
    assert (txn["amount"], txn["runningBalance"], txn["accountNo"]) == (250.0, 260.0, "000000001")
    assert txn["date"] == [date.today().year, date.today().month, date.today().day]
    assert txn["paymentDetailData"] == {"paymentType": {"id": 1}, "receiptNumber": "R-1"}

    missing = api("GET", "/savingsaccounts/1/transactions/999")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["defaultUserMessage"] == (
        "Savings account with savings identifier 1 and trasaction identifier 999 does not exist"
    )


def test_closed_unknown_and_invalid_deposits_are_refused(api):
    closed = deposit(api, 2, deposit_body())
    assert closed.status_code == 400
    [error] = closed.json()["errors"]
    assert (
        error["userMessageGlobalisationCode"] == "error.msg.savingsaccount.transaction.account.is.not.active"
    )
    assert error["defaultUserMessage"] == "Transaction is not allowed. Account is not active."

    unknown = deposit(api, 77, deposit_body())
    assert unknown.status_code == 404
    assert unknown.json()["userMessageGlobalisationCode"] == "error.msg.resource.not.found"
    assert (
        unknown.json()["errors"][0]["defaultUserMessage"]
        == "Savings account with identifier 77 does not exist"
    )

    blank = deposit(api, 1, {"locale": "en", "dateFormat": "dd MMMM yyyy"})
    assert blank.status_code == 400
    assert [e["defaultUserMessage"] for e in blank.json()["errors"]] == [
        "The parameter `transactionDate` is mandatory.",
        "The parameter `transactionAmount` is mandatory.",
        "The parameter `paymentTypeId` is mandatory.",
    ]
    negative = deposit(api, 1, deposit_body(-5))
    assert (
        negative.json()["errors"][0]["defaultUserMessage"]
        == "The parameter `transactionAmount` must be greater than 0."
    )
    extra = deposit(api, 1, deposit_body(externalId="PAY-1"))
    assert extra.json()["errors"][0]["defaultUserMessage"] == "The parameter externalId is not supported."
    no_format = deposit(
        api, 1, {"transactionDate": "01 January 2025", "transactionAmount": 1, "paymentTypeId": 1}
    )
    assert [e["userMessageGlobalisationCode"] for e in no_format.json()["errors"]] == [
        "validation.msg.missing.dateFormat.parameter",
        "validation.msg.missing.locale.parameter",
    ]
    future = deposit(api, 1, deposit_body(when=date.today() + timedelta(days=2)))
    assert future.json()["errors"][0]["defaultUserMessage"] == "Transaction date cannot be in the future."
    wrong_command = api("POST", "/savingsaccounts/1/transactions?command=depositt", json=deposit_body())
    assert wrong_command.json()["errors"][0]["defaultUserMessage"] == (
        "The query parameter command has an unsupported value of: depositt"
    )
    bad_json = api(
        "POST",
        "/savingsaccounts/1/transactions?command=deposit",
        data="{",
        headers={"Content-Type": "application/json"},
    )
    assert bad_json.json()["userMessageGlobalisationCode"] == "error.msg.invalid.request.body"
    assert balance(api, 1) == 10.0


def test_idempotency_key_replays_the_first_answer(sim, api):
    key = str(uuid.uuid4())
    first = deposit(api, 1, deposit_body(100), key=key)
    again = deposit(api, 1, deposit_body(100), key=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["x-served-from-cache"] == "true"
    assert "x-served-from-cache" not in first.headers
    assert balance(api, 1) == 110.0
    # The key is scoped to the action and entity, not the account: reusing it elsewhere still replays.
    elsewhere = deposit(api, 2, deposit_body(100), key=key)
    assert elsewhere.json()["resourceId"] == first.json()["resourceId"]
    # A failed command replays its failure too.
    failed_key = str(uuid.uuid4())
    assert deposit(api, 2, deposit_body(), key=failed_key).status_code == 400
    replayed = deposit(api, 2, deposit_body(), key=failed_key)
    assert replayed.status_code == 400 and replayed.headers["x-served-from-cache"] == "true"
    # Without a key every call deposits.
    deposit(api, 1, deposit_body(1))
    deposit(api, 1, deposit_body(1))
    assert balance(api, 1) == 112.0
    posts = sim.control("received", path_prefix="/fineract-provider/api/v1/savingsaccounts/1/transactions")
    assert len([p for p in posts if p["method"] == "POST"]) == 4


def test_lookups_by_external_id_and_account_number(api):
    by_external = api("GET", "/savingsaccounts/external-id/BEN-002").json()
    assert (by_external["id"], by_external["status"]["closed"], by_external["status"]["id"]) == (2, True, 600)
    missing = api("GET", "/savingsaccounts/external-id/NOPE")
    assert missing.status_code == 404
    assert (
        missing.json()["errors"][0]["defaultUserMessage"]
        == "Savings account with external identifier NOPE does not exist"
    )
    page = api("GET", "/savingsaccounts", params={"externalId": "BEN-001"}).json()
    assert page["totalFilteredRecords"] == 1 and page["pageItems"][0]["accountNo"] == "000000001"
    found = api(
        "GET", "/search", params={"query": "000000002", "resource": "savings", "exactMatch": "true"}
    ).json()
    assert [(r["entityId"], r["entityType"], r["entityExternalId"]) for r in found] == [
        (2, "SAVING", "BEN-002")
    ]
    assert api("GET", "/search", params={"query": "000000002", "resource": "clients"}).json() == []


def test_faults_and_reseeding(sim, api):
    sim.control(
        "faults", {"kind": "error", "count": 1, "path_prefix": "/fineract-provider/api/v1/savingsaccounts/1"}
    )
    failed = deposit(api, 1, deposit_body(5))
    assert failed.status_code == 500
    assert failed.json()["userMessageGlobalisationCode"] == "error.msg.platform.server.side.error"
    assert balance(api, 1) == 10.0

    # Accept-then-fail: the deposit happens, the answer is lost; the retry with the same key is replayed.
    key = str(uuid.uuid4())
    sim.control("faults", {"kind": "accept_then_fail"})
    assert deposit(api, 1, deposit_body(5), key=key).status_code == 500
    retry = deposit(api, 1, deposit_body(5), key=key)
    assert retry.status_code == 200 and retry.headers["x-served-from-cache"] == "true"
    assert balance(api, 1) == 15.0

    sim.control("faults", {"kind": "delay", "seconds": 0.3})
    started = time.monotonic()
    assert api("GET", "/savingsaccounts/1").status_code == 200
    assert time.monotonic() - started >= 0.3

    sim.control("config", {"accounts": [{"id": 9, "externalId": "NEW", "balance": 1}]})
    assert api("GET", "/savingsaccounts/1").status_code == 404
    assert api("GET", "/savingsaccounts/9").json()["accountNo"] == "000000009"


def test_throughput(api):
    started = time.monotonic()
    for i in range(300):
        assert deposit(api, 1, deposit_body(1), key=f"k-{i}").status_code == 200
    elapsed = time.monotonic() - started
    assert balance(api, 1) == 310.0
    print(f"\nFineract stand-in: 300 deposits in {elapsed:.2f}s ({300 / elapsed:.0f} deposits/s)")
