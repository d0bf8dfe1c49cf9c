"""Inbound callbacks from payment processors.

A callback is found by its batch's correlation id, authenticated with the batch's own secret token
(compared in constant time; a missing token is refused), stored once (unique per batch and body)
and acknowledged at once. It is only a trigger: the authoritative status is fetched from the
processor in a job. Odoo may replay a request after a serialization conflict, so every step is
safe to run twice.
"""

import hmac
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class G2pPaymentHubController(http.Controller):
    """What the connectors' callback routes share (each connector addon declares its routes in a
    subclass)."""

    def _authenticated_batch(self, correlation_id, token):
        """The batch whose callback token is ``token``, or None (same answer for an unknown batch,
        a missing token and a wrong one)."""
        if not token or not correlation_id:
            return None
        batch = (
            request.env["g2p.payment.batch"].sudo().search([("correlation_id", "=", correlation_id)], limit=1)
        )
        if not batch or not batch.callback_token:
            # Compare anyway so the answer time does not tell whether the batch exists.
            hmac.compare_digest(token.encode(), b"-" * 43)
            return None
        if not hmac.compare_digest(token.encode(), batch.callback_token.encode()):
            _logger.warning("Payment hub callback with a wrong token for batch %s", batch.name)
            return None
        return batch
