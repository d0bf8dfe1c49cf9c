from odoo import fields, models


class G2pIntakeSource(models.Model):
    _inherit = "g2p.intake.source"

    # File rows are staged already in the intake's normalised household shape (one record per
    # household of a file), so the base ``_intake_normalise`` reads them: no override needed.
    code = fields.Selection(selection_add=[("file", "CSV / XLSX files")], ondelete={"file": "cascade"})
