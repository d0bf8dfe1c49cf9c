"""PH-EE callbacks (the shared authentication and storage are the hub's, see its controllers/main.py).

A callback is found by its batch's correlation id, authenticated with the batch's own secret token
(compared in constant time; a missing token is refused), stored once (unique per batch and body)
and acknowledged at once: nothing else happens in the request. The stored event is only a
trigger: a job queues the batch's status fetch. A request Odoo replays stores nothing twice.
"""

import json

from odoo import http
from odoo.http import request

from odoo.addons.g2p_payment_hub.controllers.main import G2pPaymentHubController


class G2pPheeCallbackController(G2pPaymentHubController):
    @http.route(
        "/g2p/payment_hub/phee/callback/<string:correlation_id>",
        type="http",
        auth="none",
        # Writes (auth="none" routes default to a read-only cursor, a replica's when there is one).
        readonly=False,
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def phee_callback(self, correlation_id, token=None, **kwargs):
        token = token or request.httprequest.headers.get("X-G2P-Token")
        with self._callback_env() as env:
            raw = self._limited_body(env)
            if raw is None:
                return self._too_large()
            batch = self._authenticated_batch(env, correlation_id, token)
            if batch is None:
                return request.make_json_response({"error": "forbidden"}, status=403)
            try:
                payload = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                # RecursionError: a deeply nested body is a bad request, not a 500.
                return request.make_json_response({"error": "body is not JSON"}, status=400)
            reported = payload.get("clientCorrelationId") if isinstance(payload, dict) else None
            if reported and reported != correlation_id:
                return request.make_json_response({"error": "correlation id mismatch"}, status=400)
            _log, new = batch._receive_callback(
                raw, headers=dict(request.httprequest.headers), url=request.httprequest.url, payload=payload
            )
        return request.make_json_response({"status": "received", "duplicate": not new})
