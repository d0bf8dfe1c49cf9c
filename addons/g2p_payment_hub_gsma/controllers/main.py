"""GSMA Mobile Money callbacks: the provider PUTs the final batch (or its error) to X-Callback-URL."""

import hmac
import json
import logging

from werkzeug.wrappers import Response

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

_logger = logging.getLogger(__name__)

CALLBACK_ROUTE = "/g2p/payment_hub/gsma/callback"


class G2pGsmaCallbackController(http.Controller):
    @http.route(
        CALLBACK_ROUTE + "/<string:correlation_id>/<string:token>",
        type="http",
        auth="public",
        methods=["PUT", "POST"],
        csrf=False,
        save_session=False,
    )
    def gsma_callback(self, correlation_id, token, **kwargs):
        """Find the batch by its correlation id, check the per-batch token, store the event once
        (a duplicate or a request replayed by Odoo is recorded once), then let the connector
        trigger a status fetch. The body is never trusted as an outcome."""
        batch = (
            request.env["g2p.payment.batch"]
            .sudo()
            .search([("correlation_id", "=", correlation_id), ("connector_id.code", "=", "gsma")], limit=1)
        )
        # Unknown batch and wrong token get the same answer (and the same comparison work): the
        # route reveals no batch.
        expected = (batch.callback_token if batch else None) or "-" * 43
        if not hmac.compare_digest(expected.encode(), token.encode()) or not batch.callback_token:
            return self._error(404, "identification", "genericError", "Unknown callback")
        raw = request.httprequest.get_data()
        try:
            payload = json.loads(raw or b"{}")
        except ValueError:
            return self._error(400, "validation", "formatError", "The body is not JSON")
        headers = dict(request.httprequest.headers.items())
        try:
            batch._receive_callback(
                raw, headers=headers, url="%s/%s" % (CALLBACK_ROUTE, correlation_id), payload=payload
            )
        except UserError as error:
            _logger.warning("GSMA callback for batch %s refused: %s", batch.name, error)
            return self._error(400, "validation", "genericError", str(error))
        return Response(status=204)

    @staticmethod
    def _error(status, category, code, description):
        body = {"errorCategory": category, "errorCode": code, "errorDescription": description}
        return request.make_json_response(body, status=status)
