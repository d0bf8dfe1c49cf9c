import base64

from odoo import _, fields, models
from odoo.exceptions import UserError


class G2pIntakeOdkImport(models.TransientModel):
    """Upload the CSV export zip downloaded from ODK Central (an offline site) into an ODK source."""

    _name = "g2p.intake.odk.import"
    _description = "Import an ODK Central CSV Export"

    odk_source_id = fields.Many2one(
        "g2p.intake.odk.source", string="ODK Source", required=True, ondelete="cascade"
    )
    odk_form_id = fields.Char(related="odk_source_id.odk_form_id")
    export_file = fields.Binary(
        string="Export (.zip)",
        required=True,
        help="In Central: the form's Submissions tab, Download, 'All data and not deleted' as a .zip "
        "(with media files, with group names). The zip holds <form>.csv and one CSV per repeat.",
    )
    export_filename = fields.Char(string="File Name")

    def action_import(self):
        self.ensure_one()
        if not self.export_file:
            raise UserError(_("Choose the .zip downloaded from ODK Central first."))
        source = self.odk_source_id
        stats = source._odk_import_export(base64.b64decode(self.export_file))
        return source._odk_import_done(stats, self.export_filename or _("(uploaded)"))
