from odoo import fields, models


class G2pPayrollReconciliationRow(models.Model):
    _name = "g2p.payroll.reconciliation.row"
    _description = "PSP Report Row"
    _order = "reconciliation_id, row_number"

    reconciliation_id = fields.Many2one(
        "g2p.payroll.reconciliation", required=True, ondelete="cascade", index=True
    )
    row_number = fields.Integer(string="Row")
    payment_number = fields.Char()
    line_id = fields.Many2one("g2p.payroll.line", string="Payment", ondelete="set null")
    beneficiary_id = fields.Many2one(related="line_id.beneficiary_id")
    amount = fields.Monetary(related="line_id.amount", currency_field="currency_id")
    currency_id = fields.Many2one(related="line_id.currency_id")
    status = fields.Selection([("paid", "Paid"), ("failed", "Failed")])
    date = fields.Char()
    psp_reference = fields.Char(string="PSP Reference")
    reason = fields.Char()
    result = fields.Selection(
        [("ok", "To apply"), ("applied", "Applied"), ("skipped", "Already applied"), ("error", "Error")],
        required=True,
        help="To apply: the check found nothing wrong. Applied: the outcome is now on the payment. "
        "Already applied: the payment already had this outcome (an earlier report).",
    )
    message = fields.Char()
