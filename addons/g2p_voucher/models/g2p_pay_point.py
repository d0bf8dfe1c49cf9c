from odoo import fields, models


class G2pPayPoint(models.Model):
    _inherit = "g2p.pay.point"

    agent_user_ids = fields.Many2many(
        "res.users",
        "g2p_pay_point_agent_rel",
        "pay_point_id",
        "user_id",
        string="Agents",
        domain=lambda self: [("group_ids", "in", self.env.ref("g2p_voucher.group_g2p_pay_point_agent").id)],
        help="Pay-point agents who redeem the vouchers of this pay point (and only those).",
    )
    voucher_ids = fields.One2many("g2p.voucher", "pay_point_id", string="Vouchers", readonly=True)
