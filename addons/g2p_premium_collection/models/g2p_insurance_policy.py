from odoo import _, api, fields, models
from odoo.exceptions import UserError


class G2PInsurancePolicy(models.Model):
    _inherit = "g2p.insurance.policy"

    collection_ids = fields.One2many(
        "g2p.payment.collection", "policy_id", string="Collections", readonly=True
    )
    collection_count = fields.Integer(compute="_compute_collection_count")
    collection_pending = fields.Boolean(
        compute="_compute_collection_count", help="A request to pay is waiting for the payer's answer."
    )

    @api.depends("collection_ids.state")
    def _compute_collection_count(self):
        for policy in self:
            collections = policy.sudo().collection_ids
            policy.collection_count = len(collections)
            policy.collection_pending = any(c.state == "requested" for c in collections)

    def action_open_collect_wizard(self):
        self._check_finance()
        self.ensure_one()
        if self.state not in ("active", "suspended") or self.currency_id.is_zero(self.premium_residual):
            raise UserError(_("Only the premium still due on an active or suspended cover can be collected."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Collect by Mobile Money"),
            "res_model": "g2p.insurance.collect.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_policy_id": self.id},
        }

    def action_view_collections(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Collections of %s", self.name),
            "res_model": "g2p.payment.collection",
            "view_mode": "list,form",
            "domain": [("policy_id", "=", self.id)],
            "context": {"create": False},
        }
