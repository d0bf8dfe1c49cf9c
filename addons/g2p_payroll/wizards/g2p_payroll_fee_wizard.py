from odoo import api, fields, models


class G2pPayrollFeeWizard(models.TransientModel):
    """Record a PSP's fee for a payroll: Dr fee expense / Cr the PSP's clearing account."""

    _name = "g2p.payroll.fee.wizard"
    _description = "Record PSP Fee"

    payroll_id = fields.Many2one("g2p.payroll", required=True, readonly=True)
    currency_id = fields.Many2one(related="payroll_id.currency_id")
    psp_id = fields.Many2one("res.partner", string="PSP", required=True, domain="[('id', 'in', psp_ids)]")
    psp_ids = fields.Many2many("res.partner", compute="_compute_psp_ids")
    amount = fields.Monetary(required=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    reference = fields.Char(help="The PSP's invoice or statement reference.")

    @api.depends("payroll_id")
    def _compute_psp_ids(self):
        for wizard in self:
            wizard.psp_ids = wizard.payroll_id.psp_summary_ids.psp_id

    def action_post(self):
        self.ensure_one()
        self.payroll_id._post_psp_fee(self.psp_id, self.amount, self.date, self.reference)
        return {"type": "ir.actions.act_window_close"}
