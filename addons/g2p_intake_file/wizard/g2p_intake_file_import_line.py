from odoo import fields, models


class G2pIntakeFileImportLine(models.TransientModel):
    """One problem the dry run found in a file: the row and column it is about, and why."""

    _name = "g2p.intake.file.import.line"
    _description = "Registry Intake: File Import Error"
    _order = "row, id"

    wizard_id = fields.Many2one("g2p.intake.file.import", required=True, ondelete="cascade")
    row = fields.Integer(help="Row number in the file (the header is row 1; 0: the file as a whole).")
    column = fields.Char()
    household_key = fields.Char()
    message = fields.Char(string="Problem")
