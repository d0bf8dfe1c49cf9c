from odoo import _, fields, models
from odoo.tools import SQL

from .g2p_payroll_line import LINE_STATES


class G2pPayrollAnalysis(models.Model):
    """Payments for graph and pivot views: one row per payroll line, every dimension filled (a
    payment without a failure gets the reason "Not failed", never an empty "None" group; PSPs
    are required on payment accounts, so on lines)."""

    _name = "g2p.payroll.analysis"
    _description = "Payroll Analysis"
    _auto = False
    _order = "payroll_id desc, id"
    _rec_name = "payroll_id"
    _depends = {
        "g2p.payroll.line": [
            "program_id",
            "cycle_id",
            "payroll_id",
            "psp_id",
            "company_id",
            "currency_id",
            "state",
            "failure_reason_id",
            "amount",
        ],
        "g2p.payment.failure.reason": ["name"],
    }

    program_id = fields.Many2one("g2p.program", readonly=True)
    cycle_id = fields.Many2one("g2p.cycle", readonly=True)
    payroll_id = fields.Many2one("g2p.payroll", readonly=True)
    psp_id = fields.Many2one("res.partner", string="PSP", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    state = fields.Selection(LINE_STATES, readonly=True)
    failure_reason = fields.Char(
        string="Reason for Non-Payment",
        readonly=True,
        help='Reason reported for a failed or cancelled payment; "Not failed" for the others.',
    )
    amount = fields.Monetary(readonly=True, aggregator="sum")
    line_count = fields.Integer(string="Payments", readonly=True, aggregator="sum")

    @property
    def _table_query(self):
        # Read per request, so reasons show in the user's language.
        lang = self.env.lang or "en_US"
        return SQL(
            """SELECT l.id AS id, l.program_id, l.cycle_id, l.payroll_id, l.psp_id, l.company_id,
                      l.currency_id, l.state,
                      COALESCE(r.name->>%s, r.name->>'en_US',
                               CASE WHEN l.state IN ('failed', 'cancelled') THEN %s ELSE %s END)
                          AS failure_reason,
                      l.amount, 1 AS line_count
                 FROM g2p_payroll_line l
            LEFT JOIN g2p_payment_failure_reason r ON r.id = l.failure_reason_id""",
            lang,
            _("Unspecified"),
            _("Not failed"),
        )
