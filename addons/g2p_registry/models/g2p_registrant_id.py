from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class G2pRegistrantId(models.Model):
    _name = "g2p.registrant.id"
    _description = "Registrant Identity Document"
    _inherit = ["g2p.registrant.record.mixin"]
    _order = "id_type_id, id"
    _g2p_key_fields = ("partner_id", "id_type_id", "value")
    _rec_name = "value"

    id_type_id = fields.Many2one("g2p.id.type", string="ID Type", required=True, ondelete="restrict")
    value = fields.Char(string="Number", required=True, index=True)
    expiry_date = fields.Date()

    _type_value_uniq = models.UniqueIndex(
        "(id_type_id, value)",
        "This identity number is already registered for another registrant.",
    )

    @api.model
    def _normalize_value(self, value):
        # Spaces and dashes are how people write numbers, not part of them.
        return "".join(value.split()).replace("-", "").upper() if value else value

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "value" in vals:
                vals["value"] = self._normalize_value(vals["value"])
        return super().create(vals_list)

    def write(self, vals):
        if "value" in vals:
            vals["value"] = self._normalize_value(vals["value"])
        return super().write(vals)

    @api.constrains("value", "id_type_id")
    def _check_value(self):
        for reg_id in self:
            reg_id.id_type_id._validate_value(reg_id.value)

    @api.constrains("partner_id", "id_type_id")
    def _check_applies_to(self):
        for reg_id in self:
            applies_to = reg_id.id_type_id.applies_to
            is_group = reg_id.partner_id.is_group
            if (applies_to == "individual" and is_group) or (applies_to == "group" and not is_group):
                raise ValidationError(
                    _(
                        "%(type)s cannot be given to %(who)s.",
                        type=reg_id.id_type_id.name,
                        who=reg_id.partner_id.display_name,
                    )
                )
