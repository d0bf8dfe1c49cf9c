JOB_CHANNEL = "root.g2p.notice"
# Records per preparation job, and SMS per sending job (one HTTP request each with a generic gateway).
PREPARE_CHUNK = 5000
SEND_CHUNK = 500

NOTICE_KINDS = [
    ("payment_sent", "Payment Sent"),
    ("payment_paid", "Payment Paid"),
    ("payment_failed", "Payment Failed"),
]
CHANNELS = [("sms", "SMS"), ("email", "E-mail")]
NOTICE_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("retry", "To Retry"),
    ("failed", "Failed"),
    ("skipped", "Not Sent"),
]
SKIP_REASONS = [
    ("opted_out", "Opted out of notices"),
    ("no_number", "No phone number"),
    ("sms_blacklist", "Number blacklisted"),
    ("mail_blacklist", "E-mail blacklisted"),
]
# SMS failures worth another attempt (the gateway or the account, not the number or the text).
RETRYABLE_SMS_FAILURES = ("sms_server", "sms_acc", "sms_credit")

# Program switch (boolean field on g2p.program) per payment notice kind.
PROGRAM_SWITCHES = {
    "payment_sent": "notice_payment_sent",
    "payment_paid": "notice_payment_paid",
    "payment_failed": "notice_payment_failed",
}
