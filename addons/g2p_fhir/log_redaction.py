"""Search criteria of FHIR requests never reach the server log.

A FHIR search carries registrants' data in its URL (``?identifier=…|123456789``, ``?family=…``,
``?birthdate=…``) and Odoo's HTTP server logs every request line through the ``werkzeug`` logger.
:func:`install` adds a filter to the loggers that write request lines or URLs, which replaces the
query string of every ``/fhir/R4`` URL in a record. It runs when the addon's Python is imported, so
in every server process."""

import logging
import re

LOGGERS = ("werkzeug", "odoo.http", "odoo.service.server")
ROUTE_PREFIX = "/fhir/R4"
REDACTED = "?[query redacted]"

_FHIR_QUERY = re.compile(r"(/fhir/R4[^\s?#\"']*)\?[^\s#\"']*")


def redact_line(text):
    """``text`` with the query strings of its FHIR URLs replaced."""
    if ROUTE_PREFIX not in text:
        return text
    return _FHIR_QUERY.sub(lambda match: match.group(1) + REDACTED, text)


class FhirQueryFilter(logging.Filter):
    """Rewrites a record whose message has a FHIR URL with a query; never drops a record."""

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


_FILTER = FhirQueryFilter()


def install():
    """Add the filter to :data:`LOGGERS` (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
