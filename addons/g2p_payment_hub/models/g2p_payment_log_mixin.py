from odoo import api, fields, models

from ..const import LOG_KINDS
from .g2p_payment_connector import redact_headers, redact_text, redact_url


class G2pPaymentLogMixin(models.AbstractModel):
    """What the hub logs of every exchange with a processor (requests, responses, callbacks,
    polls), secrets redacted and bodies truncated: the log of a batch and of a collection request."""

    _name = "g2p.payment.log.mixin"
    _description = "Payment Processor Exchange Log"
    _order = "id desc"
    _rec_name = "kind"

    timestamp = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    kind = fields.Selection(LOG_KINDS, required=True, readonly=True)
    method = fields.Char(readonly=True)
    url = fields.Char(string="URL", readonly=True)
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    headers = fields.Text(readonly=True)
    body = fields.Text(readonly=True)
    note = fields.Char(readonly=True)
    event_key = fields.Char(readonly=True, help="Identity of an inbound event (hash of its body).")

    @api.model
    def _log_vals(self, kind, method=None, url=None, body=None, headers=None, http_status=None, **extra):
        """The values of one entry, redacted (the caller adds its record's link)."""
        return {
            "kind": kind,
            "method": method,
            "url": redact_url(url) if url else False,
            "http_status": http_status or False,
            "body": redact_text(body) if body else False,
            "headers": redact_text(
                "\n".join("%s: %s" % item for item in redact_headers(dict(headers)).items())
            )
            if headers
            else False,
            **extra,
        }
