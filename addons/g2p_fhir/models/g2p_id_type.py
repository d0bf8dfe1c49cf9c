from odoo import api, fields, models

TYPE_MAPS_KEY = "g2p_fhir.id_type_maps"
OPENIMIS_IDENTIFIERS = "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/openimis-identifiers"


class G2pIdType(models.Model):
    """Each ID type is a FHIR identifier system: a URI of its own (configurable, by default
    ``<web.base.url>/fhir/id-type/<code>``) and, for openIMIS, the code of its identifier type."""

    _inherit = "g2p.id.type"

    fhir_system = fields.Char(
        string="FHIR Identifier System",
        help="The URI of this ID type in FHIR identifiers (Patient.identifier.system). Leave empty for "
        "<web.base.url>/fhir/id-type/<code>; set it to the system your partners use, e.g. "
        "http://example.gov/national-id.",
    )
    fhir_openimis_code = fields.Char(
        string="openIMIS Identifier Code",
        help="The code of this ID type in openIMIS's identifier types (" + OPENIMIS_IDENTIFIERS + "), e.g. "
        "Code for the insurance number or PPN for a passport. Identifiers typed with it are read as this "
        "ID type on import.",
    )

    _fhir_system_uniq = models.UniqueIndex(
        "(fhir_system) WHERE fhir_system IS NOT NULL",
        "Another ID type already has this FHIR identifier system.",
    )

    @api.model
    def _fhir_base_system(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        return base.rstrip("/") + "/fhir"

    def _fhir_system_uri(self, base=None):
        self.ensure_one()
        return self.fhir_system or "%s/id-type/%s" % (base or self._fhir_base_system(), self.code)

    @api.model
    def _fhir_type_maps(self):
        """({system URI: id type}, {openIMIS code (lower case): id type}) over the active ID types
        (a small table, read once per transaction: a Bundle of 1,000 Patients asks 1,000 times)."""
        cached = self.env.cr.cache.get(TYPE_MAPS_KEY)
        if cached is None:
            base = self._fhir_base_system()
            id_types = self.sudo().search([])  # configuration, not registrant data
            by_system = {t._fhir_system_uri(base): t.id for t in id_types}
            by_openimis = {}
            for id_type in id_types:
                by_openimis.setdefault((id_type.fhir_openimis_code or "").lower(), id_type.id)
            for id_type in id_types:
                by_openimis.setdefault(id_type.code.lower(), id_type.id)
            by_openimis.pop("", None)
            cached = self.env.cr.cache[TYPE_MAPS_KEY] = (by_system, by_openimis)
        IdType = self.sudo()
        return tuple({key: IdType.browse(type_id) for key, type_id in mapping.items()} for mapping in cached)

    @api.model_create_multi
    def create(self, vals_list):
        self.env.cr.cache.pop(TYPE_MAPS_KEY, None)
        return super().create(vals_list)

    def write(self, vals):
        self.env.cr.cache.pop(TYPE_MAPS_KEY, None)
        return super().write(vals)
