from odoo import fields, models


class G2pPaymentFailureReason(models.Model):
    """Coded reason why a payment was not made (account closed, recipient deceased …)."""

    _name = "g2p.payment.failure.reason"
    _description = "Reason for Non-Payment"
    _order = "sequence, code"

    sequence = fields.Integer(default=10)
    code = fields.Char(required=True, help="Code used in PSP reports and by connectors.")
    name = fields.Char(required=True, translate=True)
    retryable = fields.Boolean(
        default=True, help="A failed payment with this reason may be re-paid in a later payroll."
    )
    active = fields.Boolean(default=True)

    _code_uniq = models.UniqueIndex("(code)", "Reason codes are unique.")
