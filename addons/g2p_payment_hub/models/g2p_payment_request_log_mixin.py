import hashlib

from odoo import api, models
from odoo.tools import SQL

from .g2p_payment_connector import redact_headers, redact_text, redact_url


class G2pPaymentRequestLogMixin(models.AbstractModel):
    """The log of a payment request (collection, transfer): every request, response, callback and
    status poll, secrets redacted. A callback is stored once per request and body (``event_key``);
    the models name their request field in ``_parent_field`` and declare the unique index."""

    _name = "g2p.payment.request.log.mixin"
    _inherit = ["g2p.payment.log.mixin"]
    _description = "Payment Request Log"
    _parent_field = None

    @api.model
    def _log(self, record, kind, method=None, url=None, body=None, headers=None, http_status=None, **extra):
        """The same entry as ``g2p.payment.batch.log._log`` (the connector's ``_request`` logs on
        whichever record it talks for)."""
        if not record:
            return self.browse()
        extra = {key: value for key, value in extra.items() if key in ("duration_ms", "note")}
        return self.sudo().create(
            {
                self._parent_field: record.id,
                **self._log_vals(kind, method, url, body, headers, http_status, **extra),
            }
        )

    @api.model
    def _record_event(self, record, body, headers=None, url=None):
        """Store an inbound callback once: True when it is new (also under concurrent delivery)."""
        raw = body if isinstance(body, bytes) else (body or "").encode()
        self.flush_model()
        parent = SQL.identifier(self._parent_field)
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(log)s
                          (%(parent)s, company_id, timestamp, kind, url, body, headers, event_key,
                           create_uid, create_date, write_uid, write_date)
                   SELECT r.id, r.company_id, now() AT TIME ZONE 'UTC', 'callback', %(url)s, %(body)s,
                          %(headers)s, %(key)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                          now() AT TIME ZONE 'UTC'
                     FROM %(requests)s r WHERE r.id = %(record)s
                   ON CONFLICT (%(parent)s, event_key) WHERE event_key IS NOT NULL DO NOTHING
                   RETURNING id""",
                log=SQL.identifier(self._table),
                parent=parent,
                requests=SQL.identifier(record._table),
                record=record.id,
                url=redact_url(url) if url else None,
                body=redact_text(raw),
                headers=redact_text(
                    "\n".join("%s: %s" % i for i in redact_headers(dict(headers or {})).items())
                ),
                key=hashlib.sha256(raw).hexdigest(),
                uid=self.env.uid,
            )
        )
        return bool(self.env.cr.fetchone())
