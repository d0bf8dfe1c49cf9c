from odoo import api, fields, models

from ..tools.change_request import refuse_direct_change


class G2pRegistrantRecordMixin(models.AbstractModel):
    """A record that belongs to one registrant (an ID, a phone, a payment account): deleted with
    it, and in its company for multi-company record rules. Once the registrant is approved, the
    record's key fields change only through a change request (``_g2p_key_fields``)."""

    _name = "g2p.registrant.record.mixin"
    _description = "Record Belonging to a Registrant"

    #: The fields whose change on an approved registrant goes through a change request.
    _g2p_key_fields = ()

    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("is_registrant", "=", True)],
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True)

    @api.model_create_multi
    def create(self, vals_list):
        refuse_direct_change(
            self, self.env["res.partner"].browse({v["partner_id"] for v in vals_list if v.get("partner_id")})
        )
        return super().create(vals_list)

    def write(self, vals):
        if self._g2p_key_fields and set(self._g2p_key_fields) & vals.keys():
            refuse_direct_change(
                self, self.partner_id | self.env["res.partner"].browse(vals.get("partner_id") or [])
            )
        return super().write(vals)

    def unlink(self):
        refuse_direct_change(self, self.partner_id)
        return super().unlink()
