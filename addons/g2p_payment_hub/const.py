"""Constants shared by the payment hub models, connectors and controller."""

BATCH_STATES = [
    ("draft", "Draft"),
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("partially_completed", "Partially Completed"),
    ("completed", "Completed"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
#: Batches whose processor may still report outcomes (polled by the cron).
OPEN_BATCH_STATES = ("sent", "partially_completed")

ATTEMPT_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
#: An attempt in one of these states holds its payroll line: the line cannot go in another batch.
LIVE_ATTEMPT_STATES = ("queued", "sent", "paid")

LOG_KINDS = [
    ("request", "Request"),
    ("response", "Response"),
    ("callback", "Callback"),
    ("poll", "Status Poll"),
    ("error", "Error"),
    ("info", "Information"),
]

#: Header names, query parameters and JSON keys whose values never reach a log.
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "x-signature",
        "cookie",
        "set-cookie",
        "password",
        "access_token",
        "refresh_token",
        "token",
        "client_secret",
        "secret",
        "api_key",
        "apikey",
    }
)
#: Longest body kept in a batch log entry.
LOG_BODY_LIMIT = 4000

#: Payee identifier type per payment account type (PH-EE's names; a connector may override).
PAYEE_IDENTIFIER_TYPES = {
    "mobile_wallet": "msisdn",
    "bank": "accountNumber",
    "cash": "accountNumber",
}
