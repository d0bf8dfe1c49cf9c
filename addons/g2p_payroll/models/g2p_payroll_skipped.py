from odoo import fields, models

SKIP_REASONS = [
    ("no_account", "No payment account"),
    ("inactive", "Not active in the registry"),
    ("not_enrolled", "No longer enrolled"),
    ("already_paid", "Paid by another payment"),
]


class G2pPayrollSkipped(models.Model):
    """A registrant due a payment that a payroll left out at generation, with the reason.
    Written set-based by the generation (one INSERT … SELECT), read from the payroll's smart
    button so a program manager can fix each case and pay it with a supplementary payroll."""

    _name = "g2p.payroll.skipped"
    _description = "Registrant Left Out of a Payroll"
    _order = "payroll_id desc, reason, partner_id"

    payroll_id = fields.Many2one("g2p.payroll", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", string="Registrant", required=True, readonly=True, index=True)
    reason = fields.Selection(SKIP_REASONS, required=True, readonly=True)
    failed_line_id = fields.Many2one(
        "g2p.payroll.line",
        string="Failed Payment",
        readonly=True,
        ondelete="cascade",
        help="For a re-payment left out: the failed payment of an earlier payroll it would re-pay.",
    )
