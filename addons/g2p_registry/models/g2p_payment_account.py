import re

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError

from .g2p_payment_mechanism import ACCOUNT_TYPES

# python-stdnum's IBAN module reads a data file through importlib.resources, which Odoo's import
# hook breaks inside the server; these checks are small enough to keep here.
BIC_PATTERN = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
IBAN_PATTERN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def compact_iban(value):
    """Return the IBAN without spaces in capitals, or raise ValueError saying what is wrong."""
    iban = "".join(value.split()).upper()
    if not IBAN_PATTERN.match(iban):
        raise ValueError("it must be a country code, two check digits and 11 to 30 letters or digits")
    rearranged = iban[4:] + iban[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        raise ValueError("its check digits do not match")
    return iban


def compact_bic(value):
    bic = "".join(value.split()).upper()
    if not BIC_PATTERN.match(bic):
        raise ValueError("it must be 8 or 11 letters and digits (bank, country, location, branch)")
    return bic


class G2pPaymentAccount(models.Model):
    """Where a registrant is paid: a bank account, a mobile-money wallet or a cash pay point,
    always held with a registered PSP."""

    _name = "g2p.payment.account"
    _description = "Registrant Payment Account"
    _inherit = ["g2p.registrant.record.mixin", "mail.thread"]
    _order = "partner_id, is_default desc, id"
    _g2p_key_fields = (
        "partner_id",
        "account_type",
        "provider_id",
        "iban",
        "bic",
        "account_number",
        "msisdn",
        "pay_point_id",
        "holder_name",
        "is_default",
        "active",
    )

    account_type = fields.Selection(ACCOUNT_TYPES, required=True, default="mobile_wallet", tracking=True)
    provider_id = fields.Many2one(
        "res.partner",
        string="Payment Service Provider",
        required=True,
        ondelete="restrict",
        index=True,  # deleting a partner checks it
        domain=[("is_psp", "=", True)],
        tracking=True,
    )
    iban = fields.Char(string="IBAN", tracking=True)
    bic = fields.Char(string="BIC", tracking=True)
    account_number = fields.Char(tracking=True, help="Bank account number when the bank has no IBAN.")
    msisdn = fields.Char(string="Wallet Number (MSISDN)", tracking=True, help="Stored in E.164 form.")
    pay_point_id = fields.Many2one("g2p.pay.point", ondelete="restrict", tracking=True)
    holder_name = fields.Char(help="Name on the account when it differs from the registrant's.")
    is_default = fields.Boolean(string="Default", tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    display_identifier = fields.Char(compute="_compute_display_identifier", string="Account")

    _one_default = models.UniqueIndex(
        "(partner_id) WHERE is_default AND active", "A registrant has only one default payment account."
    )

    @api.depends("account_type", "iban", "account_number", "msisdn", "pay_point_id")
    def _compute_display_identifier(self):
        for account in self:
            account.display_identifier = {
                "bank": account.iban or account.account_number,
                "mobile_wallet": account.msisdn,
                "cash": account.pay_point_id.name,
            }.get(account.account_type) or ""

    @api.depends("provider_id", "display_identifier")
    def _compute_display_name(self):
        for account in self:
            # Only the parts that are set: a new account reads "New", not a lone dash.
            parts = [account.provider_id.name, account.display_identifier]
            account.display_name = " – ".join(part for part in parts if part)

    @api.model
    def _normalize_vals(self, vals, current=None):
        """Normalise IBAN/BIC/MSISDN in ``vals``; raise a clear error for malformed ones. A wallet
        number without a country prefix is read in the holder's country (``vals``' partner, else
        ``current``'s), else the company's."""
        if vals.get("iban"):
            try:
                vals["iban"] = compact_iban(vals["iban"])
            except ValueError as e:
                raise ValidationError(
                    _("'%(iban)s' is not a valid IBAN: %(error)s", iban=vals["iban"], error=e)
                ) from e
        if vals.get("bic"):
            try:
                vals["bic"] = compact_bic(vals["bic"])
            except ValueError as e:
                raise ValidationError(
                    _("'%(bic)s' is not a valid BIC: %(error)s", bic=vals["bic"], error=e)
                ) from e
        if vals.get("msisdn"):
            partner = (
                self.env["res.partner"].browse(vals["partner_id"])
                if vals.get("partner_id")
                else current.partner_id
                if current
                else None
            )
            vals["msisdn"] = self.env["g2p.phone.number"]._normalize(vals["msisdn"], partner=partner)
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._normalize_vals(dict(vals)) for vals in vals_list]
        # A registrant with an active account always has a default one: the first account of a
        # registrant without a default becomes it, even when the form sent its unticked box.
        partner_ids = {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        with_default = set(
            self.search([("partner_id", "in", list(partner_ids)), ("is_default", "=", True)]).partner_id.ids
        )
        with_default.update(vals["partner_id"] for vals in vals_list if vals.get("is_default"))
        for vals in vals_list:
            pid = vals.get("partner_id")
            if pid and pid not in with_default and vals.get("active", True):
                vals["is_default"] = True
                with_default.add(pid)
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("is_default"):
            # The previous default stops being one first, in its own UPDATE: both in one
            # statement would meet the unique index in whatever order PostgreSQL takes the rows.
            previous = self.search(
                [
                    ("partner_id", "in", self.partner_id.ids),
                    ("is_default", "=", True),
                    ("id", "not in", self.ids),
                ]
            )
            if previous:
                previous.write({"is_default": False})
                previous.flush_recordset(["is_default"])
        if vals.get("msisdn") and not vals.get("partner_id") and len(self.partner_id) > 1:
            # Each number is read in its own holder's country.
            for account in self:
                super(G2pPaymentAccount, account).write(account._normalize_vals(dict(vals), account))
            return True
        return super().write(self._normalize_vals(dict(vals), self[:1]))

    def action_set_default(self):
        """Through the registrant, so that on an approved one the switch is proposed as a change
        request like any other change of where the money goes."""
        self.ensure_one()
        self.partner_id.write({"payment_account_ids": [Command.update(self.id, {"is_default": True})]})

    @api.constrains("account_type", "iban", "account_number", "msisdn", "pay_point_id", "provider_id")
    def _check_account(self):
        for account in self:
            provider = account.provider_id
            if not provider.is_psp:
                raise ValidationError(
                    _("%s is not a registered payment service provider.", provider.display_name)
                )
            mechanisms = provider.psp_mechanism_ids.mapped("code")
            if account.account_type not in mechanisms:
                raise ValidationError(
                    _(
                        "%(psp)s does not offer %(type)s.",
                        psp=provider.name,
                        type=dict(ACCOUNT_TYPES)[account.account_type],
                    )
                )
            if account.account_type == "bank" and not (account.iban or account.account_number):
                raise ValidationError(_("A bank account needs an IBAN or an account number."))
            if account.account_type == "mobile_wallet" and not account.msisdn:
                raise ValidationError(_("A mobile money wallet needs its phone number (MSISDN)."))
            if account.account_type == "cash":
                if not account.pay_point_id:
                    raise ValidationError(_("A cash account needs a pay point."))
                if account.pay_point_id.psp_id != provider:
                    raise ValidationError(
                        _(
                            "Pay point %(pp)s belongs to %(psp)s, not to %(provider)s.",
                            pp=account.pay_point_id.name,
                            psp=account.pay_point_id.psp_id.name,
                            provider=provider.name,
                        )
                    )
