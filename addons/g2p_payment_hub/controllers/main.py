"""Inbound callbacks from payment processors.

A callback is found by its batch's correlation id, authenticated with the batch's own secret token
(compared in constant time; a missing token is refused), stored once (unique per batch and body)
and acknowledged at once: the route does nothing else, whatever the size of the batch or the load.
A stored callback is only a trigger: a job (``g2p.payment.batch._dispatch_callbacks``) queues the
status fetch of its batch, which fetches the authoritative status from the processor.
"""

import hmac
import logging
from contextlib import contextmanager

from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from odoo import api, http
from odoo.http import request
from odoo.sql_db import Cursor
from odoo.tools import SQL

from odoo.addons.g2p_registry.tools.body_limit import BodyTooLarge, limit_from_parameter, read_limited_body

_logger = logging.getLogger(__name__)

#: How a callback's transaction runs (see ``_callback_env``).
#: Default of ``g2p_payment_hub.max_callback_bytes``: a larger callback is refused (413) unread.
MAX_CALLBACK_BYTES = 1024 * 1024

CALLBACK_TRANSACTION = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO OFF"


class G2pPaymentHubController(http.Controller):
    """What the connectors' callback routes share (each connector addon declares its routes in a
    subclass)."""

    @contextmanager
    def _callback_env(self):
        """A superuser environment (as the public user: a callback is anonymous until its token
        is checked) whose transaction runs READ COMMITTED, committed when the request ends.

        READ COMMITTED, unlike Odoo's REPEATABLE READ: the event's INSERT checks its foreign key on
        the batch row, which the batch's status jobs update all the time; under REPEATABLE READ a
        callback arriving while a status job commits fails to serialize and Odoo replays it after
        up to 2 s (the whole latency of a storm). The route reads one row and inserts one (ON
        CONFLICT DO NOTHING waits for a concurrent identical insert, then does nothing): nothing in
        it needs a snapshot.

        Committed without waiting for the WAL flush (``synchronous_commit`` off, for this
        transaction only): that wait was the largest part of a callback's database time. A stored
        callback is only a trigger, and the status comes from the processor: one acknowledged
        just before a database crash and lost with it leaves its batch to the poll cron, which
        fetches the status anyway. Nothing else is weakened: no corruption, and every other
        transaction keeps the server's setting.

        The routes are ``auth="none"`` so that nothing has queried the request's cursor yet: its
        transaction has not begun, and its isolation can still be set. That cursor is used, not a
        second connection (borrowing and resetting one was a quarter of a callback's time). When
        something did query it first (another addon's ``_pre_dispatch``), a cursor of its own is
        used instead. Under the test harness the registry hands out the test's cursor, whose
        transaction is already under way: used as it is."""
        cr = request.env.cr
        if isinstance(cr, Cursor) and cr._cnx.info.transaction_status == TRANSACTION_STATUS_IDLE:
            cr.execute(CALLBACK_TRANSACTION)
            yield self._public_env(cr)
            return
        with request.env.registry.cursor() as own_cr:
            if isinstance(own_cr, Cursor):
                own_cr.execute(CALLBACK_TRANSACTION)
            yield self._public_env(own_cr)

    def _too_large(self):
        return request.make_json_response({"error": "payload too large"}, status=413)

    def _limited_body(self, env):
        """The callback's body, or None when it is over ``g2p_payment_hub.max_callback_bytes``
        (checked before the token, and before the body is read whole)."""
        limit = limit_from_parameter(env, "g2p_payment_hub.max_callback_bytes", MAX_CALLBACK_BYTES)
        try:
            return read_limited_body(request.httprequest, limit)
        except BodyTooLarge:
            return None

    def _public_env(self, cr):
        """A superuser environment on ``cr`` as the public user (the id is cached: no query)."""
        public_uid = request.env["ir.model.data"]._xmlid_to_res_id("base.public_user")
        return api.Environment(cr, public_uid, {}, su=True)

    def _authenticated_batch(self, env, correlation_id, token, code=None):
        """The batch (of a connector of type ``code``, if given) whose callback token is ``token``,
        or None (same answer, and the same comparison work, for an unknown batch, a missing token
        and a wrong one). One indexed read of two columns: the batch's payload is not loaded."""
        if not token or not correlation_id:
            return None
        rows = env.execute_query(
            SQL(
                """SELECT b.id, b.callback_token FROM g2p_payment_batch b
                     JOIN g2p_payment_connector c ON c.id = b.connector_id
                    WHERE b.correlation_id = %s AND (%s IS NULL OR c.code = %s)""",
                correlation_id,
                code,
                code,
            )
        )
        return self._record_if_token_matches(env["g2p.payment.batch"], rows, token)

    #: The payment requests outside batches whose callbacks the hub takes, by URL segment.
    _request_models = {"collection": "g2p.payment.collection", "transfer": "g2p.payment.transfer"}

    def _authenticated_request(self, env, kind, request_id, token):
        """The collection or transfer whose callback token is ``token``, or None (the same answer
        and the same comparison work for an unknown request, a missing token and a wrong one)."""
        if not token or not request_id:
            return None
        model = env[self._request_models[kind]]
        rows = env.execute_query(
            SQL(
                "SELECT id, callback_token FROM %s WHERE request_id = %s",
                SQL.identifier(model._table),
                request_id,
            )
        )
        return self._record_if_token_matches(model, rows, token)

    def _record_if_token_matches(self, model, rows, token):
        """The record of ``rows`` ([(id, expected token)], at most one) if ``token`` is its token,
        else None; compared in constant time, also when there is no record."""
        record_id, expected = rows[0] if rows else (None, None)
        if not hmac.compare_digest(token.encode(), (expected or "-" * 43).encode()) or not expected:
            if record_id:
                _logger.warning(
                    "Payment hub callback with a wrong token for %s id %s", model._name, record_id
                )
            return None
        return model.browse(record_id)

    @http.route(
        "/g2p/payment_hub/<any(collection,transfer):kind>/callback/<string:request_id>",
        type="http",
        auth="none",
        # Writes (auth="none" routes default to a read-only cursor, a replica's when there is one).
        readonly=False,
        # PH-EE POSTs its callbacks, the GSMA API PUTs them.
        methods=["POST", "PUT"],
        csrf=False,
        save_session=False,
    )
    def request_callback(self, kind, request_id, token=None, **kwargs):
        """A processor's word on a request to pay or a transfer: stored once, then a job fetches
        the status."""
        token = token or request.httprequest.headers.get("X-G2P-Token")
        with self._callback_env() as env:
            raw = self._limited_body(env)
            if raw is None:
                return self._too_large()
            record = self._authenticated_request(env, kind, request_id, token)
            if record is None:
                return request.make_json_response({"error": "forbidden"}, status=403)
            new = record._receive_callback(
                raw, headers=dict(request.httprequest.headers), url=request.httprequest.url
            )
        return request.make_json_response({"status": "received", "duplicate": not new})
