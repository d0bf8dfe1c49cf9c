import hashlib

from odoo import api, fields, models
from odoo.tools import SQL

from .g2p_payment_connector import redact_headers, redact_text, redact_url


class G2pPaymentCollectionLog(models.Model):
    """Every request, response, callback and status poll of a collection request, secrets
    redacted. A callback is stored once per collection and body (``event_key``)."""

    _name = "g2p.payment.collection.log"
    _inherit = ["g2p.payment.log.mixin"]
    _description = "Payment Collection Log"
    _order = "id desc"
    _rec_name = "kind"

    collection_id = fields.Many2one("g2p.payment.collection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="collection_id.company_id", store=True, index=True)

    _event_unique = models.UniqueIndex(
        "(collection_id, event_key) WHERE event_key IS NOT NULL", "This event is already recorded."
    )

    @api.model
    def _log(
        self, collection, kind, method=None, url=None, body=None, headers=None, http_status=None, **extra
    ):
        """The same entry as ``g2p.payment.batch.log._log`` (the connector's ``_request`` logs on
        whichever record it talks for)."""
        if not collection:
            return self.browse()
        extra = {key: value for key, value in extra.items() if key in ("duration_ms", "note")}
        return self.sudo().create(
            {
                "collection_id": collection.id,
                **self._log_vals(kind, method, url, body, headers, http_status, **extra),
            }
        )

    @api.model
    def _record_event(self, collection, body, headers=None, url=None):
        """Store an inbound callback once: True when it is new (also under concurrent delivery)."""
        raw = body if isinstance(body, bytes) else (body or "").encode()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_payment_collection_log
                          (collection_id, company_id, timestamp, kind, url, body, headers, event_key,
                           create_uid, create_date, write_uid, write_date)
                   SELECT c.id, c.company_id, now() AT TIME ZONE 'UTC', 'callback', %(url)s, %(body)s,
                          %(headers)s, %(key)s, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                          now() AT TIME ZONE 'UTC'
                     FROM g2p_payment_collection c WHERE c.id = %(collection)s
                   ON CONFLICT (collection_id, event_key) WHERE event_key IS NOT NULL DO NOTHING
                   RETURNING id""",
                collection=collection.id,
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
