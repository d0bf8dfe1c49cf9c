from odoo import fields, models


class G2pRegistrantRecordMixin(models.AbstractModel):
    """A record that belongs to one registrant (an ID, a phone, a payment account): deleted with
    it, and in its company for multi-company record rules."""

    _name = "g2p.registrant.record.mixin"
    _description = "Record Belonging to a Registrant"

    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("is_registrant", "=", True)],
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True)
