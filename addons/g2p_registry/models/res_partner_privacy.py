from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.change_request import CHANGE_REQUEST_APPLY

#: Contact fields of res.partner that hold personal data: blanked by an erasure.
ERASED_CONTACT_FIELDS = (
    "given_name",
    "family_name",
    "addl_name",
    "birthdate",
    "birthdate_not_exact",
    "gender",
    "disability",
    "email",
    "phone",
    "street",
    "street2",
    "zip",
    "city",
    "state_id",
    "vat",
    "ref",
    "website",
    "comment",
    "function",
    "image_1920",
)
#: Shown in place of an erased value wherever it was copied as text (intake payloads, messages).
ERASED = "[erased]"
#: Values shorter than this are not searched for in copied text: a "1" or a "KE" would wreck it.
MIN_SCRUBBED_LENGTH = 4


class ResPartner(models.Model):
    """The privacy view of a registrant (what is stored, where it came from, who exported it) and
    the erasure of its personal data. Other addons add payment history that blocks an erasure
    (:meth:`_g2p_erasure_blockers`), sources (:meth:`_g2p_privacy_sources`) and their own copies
    to erase (:meth:`_g2p_erase_more`)."""

    _inherit = "res.partner"

    access_log_ids = fields.One2many(
        "g2p.registrant.access.log",
        "partner_id",
        string="Data Accesses",
        readonly=True,
        groups="g2p_registry.group_g2p_registry_validator",
    )
    erasure_request_ids = fields.One2many(
        "g2p.erasure.request",
        "partner_id",
        string="Erasure Requests",
        readonly=True,
        groups="g2p_registry.group_g2p_registrar",
    )
    privacy_attachment_ids = fields.Many2many(
        "ir.attachment",
        compute="_compute_privacy_attachment_ids",
        string="Documents",
        groups="g2p_registry.group_g2p_registrar",
        help="Files attached to the registrant (its form and its chatter).",
    )
    privacy_sources_html = fields.Html(
        compute="_compute_privacy_sources_html",
        string="Sources",
        sanitize=False,
        groups="g2p_registry.group_g2p_registrar",
        help="Where the registrant's data came from: intake records, API, back office.",
    )

    def _compute_privacy_attachment_ids(self):
        Attachment = self.env["ir.attachment"]
        for partner in self:
            partner.privacy_attachment_ids = (
                Attachment.search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
                if partner.id
                else Attachment
            )

    def _compute_privacy_sources_html(self):
        for partner in self:
            sources = partner._g2p_privacy_sources() if partner.id else []
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>")
                % (
                    source["kind"],
                    source.get("reference") or "",
                    fields.Datetime.to_string(source["date"]) if source.get("date") else "",
                    source.get("user") or "",
                    source.get("detail") or "",
                )
                for source in sorted(sources, key=lambda s: s.get("date") or fields.Datetime.now())
            )
            partner.privacy_sources_html = Markup(
                '<table class="table table-sm o_g2p_privacy_sources"><thead><tr>'
                "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
            ) % (_("Source"), _("Reference"), _("Date"), _("By"), _("Detail"), rows)

    def _g2p_privacy_sources(self):
        """Where this registrant's data came from: a list of dicts with ``kind``, ``reference``,
        ``date``, ``user`` and ``detail``. The registry knows the creation of the record (in the
        back office, or by whatever path another addon names) and the change requests applied."""
        self.ensure_one()
        partner = self.sudo()
        sources = [
            {
                "kind": _("Record created"),
                "reference": partner.registrant_number,
                "date": partner.create_date,
                "user": partner.create_uid.name,
                "detail": partner._g2p_creation_channel(),
            }
        ]
        for request in partner.change_request_ids.filtered(lambda r: r.state == "applied"):
            sources.append(
                {
                    "kind": _("Change request applied"),
                    "reference": request.name,
                    "date": request.decided_date or request.write_date,
                    "user": request.proposed_by_id.name,
                    "detail": _("approved by %s", request.decided_by_id.name or ""),
                }
            )
        return sources

    def _g2p_creation_channel(self):
        """How the registrant was created; intake and API addons say when it was them."""
        return _("Back office or import (manual creation)")

    def action_open_privacy(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Privacy: %s", self.registrant_number or self.display_name),
            "res_model": "res.partner",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("g2p_registry.view_registrant_privacy_form").id, "form")],
            "target": "current",
        }

    def action_request_erasure(self):
        """Open a new erasure request for this registrant (the reason is asked in the dialog)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Request Erasure"),
            "res_model": "g2p.erasure.request",
            "view_mode": "form",
            "views": [(self.env.ref("g2p_registry.view_g2p_erasure_request_dialog").id, "form")],
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    # ------------------------------------------------------------------ erasure

    def _g2p_erasure_blockers(self):
        """Why this registrant cannot be erased: a list of phrases ("3 payments (…)"), empty when
        it can. Addons holding financial records of the registrant add theirs; the registry refuses
        a contact that is also a user (the user account is managed elsewhere)."""
        self.ensure_one()
        blockers = []
        users = self.sudo().with_context(active_test=False).user_ids
        if users:
            blockers.append(_("a user account (%s)", ", ".join(users.mapped("login"))))
        return blockers

    def _g2p_personal_values(self):
        """The personal values of this registrant as text, as they may have been copied elsewhere
        (intake payloads, chatter messages): searched for and replaced by an erasure."""
        self.ensure_one()
        partner = self.sudo().with_context(active_test=False)
        values = {
            partner.name,
            partner.given_name,
            partner.family_name,
            partner.addl_name,
            partner.email,
            partner.phone,
            partner.street,
            partner.street2,
            partner.vat,
            partner.birthdate and fields.Date.to_string(partner.birthdate),
        }
        values.update(partner.reg_id_ids.mapped("value"))
        for phone in partner.phone_number_ids.mapped("phone_number"):
            # As stored (E.164), without its +, and its last nine digits (a local 07… form).
            values.update((phone, phone.lstrip("+"), phone[-9:]))
        for account in partner.payment_account_ids:
            values.update((account.iban, account.account_number, account.msisdn, account.holder_name))
        return sorted(
            (v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= MIN_SCRUBBED_LENGTH),
            key=len,
            reverse=True,  # a full name before the given name it contains
        )

    @api.model
    def _g2p_scrub(self, text, values):
        """``text`` with every one of ``values`` replaced by [erased]."""
        if not text:
            return text
        for value in values:
            text = text.replace(value, ERASED)
        return text

    def _g2p_erase(self, request):
        """Anonymise this registrant for ``request`` (a g2p.erasure.request): personal fields
        blanked, IDs, phones, payment accounts, memberships, attachments and chatter removed,
        copies elsewhere scrubbed (other addons, :meth:`_g2p_erase_more`), the registrant disabled
        and archived. Runs as superuser without tracking (a tracking value would keep the old
        values). Returns a summary of what was erased, without any personal value."""
        self.ensure_one()
        if self._g2p_erasure_blockers():
            raise UserError(_("This registrant has payment history and cannot be erased."))
        partner = self.sudo().with_context(
            active_test=False, tracking_disable=True, mail_notrack=True, **{CHANGE_REQUEST_APPLY: True}
        )
        values = partner._g2p_personal_values()
        erased = {}
        partner._g2p_erase_more(values, erased)
        erased[_("IDs")] = len(partner.reg_id_ids)
        partner.reg_id_ids.unlink()
        erased[_("phones")] = len(partner.phone_number_ids)
        partner.phone_number_ids.unlink()
        erased[_("payment accounts")] = len(partner.payment_account_ids)
        partner.payment_account_ids.unlink()
        memberships = partner.individual_membership_ids | partner.group_membership_ids
        erased[_("household memberships")] = len(memberships)
        memberships.unlink()
        # A proposed change holds the values it proposes, an applied one those it applied.
        erased[_("change requests")] = len(partner.change_request_ids)
        partner.change_request_ids.sudo().unlink()
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])
        )
        erased[_("documents")] = len(attachments)
        attachments.unlink()
        messages = (
            self.env["mail.message"]
            .sudo()
            .search([("model", "=", "res.partner"), ("res_id", "=", partner.id)])
        )
        erased[_("chatter messages")] = len(messages)
        messages.unlink()
        vals = {fname: False for fname in ERASED_CONTACT_FIELDS if fname in partner._fields}
        vals.update(
            name=_("Erased registrant #%s", partner.id),
            active=False,
            registrant_state="disabled",
            disabled_reason=_("Personal data erased (%s).", request.name),
            disabled_date=fields.Datetime.now(),
            disabled_by_id=self.env.uid,
        )
        partner.write(vals)
        partner.message_post(
            body=_(
                "Personal data erased by %(request)s (%(reason)s).",
                request=request.name,
                reason=request.reason,
            )
        )
        return ", ".join("%s %s" % (count, what) for what, count in erased.items() if count) or _(
            "the contact fields only"
        )

    def _g2p_erase_more(self, values, erased):
        """Hook: other addons remove or scrub their copies of this registrant's personal data
        (``values``, see :meth:`_g2p_personal_values`) and count them in ``erased``
        ({label: count}). Runs as superuser, before the registry's own data is removed."""

    # ------------------------------------------------------------------ access log

    def export_data(self, fields_to_export):
        """A list export of registrants (the back office's Export, or export_data over RPC) is
        logged for each registrant exported, in one INSERT."""
        result = super().export_data(fields_to_export)
        self.env["g2p.registrant.access.log"].sudo()._g2p_log_access(
            self.ids, "list_export", ", ".join(fields_to_export)
        )
        return result
