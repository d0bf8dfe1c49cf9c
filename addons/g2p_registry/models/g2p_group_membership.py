from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.change_request import refuse_direct_change

MEMBERSHIP_ROLES = [
    ("head", "Head"),
    ("spouse", "Spouse"),
    ("child", "Child"),
    ("dependant", "Dependant"),
    ("other", "Other"),
]


class G2pGroupMembership(models.Model):
    _name = "g2p.group.membership"
    _description = "Household Membership"
    _inherit = ["mail.thread"]
    _order = "group_id, role_sequence, id"
    _rec_name = "individual_id"

    group_id = fields.Many2one(
        "res.partner",
        string="Household",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("is_registrant", "=", True), ("is_group", "=", True)],
    )
    individual_id = fields.Many2one(
        "res.partner",
        string="Member",
        required=True,
        ondelete="cascade",
        index=True,
        domain=[("is_registrant", "=", True), ("is_group", "=", False)],
    )
    role = fields.Selection(MEMBERSHIP_ROLES, required=True, default="other", tracking=True)
    role_sequence = fields.Integer(compute="_compute_role_sequence", store=True)
    start_date = fields.Date(default=fields.Date.context_today, tracking=True)
    end_date = fields.Date(tracking=True, help="Set when the person leaves the household.")
    is_current = fields.Boolean(compute="_compute_is_current", store=True, index=True)
    company_id = fields.Many2one(related="group_id.company_id", store=True)

    # Related for lists and eligibility aggregates
    birthdate = fields.Date(related="individual_id.birthdate")
    gender = fields.Selection(related="individual_id.gender")
    age = fields.Integer(related="individual_id.age")
    individual_state = fields.Selection(
        related="individual_id.registrant_state",
        string="Member Status",
        help="Registry status of the member: each member is approved on its own form.",
    )

    _one_current_head = models.UniqueIndex(
        "(group_id) WHERE role = 'head' AND is_current",
        "A household has only one current head.",
    )
    _one_current_membership = models.UniqueIndex(
        "(group_id, individual_id) WHERE is_current",
        "This person is already a current member of the household.",
    )
    _dates_ordered = models.Constraint(
        "CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)",
        "A membership cannot end before it starts.",
    )

    #: Who is in a household, in which role and until when: key data of both the household and
    #: the person, changed through a change request once either is approved.
    _g2p_key_fields = ("group_id", "individual_id", "role", "start_date", "end_date")

    @api.model_create_multi
    def create(self, vals_list):
        refuse_direct_change(
            self,
            self.env["res.partner"].browse(
                {v[f] for v in vals_list for f in ("group_id", "individual_id") if v.get(f)}
            ),
        )
        if any(vals.get("role") == "head" for vals in vals_list):
            self._flush_before_new_head()
        memberships = super().create(vals_list)
        # A member registered without an area lives where the household does (one write per area).
        people_by_area = defaultdict(lambda: self.env["res.partner"])
        for membership in memberships:
            if not membership.individual_id.area_id and membership.group_id.area_id:
                people_by_area[membership.group_id.area_id] |= membership.individual_id
        for area, people in people_by_area.items():
            people.write({"area_id": area.id})
        return memberships

    def _flush_before_new_head(self):
        """A head named in the same write as the previous head's demotion or departure (a form
        or a change request sends both at once): the demotion reaches the database first, as
        the unique index of current heads checks each row as it is written."""
        self.flush_model()

    def write(self, vals):
        if vals.get("role") == "head" or ("end_date" in vals and not vals["end_date"]):
            self._flush_before_new_head()
        if set(self._g2p_key_fields) & vals.keys():
            refuse_direct_change(
                self,
                self.group_id
                | self.individual_id
                | self.env["res.partner"].browse(
                    [vals[f] for f in ("group_id", "individual_id") if vals.get(f)]
                ),
            )
        return super().write(vals)

    def unlink(self):
        refuse_direct_change(self, self.group_id | self.individual_id)
        return super().unlink()

    def action_approve_member(self):
        """The Members tab's Approve button: approve the member (a registry validator's right,
        checked by the registrant's own approval)."""
        return self.individual_id.action_approve()

    @api.depends("role")
    def _compute_role_sequence(self):
        order = {role: i for i, (role, _label) in enumerate(MEMBERSHIP_ROLES)}
        for membership in self:
            membership.role_sequence = order.get(membership.role, len(order))

    @api.depends("end_date")
    def _compute_is_current(self):
        # An end date is a recorded departure, whether past or planned; "current" means not left.
        for membership in self:
            membership.is_current = not membership.end_date

    @api.constrains("group_id", "individual_id")
    def _check_parties(self):
        for membership in self:
            if not membership.group_id.is_group:
                raise ValidationError(_("%s is not a household.", membership.group_id.display_name))
            if membership.individual_id.is_group:
                raise ValidationError(
                    _(
                        "%s is a household; only individuals can be members.",
                        membership.individual_id.display_name,
                    )
                )
