"""Local stand-in for Mifos X / Apache Fineract: savings-account deposits over the REST API.

Behaviour follows the Apache Fineract sources and docs (apache/fineract, 1.x; snapshot of 2024-10): the
savings resources (SavingsAccountsApiResource, SavingsAccountTransactionsApiResource, SearchApiResource),
TenantAwareBasicAuthenticationFilter, the exception mappers and ApiGlobalErrorResponse, and the idempotency
chapter of fineract-doc (architecture/idempotency.adoc) with IdempotentCommandExceptionMapper. Each behaviour
below names its source as [fineract: ...].

Stdlib + requests, and the payment hub's tests/simulators/base.py. Run
``python addons/g2p_payment_hub_fineract/tests/simulators/fineract.py --host 127.0.0.1 --port 0``;
it prints ``FINERACT_SIMULATOR_READY http://127.0.0.1:<port>`` once listening; the API lives under
``/fineract-provider/api/v1``. From tests use ``run_fineract_simulator(**config)``. The control API under
``/simulator/`` is described in the payment hub's tests/simulators/README.md.
"""

import json
import sys
from base64 import b64decode
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import unquote

import requests

# base.py, shared by the stand-ins, is the payment hub's: its folder goes on the path.
sys.path.append(str(Path(__file__).resolve().parents[3] / "g2p_payment_hub" / "tests" / "simulators"))
import base

READY_PREFIX = "FINERACT_SIMULATOR_READY"
API_PREFIX = "/fineract-provider/api/v1"
TENANT_HEADER = "Fineract-Platform-TenantId"  # [fineract: TenantAwareBasicAuthenticationFilter]

DEFAULT_CONFIG = {
    "tenants": ["default"],
    "users": {"mifos": "password"},
    # [fineract: application.properties fineract.idempotency-key-header-name, default Idempotency-Key]
    "idempotency_header": "Idempotency-Key",
    "currency": "KES",
    # Seeded savings accounts: {id, accountNo, externalId, status (active|closed), balance, clientId,
    # officeId, clientName}.
    "accounts": [],
}

# [fineract: SavingsAccountConstant.SAVINGS_ACCOUNT_TRANSACTION_REQUEST_DATA_PARAMETERS]
DEPOSIT_PARAMETERS = {
    "locale", "dateFormat", "transactionDate", "transactionAmount", "paymentTypeId", "accountNumber",
    "checkNumber", "routingCode", "receiptNumber", "bankNumber", "retailEntries", "childAccountId", "note",
}  # fmt: skip
# [fineract: SavingsAccountStatusType]
STATUSES = {
    "active": {"id": 300, "code": "savingsAccountStatusType.active", "value": "Active"},
    "closed": {"id": 600, "code": "savingsAccountStatusType.closed", "value": "Closed"},
}
JAVA_DATE_TOKENS = [("yyyy", "%Y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d")]


def global_error(status, code, developer_message, user_message, errors=()):
    """[fineract: ApiGlobalErrorResponse.create] — httpStatusCode is serialised as a string."""
    return {
        "developerMessage": developer_message,
        "httpStatusCode": str(status),
        "defaultUserMessage": user_message,
        "userMessageGlobalisationCode": code,
        "errors": list(errors),
    }


def parameter_error(code, message, parameter, value=None, args=()):
    """[fineract: ApiParameterError] developerMessage and defaultUserMessage carry the same text."""
    return {
        "developerMessage": message,
        "defaultUserMessage": message,
        "userMessageGlobalisationCode": code,
        "parameterName": parameter,
        "value": value,
        "args": [{"value": a} for a in args],
    }


ApiError = base.HttpError  # raised with (status, a Fineract error body from the helpers below)


def bad_request(errors):
    """[fineract: PlatformApiDataValidationExceptionMapper -> ApiGlobalErrorResponse.badClientRequest]."""
    return ApiError(
        400,
        global_error(
            400,
            "validation.msg.validation.errors.exist",
            "The request was invalid. This typically will happen due to validation errors which are "
            "provided.",
            "Validation errors exist.",
            errors,
        ),
    )


