from odoo import fields, models

from odoo.addons.g2p_registry.const import SECRET_GROUPS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_g2p_gateway_id = fields.Many2one(
        related="company_id.sms_g2p_gateway_id",
        readonly=False,
        groups=SECRET_GROUPS,
    )
