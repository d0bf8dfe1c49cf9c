from odoo import fields, models


class G2pFhirExportFile(models.Model):
    """One NDJSON output file of a FHIR bulk export: the resources of one type of one chunk."""

    _name = "g2p.fhir.export.file"
    _description = "FHIR Bulk Export File"
    _order = "export_id, sequence"

    export_id = fields.Many2one("g2p.fhir.export", required=True, index=True, ondelete="cascade")
    resource_type = fields.Char(required=True)
    sequence = fields.Integer(required=True)
    count = fields.Integer(string="Resources", required=True)
    attachment_id = fields.Many2one("ir.attachment", required=True, ondelete="cascade")
    file_size = fields.Integer(related="attachment_id.file_size")
