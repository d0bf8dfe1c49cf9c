from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.g2p_intake.models.g2p_intake_service import PROTECTED_FIELDS

TARGETS = [
    ("field", "Registrant field"),
    ("phone", "Phone number"),
    ("id_type", "ID type"),
    ("id_number", "ID number"),
    ("role", "Role in the household"),
    ("location", "Coordinates (geopoint)"),
    ("attachment", "File (photo, scan)"),
    ("wallet", "Mobile money wallet number"),
]


class G2pIntakeOdkMapping(models.Model):
    """One line of an ODK source's declarative mapping: a form field → what it becomes."""

    _name = "g2p.intake.odk.mapping"
    _description = "ODK Field Mapping"
    _order = "scope, sequence, id"

    odk_source_id = fields.Many2one("g2p.intake.odk.source", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    scope = fields.Selection(
        [("household", "Household"), ("member", "Each member")],
        required=True,
        default="household",
        help="Household: the path is read from the submission. Each member: it is read from each entry "
        "of the members repeat.",
    )
    form_path = fields.Char(
        required=True,
        help="Path of the field in the form, groups separated by '/': household/phone for the household, "
        "given_name inside the members repeat.",
    )
    target = fields.Selection(TARGETS, required=True, default="field")
    field_name = fields.Char(
        string="Registrant Field",
        help="Technical name of the registrant field, e.g. given_name, family_name, birthdate, gender, city.",
    )
    value_map = fields.Text(
        help="For choice lists: one 'form value = registry value' per line, e.g. 'female = female' or "
        "'national_id = NATIONAL_ID'. An empty right side means 'no value'. When set, a value not listed "
        "makes the submission an error.",
    )
    wallet_provider_id = fields.Many2one(
        "res.partner",
        string="Wallet Provider",
        domain=[("is_psp", "=", True)],
        help="The payment service provider of the wallet numbers of this field.",
    )
    required = fields.Boolean(help="A submission without a value here becomes an error.")

    @api.constrains("target", "field_name", "wallet_provider_id", "value_map")
    def _check_target(self):
        Partner = self.env["res.partner"]
        for line in self:
            if line.target == "field":
                if not line.field_name or line.field_name not in Partner._fields:
                    raise ValidationError(
                        _(
                            "'%(field)s' is not a registrant field (mapping of %(path)s).",
                            field=line.field_name,
                            path=line.form_path,
                        )
                    )
                if line.field_name in PROTECTED_FIELDS:
                    raise ValidationError(_("'%s' cannot be set by a source.", line.field_name))
            if line.target == "wallet" and not line.wallet_provider_id:
                raise ValidationError(_("Choose the wallet provider of %s.", line.form_path))
            line._value_map()  # raises on a malformed line

    def _value_map(self):
        """{form value: registry value or None}, or None when no map is set."""
        self.ensure_one()
        if not (self.value_map or "").strip():
            return None
        result = {}
        for number, text in enumerate(self.value_map.splitlines(), 1):
            if not text.strip():
                continue
            if "=" not in text:
                raise ValidationError(
                    _(
                        "Line %(number)s of the value map of %(path)s must be 'form value = registry value'.",
                        number=number,
                        path=self.form_path,
                    )
                )
            left, right = text.split("=", 1)
            result[left.strip()] = right.strip() or None
        return result
