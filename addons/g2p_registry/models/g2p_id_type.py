import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class G2pIdType(models.Model):
    _name = "g2p.id.type"
    _description = "Identity Document Type"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Short stable code, e.g. NATIONAL_ID, PASSPORT.")
    sequence = fields.Integer(default=10)
    validation_regex = fields.Char(
        string="Validation Pattern",
        help="Regular expression the whole number must match, e.g. ^[0-9]{9}$ for nine digits. "
        "Leave empty to accept any value.",
    )
    validation_hint = fields.Char(
        translate=True, help="Shown when a number does not match, e.g. 'nine digits'."
    )
    applies_to = fields.Selection(
        [("individual", "Individuals"), ("group", "Households"), ("both", "Both")],
        default="individual",
        required=True,
    )
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)

    _code_uniq = models.Constraint("UNIQUE (code)", "An ID type with this code already exists.")

    @api.constrains("validation_regex")
    def _check_validation_regex(self):
        for id_type in self.filtered("validation_regex"):
            try:
                re.compile(id_type.validation_regex)
            except re.error as e:
                raise ValidationError(
                    _(
                        "The validation pattern of %(type)s is not a valid regular expression: %(error)s",
                        type=id_type.name,
                        error=e,
                    )
                ) from e

    def _validate_value(self, value):
        """Raise a clear error when ``value`` does not fit this type's pattern."""
        self.ensure_one()
        if self.validation_regex and not re.fullmatch(self.validation_regex, value or ""):
            raise ValidationError(
                _(
                    "'%(value)s' is not a valid %(type)s%(hint)s.",
                    value=value,
                    type=self.name,
                    hint=(" (%s)" % self.validation_hint) if self.validation_hint else "",
                )
            )
