from odoo import fields, models


class G2pPaymentTransferLog(models.Model):
    """Every request, response, callback and status poll of a transfer, secrets redacted. A
    callback is stored once per transfer and body (``event_key``)."""

    _name = "g2p.payment.transfer.log"
    _inherit = ["g2p.payment.request.log.mixin"]
    _description = "Payment Transfer Log"
    _order = "id desc"
    _rec_name = "kind"
    _parent_field = "transfer_id"

    transfer_id = fields.Many2one("g2p.payment.transfer", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="transfer_id.company_id", store=True, index=True)

    _event_unique = models.UniqueIndex(
        "(transfer_id, event_key) WHERE event_key IS NOT NULL", "This event is already recorded."
    )
