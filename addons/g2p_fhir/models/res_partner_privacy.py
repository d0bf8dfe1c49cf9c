from odoo import _, models

API_GROUP = "g2p_fhir.group_g2p_api_integration"


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _g2p_creation_channel(self):
        """A registrant created by an API integration user came through the FHIR API (the only
        write API of the registry for such users)."""
        creator = self.sudo().create_uid
        if creator and creator.has_group(API_GROUP):
            return _("FHIR API (a Patient or Group created by %s)", creator.name)
        return super()._g2p_creation_channel()
