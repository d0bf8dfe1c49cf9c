from odoo import _, fields, models


class G2pRegistrantDisableWizard(models.TransientModel):
    _name = "g2p.registrant.disable.wizard"
    _description = "Disable Registrants"

    partner_ids = fields.Many2many("res.partner", string="Registrants", required=True)
    reason = fields.Text(required=True, help="Kept on the registrant and in its history.")

    def action_disable(self):
        self.ensure_one()
        disabled = self.partner_ids._disable(self.reason)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Registrants disabled"),
                "message": _(
                    "%s registrants disabled: they can no longer be enrolled or paid.", len(disabled)
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
