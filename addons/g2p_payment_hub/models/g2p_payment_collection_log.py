from odoo import fields, models


class G2pPaymentCollectionLog(models.Model):
    """Every request, response, callback and status poll of a collection request, secrets
    redacted. A callback is stored once per collection and body (``event_key``)."""

    _name = "g2p.payment.collection.log"
    _inherit = ["g2p.payment.request.log.mixin"]
    _description = "Payment Collection Log"
    _order = "id desc"
    _rec_name = "kind"
    _parent_field = "collection_id"

    collection_id = fields.Many2one("g2p.payment.collection", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="collection_id.company_id", store=True, index=True)

    _event_unique = models.UniqueIndex(
        "(collection_id, event_key) WHERE event_key IS NOT NULL", "This event is already recorded."
    )
