from odoo import _, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    intake_record_count = fields.Integer(
        compute="_compute_intake_record_count", groups="g2p_registry.group_g2p_registrar"
    )

    def _intake_record_domain(self):
        return ["|", ("household_id", "in", self.ids), ("individual_ids", "in", self.ids)]

    def _compute_intake_record_count(self):
        Record = self.env["g2p.intake.record"]
        for partner in self:
            partner.intake_record_count = (
                Record.search_count(partner._intake_record_domain())
                if partner.is_registrant and partner.id
                else 0
            )

    def action_open_intake_records(self):
        self.ensure_one()
        records = self.env["g2p.intake.record"].search(self._intake_record_domain())
        action = {
            "type": "ir.actions.act_window",
            "name": _("Intake Records"),
            "res_model": "g2p.intake.record",
            "view_mode": "list,form",
            "domain": [("id", "in", records.ids)],
        }
        if len(records) == 1:
            action.update(view_mode="form", res_id=records.id)
        return action
