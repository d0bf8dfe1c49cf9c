from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools.safe_eval import datetime, dateutil, safe_eval


def parse_domain(env, text, label):
    """Parse a domain typed in the domain editor into a ``Domain`` over res.partner, validated
    against the model's fields. Never SQL: only field conditions reach the query builder."""
    try:
        value = safe_eval(
            text or "[]",
            {
                "context_today": lambda: fields.Date.context_today(env["res.partner"]),
                "datetime": datetime,
                "relativedelta": dateutil.relativedelta.relativedelta,
            },
        )
        domain = Domain(value)
        domain.validate(env["res.partner"])
    except (ValueError, TypeError, SyntaxError, NameError, KeyError, UserError) as e:
        raise ValidationError(
            _("The condition of %(label)s is not valid: %(error)s", label=label, error=e)
        ) from e
    return domain


class G2pProgramEligibilityRule(models.Model):
    """One eligibility condition of a program, written with the domain editor over registrants
    (households or individuals, with household aggregates such as the number of children)."""

    _name = "g2p.program.eligibility.rule"
    _description = "Program Eligibility Rule"
    _order = "program_id, sequence, id"

    program_id = fields.Many2one("g2p.program", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(
        required=True, help="Short description shown in the program, e.g. 'Has a child under 5'."
    )
    rule_type = fields.Selection(
        [("include", "Inclusion"), ("exclude", "Exclusion")],
        string="Type",
        default="include",
        required=True,
        help="Inclusion rules select registrants (combined with AND or OR on the program); "
        "exclusion rules remove registrants matching them.",
    )
    domain = fields.Char(
        string="Condition",
        default="[]",
        required=True,
        help="Condition over registrants built with the domain editor. Household aggregates: "
        "Children (under 18), Children under 5, Elderly Members (60+), Members with a Disability, "
        "Female Members, Household Size.",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)

    @api.constrains("domain")
    def _check_domain(self):
        for rule in self:
            rule._get_domain()

    def _get_domain(self):
        self.ensure_one()
        return parse_domain(self.env, self.domain, _("rule '%s'", self.name))
