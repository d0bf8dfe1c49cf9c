from odoo import fields, models

from ..tools.sms_api import SmsApiG2pHttp
from odoo.addons.g2p_registry.const import SECRET_GROUPS


class ResCompany(models.Model):
    _inherit = "res.company"

    sms_g2p_gateway_id = fields.Many2one(
        "g2p.sms.gateway",
        string="SMS Gateway",
        groups=SECRET_GROUPS,
        help="Send the company's SMS through this HTTP gateway instead of Odoo's SMS service.",
    )

    def _get_sms_api_class(self):
        self.ensure_one()
        if self.sudo().sms_g2p_gateway_id.active:
            return SmsApiG2pHttp
        return super()._get_sms_api_class()

    def _g2p_uses_sms_gateway(self):
        self.ensure_one()
        return bool(self.sudo().sms_g2p_gateway_id.active)
