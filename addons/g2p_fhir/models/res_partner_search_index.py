from odoo import models


def _trigram(column):
    """A GIN trigram index on a registrant name column, for the FHIR ``name`` / ``family`` /
    ``given`` searches (``ILIKE 'value%'``): without it, a name few people have is a scan of the
    whole registry (0.8 s with 1,000,000 people). Only where pg_trgm is available."""

    def definition(registry):
        if not registry.has_trigram:
            return ""
        return "USING gin (%s gin_trgm_ops) WHERE is_registrant IS TRUE" % column

    return models.Index(definition)


class ResPartner(models.Model):
    _inherit = "res.partner"

    _g2p_fhir_name_trgm = _trigram("name")
    _g2p_fhir_given_name_trgm = _trigram("given_name")
    _g2p_fhir_family_name_trgm = _trigram("family_name")
    _g2p_fhir_addl_name_trgm = _trigram("addl_name")
