from odoo import fields, models

# The money events of programs and payrolls, added to g2p_account's ``g2p_event``.
PAYROLL_EVENTS = [
    ("fund", "Fund received"),
    ("fund_reversal", "Fund receipt reversed"),
    ("approval", "Payroll approved"),
    ("prefunding", "Funds transferred to PSP"),
    ("payment", "Payment confirmed"),
    ("failure", "Payment failed"),
    ("cancellation", "Line cancelled"),
    ("fee", "PSP fee"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    g2p_payroll_id = fields.Many2one(
        "g2p.payroll", string="Payroll", index="btree_not_null", readonly=True, copy=False
    )
    g2p_fund_id = fields.Many2one(
        "g2p.program.fund", string="Program Fund", index="btree_not_null", readonly=True, copy=False
    )
    g2p_event = fields.Selection(
        selection_add=PAYROLL_EVENTS,
        # Uninstalling payroll keeps its entries; only their event is cleared.
        ondelete=dict.fromkeys(dict(PAYROLL_EVENTS), "set null"),
    )


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    g2p_payroll_line_id = fields.Many2one(
        "g2p.payroll.line",
        string="Payroll Line",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="Set when the program posts one payable line per beneficiary.",
    )
    g2p_psp_id = fields.Many2one(
        "res.partner", string="G2P PSP", index="btree_not_null", readonly=True, copy=False
    )