def not_found(code, message, *args):
    """[fineract: PlatformResourceNotFoundExceptionMapper -> ApiGlobalErrorResponse.notFound]."""
    msg = "The requested resource is not available."
    error = parameter_error(code, message, "id", args=args)
    return ApiError(404, global_error(404, "error.msg.resource.not.found", msg, msg, [error]))


def parse_java_date(value, pattern):
    for java, python in JAVA_DATE_TOKENS:
        pattern = pattern.replace(java, python)
    return datetime.strptime(value, pattern).date()


class State(base.State):
    default_config = DEFAULT_CONFIG

    def reset(self):
        with self.lock:
            super().reset()
            self.idempotency = {}  # (action, entity, key) -> {"status", "body"} or None while processing
            self.seed_accounts()

    def configure(self, update):
        with self.lock:
            config = super().configure(update)
            if "accounts" in update:  # a new account list re-seeds balances and transactions
                self.seed_accounts()
            return config

    def seed_accounts(self):
        self.accounts = {}
        self.transactions = {}
        self.next_transaction_id = 1
        for seed in self.config["accounts"]:
            account = {
                "id": int(seed["id"]),
                "accountNo": seed.get("accountNo", f"{int(seed['id']):09d}"),
                "externalId": seed.get("externalId"),
                "status": seed.get("status", "active"),
                "balance": Decimal(str(seed.get("balance", "0"))),
                "totalDeposits": Decimal(0),
                "clientId": seed.get("clientId", 1),
                "officeId": seed.get("officeId", 1),
                "clientName": seed.get("clientName", f"Client {seed['id']}"),
            }
            self.accounts[account["id"]] = account
            self.transactions[account["id"]] = {}


