from odoo import fields, models


class G2PInsuranceCategory(models.Model):
    _name = "g2p.insurance.category"
    _description = "Insurance Benefit Category"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _code_uniq = models.UniqueIndex("(code)", "The code of a benefit category must be unique.")
