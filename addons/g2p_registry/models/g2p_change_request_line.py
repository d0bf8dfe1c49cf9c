from odoo import fields, models


class G2pChangeRequestLine(models.Model):
    """One change of a change request, as read when it was proposed: what (section, label), the
    value then and the value proposed, and what it targets (to check nothing changed since)."""

    _name = "g2p.change.request.line"
    _description = "Change Request Line"
    _order = "request_id, sequence, id"

    request_id = fields.Many2one("g2p.change.request", required=True, ondelete="cascade", index=True)
    partner_id = fields.Many2one(related="request_id.partner_id")
    company_id = fields.Many2one(related="request_id.company_id", store=True)
    sequence = fields.Integer()
    section = fields.Char(required=True, help="What part of the registrant changes (Names, IDs, Phones…).")
    kind = fields.Selection(
        [("added", "Added"), ("changed", "Changed"), ("removed", "Removed")], required=True, default="changed"
    )
    label = fields.Char(required=True)
    old_value = fields.Char(string="Before")
    new_value = fields.Char(string="Proposed")
    target_model = fields.Char(help="The model of the record the change applies to.")
    target_id = fields.Integer(help="The record the change applies to (none for an addition).")
    field_name = fields.Char(help="The field changed (none for an addition or a removal).")
    old_key = fields.Char(help="The value when proposed, to check it has not changed since.")
