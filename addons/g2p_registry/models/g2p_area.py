from odoo import _, api, fields, models

AREA_LEVELS = [
    ("region", "Region"),
    ("county", "County"),
    ("sub_county", "Sub-county"),
    ("ward", "Ward"),
    ("village", "Village"),
]


class G2pArea(models.Model):
    """An administrative area (region → county → sub-county → ward). Registrants and pay points
    belong to one; registrars limited to areas see the registrants of those areas and of every
    area below them (record rules over ``parent_path``).

    Areas are the country's geography, shared by every company of the database: the code is
    unique across the whole database, so an import or an intake can find an area (and a parent)
    by its code alone."""

    _name = "g2p.area"
    _description = "Administrative Area"
    _parent_store = True
    _rec_name = "complete_name"
    _rec_names_search = ["complete_name", "code"]
    _order = "complete_name"

    name = fields.Char(required=True, translate=False)
    code = fields.Char(
        required=True,
        help="Official code of the area (e.g. the national statistics office's county code). "
        "Unique in the database; imports find parents by it.",
    )
    level = fields.Selection(AREA_LEVELS, required=True, default="county", index=True)
    parent_id = fields.Many2one("g2p.area", string="Parent Area", index=True, ondelete="restrict")
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("g2p.area", "parent_id", string="Sub-areas")
    complete_name = fields.Char(
        string="Full Name", compute="_compute_complete_name", recursive=True, store=True
    )
    active = fields.Boolean(default=True)
    household_count = fields.Integer(compute="_compute_registrant_counts", string="Households")
    individual_count = fields.Integer(compute="_compute_registrant_counts", string="Individuals")

    _code_uniq = models.Constraint("UNIQUE (code)", "An area with this code already exists.")

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for area in self:
            if area.parent_id:
                area.complete_name = "%s / %s" % (area.parent_id.complete_name, area.name)
            else:
                area.complete_name = area.name

    def _compute_registrant_counts(self):
        """Registrants of each area and of the areas below it, as the user sees them: one grouped
        count for all the areas shown."""
        counts = {}
        if self.ids:
            groups = self.env["res.partner"]._read_group(
                [("is_registrant", "=", True), ("area_id", "child_of", self.ids)],
                ["area_id", "is_group"],
                ["__count"],
            )
            for area, is_group, count in groups:
                counts[(area.parent_path, is_group)] = count
        for area in self:
            prefix = area.parent_path or ""
            totals = {True: 0, False: 0}
            if prefix:
                for (path, is_group), count in counts.items():
                    if path.startswith(prefix):
                        totals[is_group] += count
            area.household_count = totals[True]
            area.individual_count = totals[False]

    def write(self, vals):
        res = super().write(vals)
        if {"parent_id", "active"} & vals.keys():
            # Area-limited users' record rules hold the parent path of their areas.
            self.env.registry.clear_cache()
        return res

    def _action_registrants(self, is_group):
        self.ensure_one()
        xmlid = "g2p_registry.action_households" if is_group else "g2p_registry.action_individuals"
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [
            ("is_registrant", "=", True),
            ("is_group", "=", is_group),
            ("area_id", "child_of", self.id),
        ]
        action["display_name"] = _("%(kind)s in %(area)s", kind=action["name"], area=self.complete_name)
        return action

    def action_open_households(self):
        return self._action_registrants(True)

    def action_open_individuals(self):
        return self._action_registrants(False)