class Handler(base.Handler):
    server_version = "FineractSimulator/1.0"
    state: State

    def fault_body(self):
        message = "An unexpected error occured on the platform server."
        return global_error(500, "error.msg.platform.server.side.error", message, message)

    # --- Fineract API ------------------------------------------------------------------------------------

    def route(self, method, path, raw):
        if not path.startswith(API_PREFIX + "/"):
            raise not_found("error.msg.resource.not.found", f"No resource at {path}")
        self.authenticate()
        parts = [unquote(p) for p in path.removeprefix(API_PREFIX + "/").split("/")]
        if parts[0] == "savingsaccounts":
            if method == "GET" and len(parts) == 1:
                return self.list_accounts()
            if method == "GET" and len(parts) == 3 and parts[1] == "external-id":
                return 200, self.account_view(self.find_account(external_id=parts[2])), {}
            if method == "GET" and len(parts) == 2:
                return 200, self.account_view(self.find_account(parts[1])), {}
            if method == "POST" and len(parts) == 3 and parts[2] == "transactions":
                return self.transaction_command(parts[1], raw)
            if method == "GET" and len(parts) == 4 and parts[2] == "transactions":
                return self.transaction(parts[1], parts[3])
        if method == "GET" and parts == ["search"]:
            return self.search()
        raise not_found("error.msg.resource.not.found", f"No resource at {method} {path}")

    def authenticate(self):
        """[fineract: TenantAwareBasicAuthenticationFilter] the tenant comes from the header or the
        tenantIdentifier query parameter; a missing or unknown tenant is refused with 400 before the Basic
        credentials are checked (401). Fineract answers the tenant case through sendError; the stand-in gives
        the same message in Fineract's error JSON."""
        tenant = self.headers.get(TENANT_HEADER) or self.query.get("tenantIdentifier")
        if not tenant:
            message = (
                f"No tenant identifier found: Add request header of '{TENANT_HEADER}' or add the parameter "
                "'tenantIdentifier' to query string of request URL."
            )
            raise ApiError(400, global_error(400, "error.msg.invalid.tenant.identifier", message, message))
        if tenant not in self.state.config["tenants"]:
            message = f"The tenant identifier: {tenant} is not valid."
            raise ApiError(400, global_error(400, "error.msg.invalid.tenant.identifier", message, message))
        header = self.headers.get("Authorization", "")
        try:
            user, _, password = b64decode(header.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user = password = None
        if not header.startswith("Basic ") or self.state.config["users"].get(user) != password:
            # [fineract: ApiGlobalErrorResponse.unAuthenticated]
            raise ApiError(
                401,
                global_error(
                    401,
                    "error.msg.not.authenticated",
                    "Invalid authentication details were passed in api request.",
                    "Unauthenticated. Please login.",
                ),
            )

    def find_account(self, account_id=None, external_id=None):
        """[fineract: SavingsAccountNotFoundException]."""
        with self.state.lock:
            if external_id is not None:
                found = [a for a in self.state.accounts.values() if a["externalId"] == external_id]
                if not found:
                    raise not_found(
                        "error.msg.saving.account.id.invalid",
                        f"Savings account with external identifier {external_id} does not exist",
                        external_id,
                    )
                return found[0]
            account = self.state.accounts.get(int(account_id)) if str(account_id).isdigit() else None
            if account is None:
                raise not_found(
                    "error.msg.saving.account.id.invalid",
                    f"Savings account with identifier {account_id} does not exist",
                    account_id,
                )
            return account

    def account_view(self, account):
        """[fineract: SavingsAccountData] the fields a connector reads: identity, status and summary."""
        with self.state.lock:
            status = STATUSES[account["status"]]
            view = {
                "id": account["id"],
                "accountNo": account["accountNo"],
                "externalId": account["externalId"],
                "clientId": account["clientId"],
                "clientName": account["clientName"],
                "status": {
                    **status,
                    "active": account["status"] == "active",
                    "closed": account["status"] == "closed",
                },
                "currency": {"code": self.state.config["currency"], "decimalPlaces": 2},
                "summary": {
                    "currency": {"code": self.state.config["currency"], "decimalPlaces": 2},
                    "totalDeposits": float(account["totalDeposits"]),
                    "accountBalance": float(account["balance"]),
                },
            }
            if "transactions" in self.query.get("associations", "").split(","):
                view["transactions"] = list(self.state.transactions[account["id"]].values())
        return view

    def list_accounts(self):
        """[fineract: GET /savingsaccounts?externalId=&offset=&limit=] {totalFilteredRecords, pageItems}."""
        external_id = self.query.get("externalId")
        with self.state.lock:
            accounts = [a for a in self.state.accounts.values() if external_id in (None, a["externalId"])]
        offset = int(self.query.get("offset", 0))
        limit = int(self.query.get("limit", 200))
        page = [self.account_view(a) for a in accounts[offset : offset + limit]]
        return 200, {"totalFilteredRecords": len(accounts), "pageItems": page}, {}

    def search(self):
        """[fineract: SearchApiResource GET /search?query=&resource=savings&exactMatch=] matches account
        number or external id; rows shaped like SearchData."""
        query = self.query.get("query", "")
        resources = self.query.get("resource", "clients,groups,loans,savings,shares,clientIdentifiers").split(
            ","
        )
        exact = self.query.get("exactMatch", "false").lower() == "true"
        if "savings" not in resources:
            return 200, [], {}
        with self.state.lock:
            accounts = list(self.state.accounts.values())
        rows = []
        for account in accounts:
            fields = [account["accountNo"], account["externalId"] or ""]
            if any(f == query if exact else query in f for f in fields):
                rows.append(
                    {
                        "entityId": account["id"],
                        "entityAccountNo": account["accountNo"],
                        "entityExternalId": account["externalId"],
                        "entityName": "Savings",
                        "entityType": "SAVING",
                        "parentId": account["clientId"],
                        "parentName": account["clientName"],
                        "parentType": "client",
                        "entityStatus": {"id": 0, "code": "", "value": ""},
                    }
                )
        return 200, rows, {}

    def transaction_command(self, account_id, raw):
        """[fineract: SavingsAccountTransactionsApiResource.transaction] POST ...?command=deposit."""
        command = self.query.get("command")
        if command != "deposit":
            # [fineract: UnrecognizedQueryParamExceptionMapper]; the stand-in implements only deposit.
            message = f"The query parameter command has an unsupported value of: {command}"
            error = parameter_error(
                "error.msg.query.parameter.value.unsupported", message, "command", args=["command"]
            )
            raise bad_request([error])
        # [fineract: idempotency.adoc, SynchronousCommandProcessingService] the key is unique together with
        # the action and entity names (not the account): a completed command replays its stored status and
        # body with x-served-from-cache: true, one still running answers 425
        # (IdempotentCommandExceptionMapper; the doc says 409, the code says 425, and echoes the request JSON
        # where the stand-in gives a message). Without a header Fineract generates a fresh key: no dedup.
        key = self.headers.get(self.state.config["idempotency_header"])
        slot = ("DEPOSIT", "SAVINGSACCOUNT", key)
        if key:
            with self.state.lock:
                if slot in self.state.idempotency:
                    stored = self.state.idempotency[slot]
                    if stored is None:
                        raise ApiError(425, {"developerMessage": "Idempotent command is under processing"})
                    return stored["status"], stored["body"], {"x-served-from-cache": "true"}
                self.state.idempotency[slot] = None
        try:
            status, body = 200, self.deposit(account_id, raw)
        except ApiError as exc:
            status, body = exc.status, exc.body
        if key:
            with self.state.lock:
                self.state.idempotency[slot] = {"status": status, "body": body}
        return status, body, {}

    def deposit(self, account_id, raw):
        """[fineract: SavingsAccountTransactionDataValidator.validate, then SavingsAccount.deposit]."""
        if not raw.strip():
            raise self.invalid_json()
        try:
            body = json.loads(raw)
        except ValueError:
            raise self.invalid_json() from None
        if not isinstance(body, dict):
            raise self.invalid_json()
        unsupported = sorted(set(body) - DEPOSIT_PARAMETERS)
        if unsupported:
            # [fineract: UnsupportedParameterExceptionMapper]
            raise bad_request(
                [
                    parameter_error(
                        "error.msg.parameter.unsupported",
                        f"The parameter {name} is not supported.",
                        name,
                        args=[name],
                    )
                    for name in unsupported
                ]
            )
        resource = "savingsaccount.transaction"
        transaction_date = None
        if body.get("transactionDate") is not None:
            # [fineract: JsonParserHelper.validateDateFormatAndLocale]
            missing = [p for p in ("dateFormat", "locale") if not body.get(p)]
            if missing:
                raise bad_request(
                    [
                        parameter_error(
                            f"validation.msg.missing.{p}.parameter",
                            f"The parameter `transactionDate` requires a `{p}` parameter to be passed "
                            "with it.",
                            "transactionDate",
                        )
                        for p in missing
                    ]
                )
            try:
                transaction_date = parse_java_date(str(body["transactionDate"]), body["dateFormat"])
            except ValueError:
                pattern = body["dateFormat"]
                message = f"The parameter `transactionDate` is invalid based on the dateFormat: `{pattern}`"
                raise bad_request(
                    [parameter_error("validation.msg.invalid.date.pattern", message, "transactionDate")]
                ) from None
        errors = []
        if transaction_date is None:
            errors.append(self.blank(resource, "transactionDate"))
        amount = body.get("transactionAmount")
        if amount in (None, ""):
            errors.append(self.blank(resource, "transactionAmount"))
        else:
            try:
                amount = Decimal(str(amount))
            except InvalidOperation:
                message = (
                    f"The parameter `transactionAmount` has value: {amount} which is invalid decimal value"
                )
                raise bad_request(
                    [parameter_error("validation.msg.invalid.decimal.format", message, "transactionAmount")]
                ) from None
            if amount <= 0:
                errors.append(
                    parameter_error(
                        f"validation.msg.{resource}.transactionAmount.not.greater.than.zero",
                        "The parameter `transactionAmount` must be greater than 0.",
                        "transactionAmount",
                        args=[str(amount), 0],
                    )
                )
        if body.get("paymentTypeId") in (None, ""):
            errors.append(self.blank(resource, "paymentTypeId"))
        if errors:
            raise bad_request(errors)
        account = self.find_account(account_id)
        with self.state.lock:
            if account["status"] != "active":
                # [fineract: SavingsAccount.deposit, isNotActive]
                raise bad_request(
                    [
                        parameter_error(
                            "error.msg.savingsaccount.transaction.account.is.not.active",
                            "Transaction is not allowed. Account is not active.",
                            "transactionDate",
                            args=[body["transactionDate"]],
                        )
                    ]
                )
            if transaction_date > date.today():
                raise bad_request(
                    [
                        parameter_error(
                            "error.msg.savingsaccount.transaction.in.the.future",
                            "Transaction date cannot be in the future.",
                            "transactionDate",
                            args=[body["transactionDate"]],
                        )
                    ]
                )
            account["balance"] += amount
            account["totalDeposits"] += amount
            transaction_id = self.state.next_transaction_id
            self.state.next_transaction_id += 1
            iso = transaction_date.isoformat()
            self.state.transactions[account["id"]][transaction_id] = {
                # [fineract: SavingsAccountTransactionData] dates are [yyyy, mm, dd] arrays by default.
                "id": transaction_id,
                "transactionType": {
                    "id": 1,
                    "code": "savingsAccountTransactionType.deposit",
                    "value": "Deposit",
                    "deposit": True,
                    "withdrawal": False,
                },
                "accountId": account["id"],
                "accountNo": account["accountNo"],
                "date": [transaction_date.year, transaction_date.month, transaction_date.day],
                "currency": {"code": self.state.config["currency"], "decimalPlaces": 2},
                "paymentDetailData": {
                    "paymentType": {"id": int(body["paymentTypeId"])},
                    **{
                        k: body[k]
                        for k in (
                            "accountNumber",
                            "checkNumber",
                            "routingCode",
                            "receiptNumber",
                            "bankNumber",
                        )
                        if k in body
                    },
                },
                "amount": float(amount),
                "runningBalance": float(account["balance"]),
                "reversed": False,
                "submittedOnDate": [int(p) for p in iso.split("-")],
                "note": body.get("note"),
            }
            # [fineract: SavingsAccountTransactionsApiResourceSwagger.PostSavingsAccountTransactionsResponse]
            return {
                "officeId": account["officeId"],
                "clientId": account["clientId"],
                "savingsId": account["id"],
                "resourceId": transaction_id,
            }

    @staticmethod
    def blank(resource, parameter):
        """[fineract: DataValidatorBuilder.notNull]."""
        return parameter_error(
            f"validation.msg.{resource}.{parameter}.cannot.be.blank",
            f"The parameter `{parameter}` is mandatory.",
            parameter,
        )

    @staticmethod
    def invalid_json():
        """[fineract: InvalidJsonExceptionMapper] answers a bare ApiParameterError, not the global shape."""
        return ApiError(
            400,
            parameter_error(
                "error.msg.invalid.request.body",
                "The JSON provided in the body of the request is invalid or missing.",
                "id",
            ),
        )

    def transaction(self, account_id, transaction_id):
        """[fineract: GET /savingsaccounts/{savingsId}/transactions/{transactionId}]."""
        account = self.find_account(account_id)
        with self.state.lock:
            found = self.state.transactions[account["id"]].get(
                int(transaction_id) if transaction_id.isdigit() else None
            )
        if found is None:
            raise not_found(
                "error.msg.saving.account.trasaction.id.invalid",
                f"Savings account with savings identifier {account_id} and trasaction identifier "
                f"{transaction_id} does not exist",
                account_id,
                transaction_id,
            )
        return 200, found, {}


class SimulatorProcess(base.SimulatorProcess):
    def __init__(self, url, process):
        super().__init__(url, process)
        self.api_url = url + API_PREFIX
        self.session = requests.Session()  # for tests that call the API directly


def run_fineract_simulator(**config):
    """Context manager: start this stand-in in a subprocess; yields .url, .api_url, .session, .control()."""
    return base.run_simulator(__file__, READY_PREFIX, config, SimulatorProcess)


if __name__ == "__main__":
    base.serve_main(__doc__.splitlines()[0], READY_PREFIX, Handler, State)
