from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class G2PInsuranceProductCategory(models.Model):
    _name = "g2p.insurance.product.category"
    _description = "Insurance Product Category Rule"
    _order = "product_id, category_id"

    product_id = fields.Many2one("g2p.insurance.product", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="product_id.company_id", store=True)
    currency_id = fields.Many2one(related="product_id.currency_id")
    category_id = fields.Many2one("g2p.insurance.category", required=True, ondelete="restrict")
    excluded = fields.Boolean(help="Claims in an excluded category are rejected (nothing is paid).")
    cap_period = fields.Monetary(
        string="Cap per Period",
        help="Most the cover pays in this category per cover period. Leave empty for no cap (the "
        "cover's total limit still applies).",
    )
    cap_instance = fields.Monetary(
        string="Cap per Claim",
        help="Most the cover pays for one claim in this category. Leave empty for no cap.",
    )
    waiting_days = fields.Integer(
        string="Waiting Period (days)",
        help="Services received less than this many days after the cover starts are not covered.",
    )

    _category_uniq = models.UniqueIndex(
        "(product_id, category_id)", "A category appears only once per insurance product."
    )

    @api.constrains("cap_period", "cap_instance", "waiting_days")
    def _check_amounts(self):
        for rule in self:
            if rule.cap_period < 0 or rule.cap_instance < 0 or rule.waiting_days < 0:
                raise ValidationError(_("Caps and waiting periods cannot be negative."))
