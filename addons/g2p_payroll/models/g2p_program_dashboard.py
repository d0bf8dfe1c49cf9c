from odoo import _, fields, models
from odoo.tools import SQL

from .g2p_payroll_line import LINE_STATES
from .g2p_program import COMMITTED_LINE_STATES
from odoo.addons.g2p_program.models.g2p_cycle import CYCLE_STATES

# Lines still waiting for an outcome: generated, approved or handed to a PSP.
OPEN_LINE_STATES = ("pending", "approved", "sent")
DASHBOARD_LINE_STATES = {
    "paid": ("paid",),
    "failed": ("failed",),
    "pending": OPEN_LINE_STATES,
    "committed": COMMITTED_LINE_STATES,
}


class G2pProgramDashboard(models.Model):
    """Key figures of the program dashboard (kanban). Each figure is computed for all the programs
    on screen at once (grouped reads, one query per table) and opens the records behind it."""

    _inherit = "g2p.program"

    dashboard_enrolled_count = fields.Integer(
        string="Enrolled Beneficiaries",
        compute="_compute_dashboard_enrolled",
        help="Enrolled members of the program (a count, shown to every dashboard role).",
    )
    dashboard_cycle_id = fields.Many2one(
        "g2p.cycle", string="Open Cycle", compute="_compute_dashboard_cycle", help="Latest cycle not closed."
    )
    dashboard_cycle_state = fields.Selection(
        CYCLE_STATES, string="Open Cycle State", compute="_compute_dashboard_cycle"
    )
    amount_paid = fields.Monetary(
        string="Paid", compute="_compute_dashboard_amounts", help="Confirmed payments."
    )
    amount_failed = fields.Monetary(
        string="Failed", compute="_compute_dashboard_amounts", help="Failed payments."
    )
    amount_pending = fields.Monetary(
        string="Pending",
        compute="_compute_dashboard_amounts",
        help="Payments without an outcome yet: in a payroll to approve, approved or sent to a PSP.",
    )
    failed_count = fields.Integer(string="Failed Payments", compute="_compute_dashboard_amounts")

    def _compute_dashboard_enrolled(self):
        # A count only: finance officers and approvers see it without reading the members.
        Membership = self.env["g2p.program.membership"].sudo()
        domain = [("program_id", "in", self.ids), ("state", "=", "enrolled")]
        counts = dict(Membership._read_group(domain, ["program_id"], ["__count"]))
        for program in self:
            program.dashboard_enrolled_count = counts.get(program, 0)

    def _compute_dashboard_cycle(self):
        Cycle = self.env["g2p.cycle"]
        latest = {
            program.id: cycle_id
            for program, cycle_id in Cycle._read_group(
                [("program_id", "in", self.ids), ("state", "!=", "closed")], ["program_id"], ["id:max"]
            )
        }
        cycles = Cycle.browse(latest.values())
        # One read of the cycles' states, for all programs.
        states = {cycle.id: cycle.state for cycle in cycles}
        for program in self:
            cycle_id = latest.get(program.id)
            program.dashboard_cycle_id = cycle_id
            program.dashboard_cycle_state = states.get(cycle_id, False)

    def _compute_dashboard_amounts(self):
        # Through the payroll (indexed by program): lines have no index on their program.
        self.env["g2p.payroll.line"].flush_model(["amount", "state", "payroll_id"])
        self.env["g2p.payroll"].flush_model(["program_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT pr.program_id, l.state, sum(l.amount), count(*)
                     FROM g2p_payroll pr JOIN g2p_payroll_line l ON l.payroll_id = pr.id
                    WHERE pr.program_id = ANY(%s)
                    GROUP BY pr.program_id, l.state""",
                self.ids,
            )
        )
        figures = {(pid, state): (float(amount), count) for pid, state, amount, count in rows}
        for program in self:
            program.amount_paid = figures.get((program.id, "paid"), (0, 0))[0]
            program.amount_failed, program.failed_count = figures.get((program.id, "failed"), (0, 0))
            program.amount_pending = sum(figures.get((program.id, s), (0, 0))[0] for s in OPEN_LINE_STATES)

    # ------------------------------------------------------------------ figures open their records

    def action_dashboard_enrolled(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Enrolled in %s", self.name),
            "res_model": "g2p.program.membership",
            "view_mode": "list,form",
            "domain": [("program_id", "=", self.id), ("state", "=", "enrolled")],
        }

    def action_dashboard_cycle(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Cycles of %s", self.name),
            "res_model": "g2p.cycle",
            "view_mode": "list,form",
            "domain": [("program_id", "=", self.id)],
        }

    def action_dashboard_lines(self):
        """Payments of the program in the states of the figure (context ``g2p_line_states``:
        paid, failed, pending or committed)."""
        self.ensure_one()
        key = self.env.context.get("g2p_line_states")
        states = DASHBOARD_LINE_STATES.get(key)
        labels = dict(LINE_STATES)
        domain = [("payroll_id.program_id", "=", self.id)]
        if states:
            domain.append(("state", "in", list(states)))
        name = _("Payments of %s", self.name)
        if states:
            name = "%s – %s" % (name, ", ".join(labels[s] for s in states))
        context = {"group_by": ["failure_reason_id"]} if key == "failed" else {"group_by": ["payroll_id"]}
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "g2p.payroll.line",
            "view_mode": "list,form",
            "domain": domain,
            "context": context,
        }

    def action_dashboard_analysis(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_payroll.action_g2p_payroll_analysis")
        action["name"] = _("Payments of %s", self.name)
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"pivot_row_groupby": ["cycle_id"], "graph_groupbys": ["failure_reason"]}
        return action
