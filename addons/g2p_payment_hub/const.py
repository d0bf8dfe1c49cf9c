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

#: Stored state of an attempt: open while its batch holds the payment, or closed by the batch
#: (refused by the processor, cancelled). The outcome of an accepted payment is not copied onto
#: the attempt: it lives on the payroll line, the one record of what was paid (see ATTEMPT_STATUSES).
ATTEMPT_STATES = [
    ("open", "Open"),
    ("failed", "Refused"),
    ("cancelled", "Cancelled"),
]
#: What an attempt shows: its batch's progress and its payroll line's outcome.
ATTEMPT_STATUSES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
#: Batch states in which the processor has not accepted the batch (yet).
UNSENT_BATCH_STATES = ("draft", "queued", "sending")

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

#: A request to pay (money in): the payer approves on their phone, or not.
COLLECTION_STATES = [
    ("draft", "Draft"),
    ("requested", "Awaiting Payer"),
    ("paid", "Paid"),
    ("partial", "Partly Paid"),
    ("rejected", "Rejected by Payer"),
    ("expired", "Expired"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
#: What a connector's collection status says, whatever its own words.
COLLECTION_STATUSES = ("pending", "paid", "rejected", "failed")
#: Collections whose money has arrived: nothing can change them any more.
COLLECTED_STATES = ("paid", "partial")

TRANSFER_STATES = [
    ("draft", "Draft"),
    ("sent", "Awaiting Processor"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
#: What a connector's transfer status says, whatever its own words.
TRANSFER_STATUSES = ("pending", "paid", "failed")
#: Transfers that hold their payment: a payment (``origin_key``) has at most one at a time.
LIVE_TRANSFER_STATES = ("draft", "sent", "paid")
