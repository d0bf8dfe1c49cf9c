from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_g2p_gateway_id = fields.Many2one(
        related="company_id.sms_g2p_gateway_id",
        readonly=False,
        groups="base.group_system,g2p_registry.group_g2p_admin",
    )
