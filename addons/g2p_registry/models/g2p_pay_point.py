from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class G2pPayPoint(models.Model):
    _name = "g2p.pay.point"
    _description = "Cash Pay Point"
    _inherit = ["mail.thread"]
    _order = "psp_id, name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, tracking=True)
    psp_id = fields.Many2one(
        "res.partner",
        string="Payment Service Provider",
        required=True,
        ondelete="restrict",
        domain=[("is_psp", "=", True)],
        tracking=True,
    )
    street = fields.Char()
    city = fields.Char()
    country_id = fields.Many2one("res.country")
    area_id = fields.Many2one(
        "g2p.area", string="Area", index="btree_not_null", ondelete="restrict", tracking=True
    )
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    _psp_code_uniq = models.Constraint(
        "UNIQUE (psp_id, code)", "This PSP already has a pay point with this code."
    )

    @api.constrains("psp_id")
    def _check_psp(self):
        for pay_point in self:
            if not pay_point.psp_id.is_psp:
                raise ValidationError(
                    _("%s is not a payment service provider.", pay_point.psp_id.display_name)
                )
