from odoo import fields, models, tools
from odoo.tools import SQL


class G2pPayrollPspSummary(models.Model):
    """Totals of a payroll per PSP and state: what the approver sees before signing off, and the
    reconciliation summary afterwards."""

    _name = "g2p.payroll.psp.summary"
    _description = "Payroll Totals by PSP"
    _auto = False
    _order = "payroll_id, psp_id"

    payroll_id = fields.Many2one("g2p.payroll", readonly=True)
    psp_id = fields.Many2one("res.partner", string="PSP", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    line_count = fields.Integer(string="Payments", readonly=True)
    amount = fields.Monetary(string="Total", readonly=True)
    paid_count = fields.Integer(string="Paid", readonly=True)
    paid_amount = fields.Monetary(readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    failed_amount = fields.Monetary(readonly=True)
    open_count = fields.Integer(string="Awaiting Outcome", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE VIEW %s AS (
                   SELECT min(l.id) AS id, l.payroll_id, l.psp_id, l.currency_id,
                          count(*) AS line_count, sum(l.amount) AS amount,
                          count(*) FILTER (WHERE l.state = 'paid') AS paid_count,
                          COALESCE(sum(l.amount) FILTER (WHERE l.state = 'paid'), 0) AS paid_amount,
                          count(*) FILTER (WHERE l.state = 'failed') AS failed_count,
                          COALESCE(sum(l.amount) FILTER (WHERE l.state = 'failed'), 0) AS failed_amount,
                          count(*) FILTER (WHERE l.state IN ('pending', 'approved', 'sent')) AS open_count
                     FROM g2p_payroll_line l
                    WHERE l.state != 'cancelled'
                 GROUP BY l.payroll_id, l.psp_id, l.currency_id)""",
                SQL.identifier(self._table),
            )
        )
