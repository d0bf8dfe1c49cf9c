import hashlib
from contextlib import contextmanager
from http import HTTPStatus

from odoo import _, api, fields, models
from odoo.tools import SQL

from .g2p_payment_connector import redact_headers, redact_text, redact_url

_BUFFER = "g2p_payment_batch_log_buffer"


class G2pPaymentBatchLog(models.Model):
    """Every request, response, callback and poll of a batch, with secrets redacted and bodies
    truncated. Inbound events (callbacks) carry an ``event_key`` unique per batch, so a callback
    delivered twice (or replayed by Odoo after a serialization conflict) is stored once."""

    _name = "g2p.payment.batch.log"
    _inherit = ["g2p.payment.log.mixin"]
    _description = "Payment Batch Log"
    _order = "id desc"
    _rec_name = "kind"

    batch_id = fields.Many2one("g2p.payment.batch", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="batch_id.company_id", store=True, index=True)
    result = fields.Char(
        compute="_compute_result",
        help='The answer in words: the HTTP status of a response, or "No connection" with the '
        "error when the processor could not be reached.",
    )
    processed = fields.Boolean(
        readonly=True,
        help="The inbound event triggered a status fetch of its sent batch. A callback that arrives "
        "before its batch's send has committed stays pending until a fetch after the send.",
    )
    is_submission = fields.Boolean(
        readonly=True, help="Written in its own transaction just before the batch was submitted."
    )

    _event_unique = models.UniqueIndex(
        "(batch_id, event_key) WHERE event_key IS NOT NULL", "This event is already recorded."
    )
    # The callbacks waiting to be consumed, read by the dispatcher job (a few among millions).
    _callback_pending = models.Index("(timestamp) WHERE kind = 'callback' AND processed IS NOT TRUE")

    @api.depends("kind", "http_status", "method", "body", "note")
    def _compute_result(self):
        for log in self:
            detail = (log.body or "").strip().splitlines()[:1]
            detail = detail[0][:200] if detail else ""
            if log.http_status:
                try:
                    phrase = HTTPStatus(log.http_status).phrase
                except ValueError:
                    phrase = ""
                log.result = ("%s %s" % (log.http_status, phrase)).strip()
            elif log.kind == "error" and log.method:
                # An HTTP call that got no answer: refused, timed out, TLS.
                log.result = _("No connection: %s", detail) if detail else _("No connection")
            elif log.kind == "error":
                log.result = detail or log.note or _("Error")
            else:
                log.result = log.note or False

    @api.model
    def _log(self, batch, kind, method=None, url=None, body=None, headers=None, http_status=None, **extra):
        """Log one entry on ``batch`` (nothing without a batch, e.g. a connection test)."""
        if not batch:
            return self.browse()
        vals = {
            "batch_id": batch.id,
            **self._log_vals(kind, method, url, body, headers, http_status, **extra),
        }
        buffer = self.env.cr.cache.get(_BUFFER)
        if buffer is not None:
            buffer.append(vals)
            return self.browse()
        return self.sudo().create(vals)

    @contextmanager
    def _buffered(self):
        """Collect the entries logged inside the block and create them at its end in one call
        (hundreds of batches are sent or polled in a row); dropped if the block raises, like the
        rest of the transaction."""
        cache = self.env.cr.cache
        if _BUFFER in cache:
            yield
            return
        cache[_BUFFER] = buffer = []
        try:
            yield
        finally:
            cache.pop(_BUFFER, None)
        if buffer:
            self.sudo().create(buffer)

    @api.model
    def _record_event(self, batch, kind, body, headers=None, url=None):
        """Store an inbound event once; return (log, True) when new, (existing log, False) when it was
        already recorded. Safe when the same request is processed twice concurrently."""
        raw = body if isinstance(body, bytes) else (body or "").encode()
        key = hashlib.sha256(raw).hexdigest()
        self.flush_model()
        # The company comes from the batch's row in the same statement: the caller's batch record
        # is not read (its prefetch would load the batch's payload).
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_payment_batch_log
                          (batch_id, company_id, timestamp, kind, url, body, headers, event_key, processed,
                           create_uid, create_date, write_uid, write_date)
                   SELECT b.id, b.company_id, now() AT TIME ZONE 'UTC', %(kind)s, %(url)s, %(body)s,
                          %(headers)s, %(key)s, FALSE, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                          now() AT TIME ZONE 'UTC'
                     FROM g2p_payment_batch b WHERE b.id = %(batch)s
                   ON CONFLICT (batch_id, event_key) WHERE event_key IS NOT NULL DO NOTHING
                   RETURNING id""",
                batch=batch.id,
                kind=kind,
                url=redact_url(url) if url else None,
                body=redact_text(raw),
                headers=redact_text(
                    "\n".join("%s: %s" % i for i in redact_headers(dict(headers or {})).items())
                ),
                key=key,
                uid=self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), True
        return self.sudo().search([("batch_id", "=", batch.id), ("event_key", "=", key)], limit=1), False
