from odoo import _, api, fields, models
from odoo.exceptions import UserError

MEMBERSHIP_STATES = [
    ("draft", "Draft"),
    ("enrolled", "Enrolled"),
    ("paused", "Paused"),
    ("exited", "Exited"),
    ("not_eligible", "Not Eligible"),
    ("duplicate", "Duplicate"),
]


class G2pProgramMembership(models.Model):
    """A registrant in a program. Enrolment creates these rows set-based (one INSERT … SELECT);
    re-verification marks those who no longer qualify. The payment account, recipient, PSP and
    pay point are taken from the registry: for a household, its own account or else its head's."""

    _name = "g2p.program.membership"
    _description = "Program Membership"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "program_id, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    # program_id is indexed by the (program_id, partner_id) unique index
    program_id = fields.Many2one("g2p.program", required=True, ondelete="cascade", check_company=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Beneficiary",
        required=True,
        ondelete="restrict",
        index=True,
        domain=[("is_registrant", "=", True)],
    )
    company_id = fields.Many2one("res.company", required=True)
    state = fields.Selection(
        MEMBERSHIP_STATES,
        default="draft",
        required=True,
        tracking=True,
        help="Only enrolled members are paid. Not eligible / duplicate are set by re-verification.",
    )
    state_reason = fields.Char(
        string="Reason", tracking=True, help="Why the member was paused, exited or dropped."
    )
    # Not tracked: they change with the state, whose tracking already dates the change (an empty
    # old value would read "None → …" in the chatter).
    enrolment_date = fields.Date()
    exit_date = fields.Date()
    last_verified_date = fields.Date(help="Last time eligibility was checked.")

    registrant_number = fields.Char(related="partner_id.registrant_number")
    is_group = fields.Boolean(related="partner_id.is_group", string="Household")
    registrant_state = fields.Selection(related="partner_id.registrant_state")
    household_size = fields.Integer(related="partner_id.household_size")

    payment_account_id = fields.Many2one(
        "g2p.payment.account",
        ondelete="set null",
        help="Account the beneficiary is paid into: its own default account, or its household "
        "head's for a household without one, held with a PSP the program allows.",
    )
    recipient_id = fields.Many2one(
        related="payment_account_id.partner_id",
        string="Recipient",
        help="Who receives the money: the holder of the payment account (the head for a household "
        "paid through its head's account).",
    )
    psp_id = fields.Many2one(
        related="payment_account_id.provider_id", store=True, string="PSP", index="btree_not_null"
    )
    pay_point_id = fields.Many2one(related="payment_account_id.pay_point_id")
    currency_id = fields.Many2one(related="program_id.currency_id")
    benefit_amount = fields.Monetary(
        compute="_compute_benefit_amount", help="Amount per cycle from the program's benefit formula."
    )

    _program_partner_uniq = models.UniqueIndex(
        "(program_id, partner_id)", "This registrant is already a member of the program."
    )

    def _compute_benefit_amount(self):
        """Set-based: one query per program, whatever the number of members."""
        for program in self.program_id:
            members = self.filtered(lambda m: m.program_id == program)
            amounts = program._compute_benefit_amounts(members.partner_id.ids)
            for member in members:
                member.benefit_amount = amounts.get(member.partner_id.id, 0.0)
        (self - self.filtered("program_id")).benefit_amount = 0.0

    @api.model_create_multi
    def create(self, vals_list):
        programs = self.env["g2p.program"].browse([v.get("program_id") for v in vals_list])
        for vals, program in zip(vals_list, programs, strict=True):
            vals.setdefault("company_id", program.company_id.id)
        members = super().create(vals_list)
        members.filtered(lambda m: m.state == "enrolled").partner_id._ensure_can_receive_benefits()
        return members

    def action_enrol(self):
        self.partner_id._ensure_can_receive_benefits()
        self.program_id._ensure_active(_("enrolment"))
        dup = self.filtered("partner_id.duplicate_of_id")
        if dup:
            raise UserError(
                _("Confirmed duplicates cannot be enrolled: %s.", ", ".join(dup.mapped("partner_id.name")))
            )
        self._g2p_transition("enrolled", {"draft", "paused", "not_eligible"})
        self.filtered(lambda m: not m.enrolment_date).enrolment_date = fields.Date.context_today(self)
        return True

    def action_pause(self):
        self._g2p_transition("paused", {"enrolled"})
        return True

    def action_resume(self):
        self._g2p_transition("enrolled", {"paused"}, {"state_reason": False})
        return True

    def action_exit(self):
        self._g2p_transition(
            "exited",
            {"draft", "enrolled", "paused", "not_eligible", "duplicate"},
            {"exit_date": fields.Date.context_today(self)},
        )
        return True
