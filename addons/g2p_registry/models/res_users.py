from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResUsers(models.Model):
    _inherit = "res.users"

    # Archived areas still limit: without active_test=False, archiving a user's only area would
    # read as "no areas", i.e. unrestricted.
    g2p_area_ids = fields.Many2many(
        "g2p.area",
        "g2p_area_res_users_rel",
        "user_id",
        "area_id",
        string="G2P Areas",
        context={"active_test": False},
        groups="g2p_registry.group_g2p_admin",
        help="Limit this user to the registrants of these areas and of the areas below them. "
        "Empty: every registrant of the user's companies (program managers, finance).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        if any(vals.get("g2p_area_ids") for vals in vals_list):
            self.env.registry.clear_cache()
        return users

    def write(self, vals):
        res = super().write(vals)
        if "g2p_area_ids" in vals:
            # The record rules are cached per user with the areas they were computed from.
            self.env.registry.clear_cache()
        return res

    def _g2p_limiting_areas(self):
        """The areas this user is limited to (empty: not limited)."""
        self.ensure_one()
        return self.sudo().g2p_area_ids

    def _g2p_check_areas(self, areas):
        """Refuse areas outside the ones this user is limited to (a record given such an area would
        vanish from its author's screens)."""
        self.ensure_one()
        limits = self._g2p_limiting_areas()
        if not limits:
            return
        Area = self.env["g2p.area"].sudo().with_context(active_test=False)
        allowed = Area.search([("id", "in", areas.ids), ("id", "child_of", limits.ids)])
        names = ", ".join(limits.mapped("complete_name"))
        if not areas:
            raise ValidationError(_("Give this registrant one of your areas: %s.", names))
        outside = areas - allowed
        if outside:
            raise ValidationError(
                _(
                    "%(area)s is outside your areas (%(areas)s): you can only register people in them.",
                    area=", ".join(outside.mapped("complete_name")),
                    areas=names,
                )
            )
