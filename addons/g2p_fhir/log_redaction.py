"""Search criteria of FHIR requests never reach the server log.

A FHIR search carries registrants' data in its URL (``?identifier=…|123456789``, ``?family=…``,
``?birthdate=…``); the filter defined here, installed by the addon's ``__init__``, replaces the
query string of every ``/fhir/R4`` URL in a log record (``g2p_registry.tools.log_redaction``)."""

import re

from odoo.addons.g2p_registry.tools.log_redaction import UrlRedactionFilter

ROUTE_PREFIX = "/fhir/R4"
REDACTED = "?[query redacted]"

_FHIR_QUERY = re.compile(r"(/fhir/R4[^\s?#\"']*)\?[^\s#\"']*")


def _redact(text):
    return _FHIR_QUERY.sub(lambda match: match.group(1) + REDACTED, text)


FILTER = UrlRedactionFilter(ROUTE_PREFIX, _redact)
redact_line = FILTER.redact_line
