from odoo import fields, models

ORGANIZATION_TYPES = [
    ("prov", "Healthcare Provider"),
    ("bus", "Business (Employer, Policy Holder)"),
    ("other", "Other"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    g2p_fhir_organization_type = fields.Selection(
        ORGANIZATION_TYPES,
        string="Organization Type (FHIR)",
        help="How this company appears as a FHIR Organization: a hospital or clinic (prov) or a business "
        "such as an employer paying premiums (bus). PSPs and the companies of this database are typed "
        "by themselves.",
    )

    # _lastUpdated searches and sorts (and incremental exports) over a registry of a million people.
    _g2p_fhir_write_date_idx = models.Index("(write_date, id)")
