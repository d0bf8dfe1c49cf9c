from odoo import _, models
from odoo.fields import Domain

#: How many claims an erasure refusal names before "…".
NAMED_CLAIMS = 3


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _g2p_erasure_blockers(self):
        """Claim history: a claim of the registrant (as member, cover holder or payee) that left
        draft (received, approved, rejected or paid) is a record of care and of money, kept."""
        blockers = super()._g2p_erasure_blockers()
        domain = Domain.AND(
            [
                Domain("member_id", "=", self.id)
                | Domain("holder_id", "=", self.id)
                | Domain("payee_id", "=", self.id),
                Domain("state", "!=", "draft"),
            ]
        )
        claims = self.env["g2p.insurance.claim"].sudo().search(domain, order="id")
        if claims:
            names = ", ".join(claims[:NAMED_CLAIMS].mapped("display_name"))
            if len(claims) > NAMED_CLAIMS:
                names += " …"
            blockers.append(_("%(count)s insurance claims (%(claims)s)", count=len(claims), claims=names))
        return blockers
