from odoo import fields, models


class G2pRegistrantDisableWizard(models.TransientModel):
    _name = "g2p.registrant.disable.wizard"
    _description = "Disable Registrants"

    partner_ids = fields.Many2many("res.partner", string="Registrants", required=True)
    reason = fields.Text(required=True, help="Kept on the registrant and in its history.")

    def action_disable(self):
        self.partner_ids.action_disable(self.reason)
        return {"type": "ir.actions.act_window_close"}
