from odoo import _, models
from odoo.exceptions import UserError
from odoo.fields import Domain

#: How many cycles an erasure refusal names before "…".
NAMED_CYCLES = 3


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _g2p_payroll_lines_domain(self):
        return Domain("beneficiary_id", "=", self.id) | Domain("recipient_id", "=", self.id)

    def _g2p_erasure_blockers(self):
        """Payment history: a payroll line of the registrant (as beneficiary or as the household's
        recipient) in a payroll that left draft (to approve, approved, in payment, reconciled,
        closed, or cancelled after that), or a line that left pending. Only lines of a draft
        payroll, still pending, are not history: they are regenerated and are removed by the
        erasure."""
        blockers = super()._g2p_erasure_blockers()
        history = Domain.AND(
            [
                self._g2p_payroll_lines_domain(),
                Domain("payroll_id.state", "!=", "draft") | Domain("state", "!=", "pending"),
            ]
        )
        by_cycle = self.env["g2p.payroll.line"].sudo()._read_group(history, ["cycle_id"], ["__count"])
        count = sum(n for _cycle, n in by_cycle)
        if count:
            by_cycle.sort(key=lambda row: row[0].id)
            cycles = ", ".join("%s: %s" % (cycle.display_name, n) for cycle, n in by_cycle[:NAMED_CYCLES])
            if len(by_cycle) > NAMED_CYCLES:
                cycles += " …"
            blockers.append(_("%(count)s payments (%(cycles)s)", count=count, cycles=cycles))
        return blockers

    def _g2p_erase_more(self, values, erased):
        """The registrant's pending lines of draft payrolls go (the payroll no longer pays it);
        so do the skipped-beneficiary rows naming it."""
        super()._g2p_erase_more(values, erased)
        lines = self.env["g2p.payroll.line"].sudo().search(self._g2p_payroll_lines_domain())
        if lines.filtered(lambda line: line.payroll_id.state != "draft" or line.state != "pending"):
            raise UserError(_("A registrant with payment history is not erased."))
        erased[_("draft payroll lines")] = len(lines)
        lines.unlink()
        skipped = self.env["g2p.payroll.skipped"].sudo().search([("partner_id", "=", self.id)])
        erased[_("skipped payroll rows")] = len(skipped)
        skipped.unlink()
