from odoo import _, models

#: How many journal entries an erasure refusal names before "…".
NAMED_ENTRIES = 3


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _g2p_erasure_blockers(self):
        """Financial records: posted journal items on the registrant (benefit payables,
        premiums, refunds…) are accounting records, kept by law."""
        blockers = super()._g2p_erasure_blockers()
        items = (
            self.env["account.move.line"]
            .sudo()
            .search([("partner_id", "=", self.id), ("parent_state", "=", "posted")], order="date, id")
        )
        if items:
            names = ", ".join(items.move_id[:NAMED_ENTRIES].mapped("name"))
            if len(items.move_id) > NAMED_ENTRIES:
                names += " …"
            blockers.append(
                _("%(count)s posted journal items (%(entries)s)", count=len(items), entries=names)
            )
        return blockers
