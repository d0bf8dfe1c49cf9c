from odoo import fields, models


class G2pPayrollLine(models.Model):
    _inherit = "g2p.payroll.line"

    attempt_ids = fields.One2many(
        "g2p.payment.attempt", "payroll_line_id", string="Payment Attempts", readonly=True
    )
