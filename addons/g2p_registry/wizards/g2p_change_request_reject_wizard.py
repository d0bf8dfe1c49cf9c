from odoo import _, fields, models

from ..tools.notify import notification


class G2pChangeRequestRejectWizard(models.TransientModel):
    _name = "g2p.change.request.reject.wizard"
    _description = "Reject Change Requests"

    request_ids = fields.Many2many("g2p.change.request", string="Change Requests", required=True)
    reason = fields.Text(
        required=True, help="Kept on the request and in the registrant's history; the proposer reads it."
    )

    def action_reject(self):
        self.ensure_one()
        rejected = self.request_ids._reject(self.reason)
        return notification(
            _("Rejected"),
            _("%s change requests rejected: the registrants keep their data.", len(rejected)),
            next_action={"type": "ir.actions.act_window_close"},
        )
