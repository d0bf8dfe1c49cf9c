from odoo import _, fields, models
from odoo.exceptions import UserError


class G2pPayrollLine(models.Model):
    _inherit = "g2p.payroll.line"

    attempt_ids = fields.One2many(
        "g2p.payment.attempt", "payroll_line_id", string="Payment Attempts", readonly=True
    )

    def action_cancel(self):
        """A payment held by a payment batch is refused: the batch's file or request already
        carries it. Cancelling the batch first frees its payments."""
        held = (
            self.env["g2p.payment.attempt"]
            .sudo()
            .search([("payroll_line_id", "in", self.ids), ("state", "=", "open")], limit=1)
        )
        if held:
            raise UserError(
                _(
                    "Payment %(number)s is in payment batch %(batch)s: cancel the batch first (which "
                    "frees its payments), then the payment.",
                    number=held.payroll_line_id.payment_number,
                    batch=held.batch_id.name,
                )
            )
        return super().action_cancel()
