from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.g2p_registry.tools.notify import notification

CYCLE_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("distributed", "Distributed"),
    ("closed", "Closed"),
]


class G2pCycle(models.Model):
    """One payment period of a program. Payroll is only generated for an approved cycle."""

    _name = "g2p.cycle"
    _description = "Program Cycle"
    _inherit = ["mail.thread", "mail.activity.mixin", "g2p.state.mixin"]
    _order = "program_id, sequence desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    program_id = fields.Many2one(
        "g2p.program", required=True, ondelete="restrict", index=True, check_company=True, tracking=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=1, help="Number of the cycle in the program.")
    start_date = fields.Date(required=True, tracking=True)
    end_date = fields.Date(required=True, tracking=True)
    state = fields.Selection(
        CYCLE_STATES,
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
        help="Draft → To Approve → Approved (payroll may run) → Distributed → Closed.",
    )
    submitted_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    can_approve = fields.Boolean(
        compute="_compute_can_approve",
        help="Whether the current user may approve this cycle: an approver who neither created nor "
        "submitted it.",
    )

    _dates_ordered = models.Constraint(
        "CHECK (end_date >= start_date)", "A cycle cannot end before it starts."
    )
    _sequence_uniq = models.UniqueIndex("(program_id, sequence)", "Cycle numbers are unique per program.")

    @api.constrains("state", "program_id", "start_date", "end_date")
    def _check_one_open_cycle(self):
        for cycle in self:
            program = cycle.program_id
            if cycle.state == "closed" or program.allow_overlapping_cycles:
                continue
            others = program.cycle_ids.filtered(lambda c: c != cycle and c.state != "closed")
            if others:
                raise ValidationError(
                    _(
                        "Program %(program)s already has an open cycle (%(cycle)s): close it first, or "
                        "allow overlapping cycles on the program.",
                        program=program.name,
                        cycle=others[0].name,
                    )
                )

    @api.constrains("start_date", "end_date", "program_id")
    def _check_within_program(self):
        for cycle in self:
            program = cycle.program_id
            if cycle.start_date < program.start_date or (
                program.end_date and cycle.start_date > program.end_date
            ):
                raise ValidationError(_("Cycle %s must start within the program's dates.", cycle.name))

    @api.depends_context("uid")
    @api.depends("state", "create_uid", "submitted_by_id", "program_id.approver_group_ids")
    def _compute_can_approve(self):
        user = self.env.user
        for cycle in self:
            cycle.can_approve = (
                cycle.state == "to_approve"
                and cycle._is_approver(user)
                and user not in (cycle.create_uid | cycle.submitted_by_id)
            )

    def _is_approver(self, user):
        self.ensure_one()
        groups = self.program_id.approver_group_ids
        if groups:
            return bool(groups & user.all_group_ids)
        return user.has_group("g2p_program.group_g2p_program_manager")

    def _check_program_manager(self):
        self.program_id._check_manager()

    def _names(self):
        return ", ".join(self.mapped("name"))

    def action_submit(self):
        self._check_program_manager()
        self.program_id._ensure_active(_("submitting a cycle"))
        self._g2p_transition("to_approve", {"draft"}, {"submitted_by_id": self.env.uid})
        return notification(
            _("Submitted for approval"),
            _(
                "%(cycles)s sent for approval: another program manager (not you) must approve it "
                "before a payroll can be generated.",
                cycles=self._names(),
            ),
        )

    def action_reset_draft(self):
        self._check_program_manager()
        self._g2p_transition("draft", {"to_approve"}, {"approved_by_id": False, "approved_date": False})
        return notification(
            _("Back to draft"),
            _("%(cycles)s is a draft again: change it and submit it again.", cycles=self._names()),
            "info",
        )

    def _check_approver(self):
        if self.env.su:
            return
        user = self.env.user
        for cycle in self:
            if not cycle._is_approver(user):
                raise AccessError(_("You are not an approver of program %s.", cycle.program_id.name))
            if user in (cycle.create_uid | cycle.submitted_by_id):
                raise UserError(
                    _(
                        "Maker-checker: you created or submitted cycle %s, so someone else must approve it.",
                        cycle.name,
                    )
                )

    def action_approve(self):
        self._check_approver()
        self.program_id._ensure_active(_("approving a cycle"))
        # Approvers may be outside the program managers (e.g. finance): once checked, write as
        # superuser, recording who approved.
        self.sudo()._g2p_transition(
            "approved",
            {"to_approve"},
            {"approved_by_id": self.env.uid, "approved_date": fields.Datetime.now()},
            message=_("Approved by %s.", self.env.user.name),
        )
        return notification(
            _("Cycle approved"),
            _("%(cycles)s approved: its payroll can now be generated.", cycles=self._names()),
        )

    def action_mark_distributed(self):
        self._check_program_manager()
        self._g2p_transition("distributed", {"approved"})
        return notification(
            _("Cycle distributed"),
            _(
                "%(cycles)s marked as distributed: close it once its payments are settled.",
                cycles=self._names(),
            ),
        )

    def action_close(self):
        self._check_program_manager()
        self._g2p_transition("closed", {"distributed"})
        return notification(
            _("Cycle closed"),
            _("%(cycles)s closed: the program may open its next cycle.", cycles=self._names()),
        )

    def _ensure_payroll_allowed(self):
        """Guard called by the payroll addon before generating or approving a payroll."""
        for cycle in self:
            if cycle.program_id.state != "active":
                raise UserError(
                    _("Program %s is not active: no payroll can be generated.", cycle.program_id.name)
                )
            if cycle.state != "approved":
                raise UserError(
                    _(
                        "Cycle %(cycle)s is %(state)s: a payroll needs an approved cycle.",
                        cycle=cycle.name,
                        state=dict(CYCLE_STATES)[cycle.state],
                    )
                )
        return True
