import re

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

METHODS = [("POST", "POST"), ("PUT", "PUT"), ("GET", "GET")]
CONTENT_TYPES = [("json", "JSON"), ("form", "Form (url-encoded)")]
AUTH_TYPES = [
    ("none", "None"),
    ("basic", "Basic (username and password)"),
    ("bearer", "Bearer token"),
    ("header", "API key header"),
]
PLACEHOLDERS = ("to", "body", "reference")
PLACEHOLDER = re.compile(r"\{(to|body|reference)\}")
# Answers that say "later", not "never": the message is worth sending again.
RETRY_STATUSES = (408, 425, 429)

# Outcome of one request (the state in Odoo's SMS API results) -> sms.sms failure type.
GATEWAY_TO_SMS_FAILURE_TYPE = {
    "g2p_gateway_auth": "sms_acc",
    "g2p_gateway_refused": "unknown",
}
