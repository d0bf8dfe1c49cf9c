"""Callback secrets never reach the server log.

The payment-hub callback routes carry each batch's secret token in their URL (``?token=`` for
PH-EE, a path segment for GSMA), and Odoo's HTTP server logs every request line through the
``werkzeug`` logger. :func:`install` adds a filter to the loggers that write request lines or
URLs, which rewrites any record mentioning a ``/g2p/payment_hub/`` URL with its secrets replaced.
It runs when the hub's Python is imported, so it is active in every server process (threaded,
prefork workers, the job runner, tests)."""

import logging
import re

from .const import SENSITIVE_KEYS

#: Loggers whose records may carry a request URL: the request log and Odoo's HTTP layer.
LOGGERS = ("werkzeug", "odoo.http", "odoo.service.server")
ROUTE_PREFIX = "/g2p/payment_hub/"
REDACTED = "[REDACTED]"

# A secret path segment: what follows ``/callback/<correlation id>/`` on a hub route.
_PATH_SECRET = re.compile(r"(/g2p/payment_hub/[^\s?#\"']*?/callback/[^/\s?#\"']+/)[^/\s?#&\"']+")
# A secret query parameter (token=..., access_token=...) anywhere in a hub URL's query.
_QUERY_SECRET = re.compile(
    r"([?&;](?:%s)=)[^&#\s\"']*" % "|".join(re.escape(key) for key in sorted(SENSITIVE_KEYS)),
    re.IGNORECASE,
)


def redact_line(text):
    """``text`` with the secrets of the hub's callback URLs in it replaced."""
    if ROUTE_PREFIX not in text:
        return text
    text = _PATH_SECRET.sub(r"\1" + REDACTED, text)
    return _QUERY_SECRET.sub(r"\1" + REDACTED, text)


class CallbackSecretFilter(logging.Filter):
    """Rewrites a record whose message names a hub callback URL; never drops a record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if ROUTE_PREFIX in message:
            redacted = redact_line(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True


_FILTER = CallbackSecretFilter()


def install():
    """Add the filter to :data:`LOGGERS` (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
