import phonenumbers

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class G2pPhoneNumber(models.Model):
    _name = "g2p.phone.number"
    _description = "Registrant Phone Number"
    _inherit = ["g2p.registrant.record.mixin"]
    _order = "is_primary desc, id"
    _g2p_key_fields = ("partner_id", "phone_number")
    _rec_name = "phone_number"

    phone_number = fields.Char(
        required=True,
        index=True,
        help="Stored in E.164 form (+254712345678). Numbers without a country prefix are read in "
        "the country given here, which defaults to the registrant's country, else the company's.",
    )
    country_id = fields.Many2one(
        "res.country",
        compute="_compute_country_id",
        store=True,
        readonly=False,
        precompute=True,
        help="The country a number without a country prefix is read in.",
    )
    is_primary = fields.Boolean(string="Primary")
    disabled = fields.Boolean(default=False, help="The number no longer reaches the registrant.")

    _partner_number_uniq = models.UniqueIndex(
        "(partner_id, phone_number)", "This phone number is already recorded for this registrant."
    )

    @api.depends("partner_id")
    def _compute_country_id(self):
        for phone in self:
            if not phone.country_id:
                phone.country_id = self._registrant_country(phone.partner_id)

    @api.model
    def _registrant_country(self, partner):
        """The country local numbers of ``partner`` are read in: its own, else its company's, else
        the current company's."""
        return partner.country_id or partner.company_id.country_id or self.env.company.country_id

    @api.model
    def _normalize(self, number, country=None, partner=None):
        """Return ``number`` in E.164, or raise a ValidationError that says why. A number without
        a country prefix is read in ``country``, else ``partner``'s country, else the company's."""
        country = country or self._registrant_country(partner or self.env["res.partner"])
        region = country.code if country else None
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException as e:
            raise ValidationError(
                _("'%(number)s' is not a phone number: %(error)s", number=number, error=e)
            ) from e
        if not phonenumbers.is_valid_number(parsed):
            raise ValidationError(
                _(
                    "'%(number)s' is not a valid phone number%(where)s. Write it with its country "
                    "prefix, e.g. +254712345678.",
                    number=number,
                    where=(
                        _(" for %s", country.name) if country and not number.strip().startswith("+") else ""
                    ),
                )
            )
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            if not vals.get("country_id"):
                country = self._registrant_country(Partner.browse(vals.get("partner_id")))
                if country:
                    vals["country_id"] = country.id
            country = self.env["res.country"].browse(vals.get("country_id"))
            if vals.get("phone_number"):
                vals["phone_number"] = self._normalize(vals["phone_number"], country)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("phone_number") or "country_id" in vals:
            for phone in self:
                country = (
                    self.env["res.country"].browse(vals["country_id"])
                    if vals.get("country_id")
                    else phone.country_id or self._registrant_country(phone.partner_id)
                )
                number = vals.get("phone_number") or phone.phone_number
                super(G2pPhoneNumber, phone).write({**vals, "phone_number": self._normalize(number, country)})
            return True
        return super().write(vals)
