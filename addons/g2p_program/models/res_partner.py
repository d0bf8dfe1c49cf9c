from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

# Household aggregates offered to eligibility rules and top-ups: (field, description, SQL filter on
# the member row ``i``). The filter receives today's date; ages are computed from birthdates in SQL.
CHILD_AGE = 18
YOUNG_CHILD_AGE = 5
ELDERLY_AGE = 60

OPERATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _born_after(today, years):
    """A person is younger than ``years`` today iff born after this date."""
    return today - relativedelta(years=years)


class ResPartner(models.Model):
    """Household aggregates for eligibility rules. They are not stored: their search methods
    translate a condition into one grouped subquery over current household memberships, so a
    rule such as ``g2p_child_under_5_count >= 1`` runs as set-based SQL over any number of
    households."""

    _inherit = "res.partner"

    g2p_child_count = fields.Integer(
        string="Children (under 18)",
        compute="_compute_g2p_household_aggregates",
        search="_search_g2p_child_count",
        help="Current household members younger than 18.",
    )
    g2p_child_under_5_count = fields.Integer(
        string="Children under 5",
        compute="_compute_g2p_household_aggregates",
        search="_search_g2p_child_under_5_count",
        help="Current household members younger than 5.",
    )
    g2p_elderly_count = fields.Integer(
        string="Elderly Members (60+)",
        compute="_compute_g2p_household_aggregates",
        search="_search_g2p_elderly_count",
        help="Current household members aged 60 or more.",
    )
    g2p_disabled_member_count = fields.Integer(
        string="Members with a Disability",
        compute="_compute_g2p_household_aggregates",
        search="_search_g2p_disabled_member_count",
        help="Current household members recorded with a disability.",
    )
    g2p_female_member_count = fields.Integer(
        string="Female Members",
        compute="_compute_g2p_household_aggregates",
        search="_search_g2p_female_member_count",
        help="Current household members recorded as female.",
    )
    g2p_program_membership_ids = fields.One2many(
        "g2p.program.membership", "partner_id", string="Program Memberships"
    )

    # ------------------------------------------------------------------ aggregate SQL

    @api.model
    def _g2p_aggregate_filters(self):
        """Member filters of each aggregate, as SQL over the individual's row aliased ``i``."""
        today = fields.Date.context_today(self)
        return {
            "g2p_child_count": SQL("i.birthdate > %s", _born_after(today, CHILD_AGE)),
            "g2p_child_under_5_count": SQL("i.birthdate > %s", _born_after(today, YOUNG_CHILD_AGE)),
            "g2p_elderly_count": SQL("i.birthdate <= %s", _born_after(today, ELDERLY_AGE)),
            "g2p_disabled_member_count": SQL("i.disability IS TRUE"),
            "g2p_female_member_count": SQL("i.gender = 'female'"),
        }

    @api.model
    def _g2p_aggregate_counts_sql(self, fname):
        """SQL selecting (group_id, n) for households with at least one matching current member."""
        return SQL(
            """SELECT m.group_id, count(*) AS n
                 FROM g2p_group_membership m
                 JOIN res_partner i ON i.id = m.individual_id
                WHERE m.is_current IS TRUE AND %s
             GROUP BY m.group_id""",
            self._g2p_aggregate_filters()[fname],
        )

    def _compute_g2p_household_aggregates(self):
        fnames = list(self._g2p_aggregate_filters())
        counts = {fname: {} for fname in fnames}
        groups = self.filtered(lambda p: p.is_group and p.id)
        if groups:
            self.env["g2p.group.membership"].flush_model(["group_id", "individual_id", "is_current"])
            self.flush_model(["birthdate", "disability", "gender"])
            for fname in fnames:
                rows = self.env.execute_query(
                    SQL(
                        "SELECT group_id, n FROM (%s) c WHERE c.group_id IN %s",
                        self._g2p_aggregate_counts_sql(fname),
                        tuple(groups.ids),
                    )
                )
                counts[fname] = dict(rows)
        for partner in self:
            for fname in fnames:
                partner[fname] = counts[fname].get(partner.id, 0)

    def _g2p_search_aggregate(self, fname, operator, value):
        if operator not in OPERATORS or isinstance(value, bool) or not isinstance(value, int):
            return NotImplemented
        self.env["g2p.group.membership"].flush_model(["group_id", "individual_id", "is_current"])
        self.flush_model(["birthdate", "disability", "gender"])
        counts = self._g2p_aggregate_counts_sql(fname)
        matches = OPERATORS[operator]
        if matches(0, value):
            # Households without any matching member satisfy the condition: keep every household
            # except those whose (non-zero) count fails it.
            failing = SQL("SELECT group_id FROM (%s) c WHERE NOT (c.n %s %s)", counts, SQL(operator), value)
            return [("is_group", "=", True), ("id", "not any!", failing)]
        passing = SQL("SELECT group_id FROM (%s) c WHERE c.n %s %s", counts, SQL(operator), value)
        return [("id", "any!", passing)]

    def _search_g2p_child_count(self, operator, value):
        return self._g2p_search_aggregate("g2p_child_count", operator, value)

    def _search_g2p_child_under_5_count(self, operator, value):
        return self._g2p_search_aggregate("g2p_child_under_5_count", operator, value)

    def _search_g2p_elderly_count(self, operator, value):
        return self._g2p_search_aggregate("g2p_elderly_count", operator, value)

    def _search_g2p_disabled_member_count(self, operator, value):
        return self._g2p_search_aggregate("g2p_disabled_member_count", operator, value)

    def _search_g2p_female_member_count(self, operator, value):
        return self._g2p_search_aggregate("g2p_female_member_count", operator, value)

    def _merge_move_more(self, kept, moved):
        """A merged duplicate's program memberships go to the registrant kept; where the kept one
        is already a member, the duplicate's membership becomes *Duplicate* (it stays, with
        whatever was paid through it)."""
        super()._merge_move_more(kept, moved)
        Membership = self.env["g2p.program.membership"].sudo()
        mine = Membership.search([("partner_id", "=", self.id)])
        theirs = Membership.search([("partner_id", "=", kept.id)]).program_id
        both = mine.filtered(lambda m: m.program_id in theirs)
        both.write({"state": "duplicate", "state_reason": _("Merged into %s", kept.name)})
        (mine - both).write({"partner_id": kept.id})
        moved[_("program memberships")] = len(mine - both)
