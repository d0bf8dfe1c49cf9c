from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    g2p_no_notices = fields.Boolean(
        string="No Notices",
        help="The person asked not to receive payment or claim notices (SMS or e-mail).",
    )
