from odoo import fields, models


class G2pRegistrantAccessLog(models.Model):
    _inherit = "g2p.registrant.access.log"

    channel = fields.Selection(
        selection_add=[
            ("fhir_read", "FHIR Read"),
            ("fhir_search", "FHIR Search"),
            ("fhir_export", "FHIR Bulk Export"),
        ],
        ondelete={"fhir_read": "cascade", "fhir_search": "cascade", "fhir_export": "cascade"},
    )
