"""Inbound callbacks from payment processors.

A callback is found by its batch's correlation id, authenticated with the batch's own secret token
(compared in constant time; a missing token is refused), stored once (unique per batch and body)
and acknowledged at once. It is only a trigger: the authoritative status is fetched from the
processor in a job. Odoo may replay a request after a serialization conflict, so every step is
safe to run twice.
"""

import hmac
import json
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class G2pPaymentHubController(http.Controller):
    @http.route(
        "/g2p/payment_hub/phee/callback/<string:correlation_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def phee_callback(self, correlation_id, token=None, **kwargs):
        batch = self._authenticated_batch(
            correlation_id, token or request.httprequest.headers.get("X-G2P-Token")
        )
        if batch is None:
            return request.make_json_response({"error": "forbidden"}, status=403)
        # Cached: when Odoo replays the request after a serialization conflict, the replay reads the
        # same bytes (an uncached read would leave it an empty body, stored as a new event).
        raw = request.httprequest.get_data()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            return request.make_json_response({"error": "body is not JSON"}, status=400)
        reported = payload.get("clientCorrelationId") if isinstance(payload, dict) else None
        if reported and reported != correlation_id:
            return request.make_json_response({"error": "correlation id mismatch"}, status=400)
        _log, new = batch._receive_callback(
            raw, headers=dict(request.httprequest.headers), url=request.httprequest.url, payload=payload
        )
        return request.make_json_response({"status": "received", "duplicate": not new})

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
