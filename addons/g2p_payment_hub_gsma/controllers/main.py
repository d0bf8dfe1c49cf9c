"""GSMA Mobile Money callbacks: the provider PUTs the final batch (or its error) to X-Callback-URL."""

import json
import logging

from werkzeug.wrappers import Response

from odoo import _, http
from odoo.http import request

from odoo.addons.g2p_payment_hub.controllers.main import G2pPaymentHubController

_logger = logging.getLogger(__name__)

CALLBACK_ROUTE = "/g2p/payment_hub/gsma/callback"


class G2pGsmaCallbackController(G2pPaymentHubController):
    @http.route(
        CALLBACK_ROUTE + "/<string:correlation_id>/<string:token>",
        type="http",
        auth="none",
        # Writes (auth="none" routes default to a read-only cursor, a replica's when there is one).
        readonly=False,
        methods=["PUT", "POST"],
        csrf=False,
        save_session=False,
    )
    def gsma_callback(self, correlation_id, token, **kwargs):
        """Find the batch by its correlation id, check the per-batch token, store the event once
        (a duplicate or a request replayed by Odoo is recorded once) and answer: a job then
        queues the status fetch. The body is never trusted as an outcome: the provider's batch
        and its completions are fetched, since a callback is neither signed nor complete."""
        headers = dict(request.httprequest.headers.items())
        with self._callback_env() as env:
            raw = self._limited_body(env)
            if raw is None:
                return self._too_large()
            batch = self._authenticated_batch(env, correlation_id, token, code="gsma")
            # Unknown batch and wrong token get the same answer: the route reveals no batch.
            if batch is None:
                return self._error(404, "identification", "genericError", "Unknown callback")
            try:
                payload = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                # RecursionError: a deeply nested body is a bad request, not a 500.
                return self._error(400, "validation", "formatError", "The body is not JSON")
            correlation = {k.lower(): v for k, v in headers.items()}.get("x-correlationid")
            if correlation and correlation != correlation_id:
                _logger.warning("GSMA callback for batch id %s refused: another X-CorrelationID", batch.id)
                message = _("The callback's X-CorrelationID is not this batch's.")
                return self._error(400, "validation", "genericError", message)
            batch._receive_callback(
                raw, headers=headers, url="%s/%s" % (CALLBACK_ROUTE, correlation_id), payload=payload
            )
        return Response(status=204)

    @staticmethod
    def _error(status, category, code, description):
        body = {"errorCategory": category, "errorCode": code, "errorDescription": description}
        return request.make_json_response(body, status=status)
