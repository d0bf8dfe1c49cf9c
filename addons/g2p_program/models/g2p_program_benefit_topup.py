from odoo import _, api, fields, models

from .g2p_program_eligibility_rule import parse_domain


class G2pProgramBenefitTopup(models.Model):
    """A conditional addition to the benefit: an amount per matching household member (e.g. per
    child under 5, capped at a number of members) or once per beneficiary matching a condition."""

    _name = "g2p.program.benefit.topup"
    _description = "Program Benefit Top-up"
    _order = "program_id, sequence, id"

    program_id = fields.Many2one("g2p.program", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, help="e.g. 'Per child under 5'.")
    applies_to = fields.Selection(
        [("member", "Per matching member"), ("beneficiary", "Once per beneficiary")],
        default="member",
        required=True,
        help="Per matching member: the amount is added for each current household member matching "
        "the condition (an individual beneficiary is its own only member). Once per beneficiary: "
        "added once when the beneficiary itself matches.",
    )
    domain = fields.Char(
        string="Condition",
        default="[]",
        required=True,
        help="Condition over the member (per member) or the beneficiary (once), built with the domain "
        "editor.",
    )
    amount = fields.Monetary(required=True)
    max_count = fields.Integer(
        string="Maximum Members", help="Per-member top-ups only: members counted at most. 0: no cap."
    )
    currency_id = fields.Many2one(related="program_id.currency_id")
    company_id = fields.Many2one(related="program_id.company_id", store=True)

    _amount_positive = models.Constraint(
        "CHECK (amount >= 0 AND COALESCE(max_count, 0) >= 0)",
        "A top-up amount and its member cap cannot be negative.",
    )

    @api.constrains("domain")
    def _check_domain(self):
        for topup in self:
            topup._get_domain()

    def _get_domain(self):
        self.ensure_one()
        return parse_domain(self.env, self.domain, _("top-up '%s'", self.name))
