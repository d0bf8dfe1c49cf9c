"""Keep secrets and personal data in request URLs out of the server log.

Odoo's HTTP server logs every request line through the ``werkzeug`` logger, and some G2P routes
carry what must not be logged in their URL (a callback's secret token, a FHIR search's criteria).
An addon builds one :class:`UrlRedactionFilter` with its route prefix and its own ``redact``
function and calls :meth:`UrlRedactionFilter.install` when its Python is imported, so the filter
is active in every server process (threaded, prefork workers, the job runner, tests)."""

import logging

#: Loggers whose records may carry a request URL: the request log and Odoo's HTTP layer.
LOGGERS = ("werkzeug", "odoo.http", "odoo.service.server")


class UrlRedactionFilter(logging.Filter):
    """Rewrites a record whose message names ``route_prefix`` with ``redact(message)``; never
    drops a record, and leaves every other record as it is (one substring test)."""

    def __init__(self, route_prefix, redact):
        super().__init__()
        self.route_prefix = route_prefix
        self.redact = redact

    def redact_line(self, text):
        """``text`` redacted if it mentions the route, else unchanged."""
        return self.redact(text) if self.route_prefix in text else text

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if self.route_prefix in message:
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, ()
        return True

    def install(self):
        """Add this filter to :data:`LOGGERS` (once)."""
        for name in LOGGERS:
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)
        return self
