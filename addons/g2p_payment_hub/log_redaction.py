"""Callback secrets never reach the server log.

The payment-hub callback routes carry each batch's secret token in their URL (``?token=`` for
PH-EE, a path segment for GSMA); the filter defined here, installed by the addon's ``__init__``,
rewrites any log record mentioning a ``/g2p/payment_hub/`` URL with its secrets replaced
(``g2p_registry.tools.log_redaction``)."""

import re

from .const import SENSITIVE_KEYS
from odoo.addons.g2p_registry.tools.log_redaction import UrlRedactionFilter

ROUTE_PREFIX = "/g2p/payment_hub/"
REDACTED = "[REDACTED]"

# A secret path segment: what follows ``/callback/<correlation id>/`` on a hub route.
_PATH_SECRET = re.compile(r"(/g2p/payment_hub/[^\s?#\"']*?/callback/[^/\s?#\"']+/)[^/\s?#&\"']+")
# A secret query parameter (token=..., access_token=...) anywhere in a hub URL's query.
_QUERY_SECRET = re.compile(
    r"([?&;](?:%s)=)[^&#\s\"']*" % "|".join(re.escape(key) for key in sorted(SENSITIVE_KEYS)),
    re.IGNORECASE,
)


def _redact(text):
    text = _PATH_SECRET.sub(r"\1" + REDACTED, text)
    return _QUERY_SECRET.sub(r"\1" + REDACTED, text)


FILTER = UrlRedactionFilter(ROUTE_PREFIX, _redact)
redact_line = FILTER.redact_line
