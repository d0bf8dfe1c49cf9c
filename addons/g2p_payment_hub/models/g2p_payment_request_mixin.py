import secrets
import uuid

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.g2p_registry.const import SECRET_GROUPS


class G2pPaymentRequestMixin(models.AbstractModel):
    """One payment request to a processor, outside a batch: money in (a collection) or money out
    (a transfer). Each carries its own request id (the idempotency key the processor sees) and a
    tokened callback URL; a callback only queues a status fetch, the status fetched is what counts,
    and it is applied under a lock of the request's row, so callbacks, buttons and crons post its
    entry once. The models say what their states are and what an outcome books."""

    _name = "g2p.payment.request.mixin"
    _description = "Payment Request to a Processor"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _check_company_auto = True
    #: The route segment of the callback URL: /g2p/payment_hub/<kind>/callback/<request id>.
    _callback_kind = None
    #: Finance groups allowed to send and check requests (origin addons add theirs).
    _base_finance_groups = ("g2p_payroll.group_g2p_finance_officer",)
    #: The connector's capability the request needs (a boolean field of g2p.payment.connector).
    _connector_capability = None
    #: What cannot change once the request was sent (it is what the processor has).
    _locked_once_sent = ("connector_id", "amount", "currency_id")

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: _("New")
    )
    connector_id = fields.Many2one(
        "g2p.payment.connector", required=True, ondelete="restrict", index=True, check_company=True
    )
    psp_id = fields.Many2one(related="connector_id.psp_id")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, readonly=True, default=lambda self: self.env.company.currency_id
    )
    request_id = fields.Char(
        string="Request ID",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: str(uuid.uuid4()),
        help="Our identifier of the request at the processor (idempotency key).",
    )
    # What the connectors send as their idempotency key (X-CorrelationID), as for a batch.
    correlation_id = fields.Char(related="request_id", string="Correlation ID")
    external_id = fields.Char(
        string="Processor Transaction ID", readonly=True, copy=False, index="btree_not_null"
    )
    psp_reference = fields.Char(string="PSP Reference", readonly=True, copy=False)
    callback_token = fields.Char(
        readonly=True,
        copy=False,
        groups=SECRET_GROUPS,
        default=lambda self: secrets.token_urlsafe(32),
        help="Secret carried by the callback URL of this request.",
    )
    requested_date = fields.Datetime(readonly=True, copy=False)
    reason = fields.Char(readonly=True, copy=False, help="Why the request was rejected, failed or expired.")
    last_error = fields.Text(readonly=True, copy=False)
    move_id = fields.Many2one("account.move", readonly=True, copy=False)

    _request_unique = models.UniqueIndex("(request_id)", "A request id identifies one request.")
    _name_unique = models.UniqueIndex("(name)", "References are unique.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code(self._name) or _("New")
        return super().create(vals_list)

    @api.constrains("connector_id")
    def _check_connector(self):
        for request in self:
            if not request.connector_id[self._connector_capability]:
                raise ValidationError(
                    _(
                        "The connector %(connector)s cannot send %(request)s: it does not offer this kind of "
                        "payment.",
                        connector=request.connector_id.display_name,
                        request=request.name,
                    )
                )

    def write(self, vals):
        if set(vals) & set(self._locked_once_sent):
            sent = self.filtered(lambda request: request.state != "draft")
            if sent:
                raise UserError(_("%s cannot be changed once it was sent.", sent[0].name))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(request.state != "draft" for request in self):
            raise UserError(_("Only draft requests can be deleted; cancel or keep the others."))

    def _finance_groups(self):
        return self._base_finance_groups

    def _check_finance(self):
        if not self.env.su and not any(self.env.user.has_group(group) for group in self._finance_groups()):
            raise UserError(_("Only finance officers can send or check payment requests."))

    def action_open_entry(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    def _callback_url(self):
        base = self.connector_id._callback_base_url()
        return "%s/g2p/payment_hub/%s/callback/%s?token=%s" % (
            base.rstrip("/"),
            self._callback_kind,
            self.request_id,
            self.sudo().callback_token,
        )

    def _receive_callback(self, raw, headers=None, url=None):
        """An authenticated callback: stored once; a new one queues the status fetch (one waiting
        job per request). Nothing else happens in the web request."""
        self.ensure_one()
        new = self.env[self._log_model]._record_event(self, raw, headers=headers, url=url)
        if new:
            self.sudo().with_delay(
                identity_key="%s_status_%s" % (self._table, self.id),
                description=_("Fetch status of %s", self.name),
            )._fetch_and_apply_status()
        return new

    def _lock_row(self):
        """Lock this request's row until the transaction ends and read its state afresh: two
        fetches (a callback's job, a button, a cron) never both apply an outcome."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT 1 FROM %s WHERE id = %s FOR UPDATE", SQL.identifier(self._table), self.id)
        )
        self.invalidate_recordset()

    def _clearing_account(self):
        """The PSP clearing account of the connector's processor, where money waits between the
        scheme's bank account and the wallets (as for payroll payments)."""
        return self.connector_id.psp_id._g2p_psp_clearing_account(self.company_id)
