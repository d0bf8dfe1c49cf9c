from odoo import fields, models


class G2pIntakeSource(models.Model):
    _inherit = "g2p.intake.source"

    code = fields.Selection(selection_add=[("odk", "ODK Central")], ondelete={"odk": "cascade"})
    odk_source_ids = fields.One2many("g2p.intake.odk.source", "source_id")

    def action_open_odk_source(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "g2p.intake.odk.source",
            "view_mode": "form",
            "res_id": self.odk_source_ids[:1].id,
        }

    def _intake_normalise(self, record):
        if self.code != "odk":
            return super()._intake_normalise(record)
        # The mapping is configuration: registrars re-process without reading the source's settings.
        return self.sudo().odk_source_ids[:1]._odk_normalise(record)
