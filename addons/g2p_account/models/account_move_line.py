from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    g2p_event = fields.Selection(
        related="move_id.g2p_event",
        store=True,
        string="G2P Event",
        help="The G2P money event of the entry, to filter and group journal items by it.",
    )
