from odoo import _, fields, models


class G2pCycle(models.Model):
    _inherit = "g2p.cycle"

    payroll_ids = fields.One2many("g2p.payroll", "cycle_id", string="Payrolls")
    payroll_count = fields.Integer(compute="_compute_payroll_count")
    analytic_account_id = fields.Many2one(
        "account.analytic.account", copy=False, readonly=True, help="Created on first payroll approval."
    )

    def _compute_payroll_count(self):
        counts = dict(
            self.env["g2p.payroll"]._read_group([("cycle_id", "in", self.ids)], ["cycle_id"], ["__count"])
        )
        for cycle in self:
            cycle.payroll_count = counts.get(cycle, 0)

    def action_view_payrolls(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Payrolls of %s", self.name),
            "res_model": "g2p.payroll",
            "view_mode": "list,form",
            "domain": [("cycle_id", "=", self.id)],
            "context": {"default_cycle_id": self.id},
        }

    def action_new_payroll(self):
        """Create the cycle's payroll and generate its payments, then open it."""
        self.ensure_one()
        self.env["g2p.payroll"]._check_maker()
        self._ensure_payroll_allowed()
        payroll = self.env["g2p.payroll"].create({"cycle_id": self.id})
        # The same stage as Generate Payments: in background jobs for a large program.
        run = payroll._start_generation()
        form = {
            "type": "ir.actions.act_window",
            "res_model": "g2p.payroll",
            "res_id": payroll.id,
            "views": [(False, "form")],
            "view_mode": "form",
        }
        if run.in_background:
            return payroll._g2p_stage_notification(run, _("Payments"), next_action=form)
        return payroll._notify_generated(next_action=form)
