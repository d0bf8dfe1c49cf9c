from odoo import fields, models

ROW_ERRORS = [
    ("unknown_cover", "Unknown cover"),
    ("ambiguous", "Several covers"),
    ("other_payer", "Cover of another payer"),
    ("other_company", "Cover of another company"),
    ("not_open", "Cover not in force"),
    ("over_due", "More than the premium due"),
    ("duplicate", "Duplicate row"),
    ("bad_amount", "Bad amount"),
]


class G2PInsuranceEmployerPaymentLine(models.Model):
    """One row of an employer's statement: the cover it names, the premium it still owes and what
    the row pays of it, or why the row cannot be applied."""

    _name = "g2p.insurance.employer.payment.line"
    _description = "Employer Payment Row"
    _order = "payment_id, row_number, id"
    _check_company_auto = True

    payment_id = fields.Many2one(
        "g2p.insurance.employer.payment", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="payment_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="payment_id.currency_id")
    row_number = fields.Integer(string="Row", readonly=True, help="Row of the file (the header is row 1).")
    reference = fields.Char(
        readonly=True, help="The cover reference or the member's ID number, as written in the file."
    )
    payer_reference = fields.Char(readonly=True, help="The payer's reference given on the row, if any.")
    amount_text = fields.Char(string="Amount in File", readonly=True)
    amount = fields.Monetary(readonly=True, help="The amount of the row, read from the file.")
    policy_id = fields.Many2one(
        "g2p.insurance.policy", string="Cover", readonly=True, index="btree_not_null", check_company=True
    )
    holder_id = fields.Many2one(related="policy_id.holder_id", string="Holder")
    premium_due = fields.Monetary(
        readonly=True, help="Premium still due on the cover when the file was checked."
    )
    allocated_amount = fields.Monetary(
        string="Allocated",
        readonly=True,
        help="What this row pays of the cover's premium (0 for a row left out).",
    )
    residual_after = fields.Monetary(string="Due After", readonly=True)
    error = fields.Selection(ROW_ERRORS, readonly=True, index="btree_not_null")
    message = fields.Char(readonly=True)
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
