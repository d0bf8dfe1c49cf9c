from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..const import VERIFICATION_STATES
from odoo.addons.g2p_registry.tools.notify import notification

#: How a registrant's IDs sum up: the first of these states any of them is in.
STATE_RANK = ["verified", "mismatch", "not_found", "error", "unverified"]


class ResPartner(models.Model):
    _inherit = "res.partner"

    id_verification_state = fields.Selection(
        VERIFICATION_STATES,
        string="ID Verification",
        compute="_compute_id_verification_state",
        search="_search_id_verification_state",
        help="Verified when one of the registrant's IDs is verified by the civil registry; otherwise "
        "the most telling outcome among them (mismatch, not found, error).",
    )

    def _compute_id_verification_state(self):
        for partner in self:
            states = set(partner.reg_id_ids.mapped("verification_state"))
            partner.id_verification_state = next((s for s in STATE_RANK if s in states), "unverified")

    def _search_id_verification_state(self, operator, value):
        """The registrants whose summary is ``value``: an ID in that state and none in a state
        that ranks before it (unverified: no ID in any other state, or no ID at all)."""
        if operator not in ("=", "in"):
            return NotImplemented
        values = [value] if operator == "=" else list(value)
        domains = []
        for state in values:
            better = STATE_RANK[: STATE_RANK.index(state)]
            domain = [("reg_id_ids.verification_state", "=", state)] if state != "unverified" else []
            if better:
                domain = domain + ["!", ("reg_id_ids.verification_state", "in", better)]
            domains.append(Domain(domain or [(1, "=", 1)]))
        return Domain.OR(domains)

    def action_verify_ids(self):
        """From the registrant list: verify the selected registrants' IDs in background jobs."""
        services = self.reg_id_ids._services()
        reg_ids = self.reg_id_ids.filtered(lambda r: services[r])
        if not reg_ids:
            raise UserError(_("None of these registrants has an ID that a civil registry service verifies."))
        reg_ids.check_access("write")
        jobs = reg_ids._enqueue_verification()
        message = _(
            "%(ids)s IDs of %(people)s registrants are being verified in %(jobs)s background jobs; "
            "each ID shows its outcome when done.",
            ids=len(reg_ids),
            people=len(reg_ids.partner_id),
            jobs=jobs,
        )
        return notification(_("Verification started"), message, "info")
