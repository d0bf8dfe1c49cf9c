from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount
from odoo.tools.translate import LazyTranslate

from odoo.addons.g2p_registry.tools.notify import notification

_lt = LazyTranslate(__name__)

FINANCE_GROUP = "g2p_insurance_accounting.group_g2p_insurance_finance"

RUN_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("in_payment", "In Payment"),
    ("done", "Paid"),
    ("cancelled", "Cancelled"),
]


class G2pProviderPaymentRun(models.Model):
    """A payment run pays providers (hospitals, clinics) for their approved claims: one payment
    per provider, sent as a transfer through the payment hub. A finance officer prepares and
    submits it; another one, who adjudicated none of its claims, approves it (maker-checker).
    A confirmed payment posts Dr provider payable / Cr PSP clearing and clears each claim's
    payable; a failed one leaves the claims payable, to be sent again (a new transfer: a payment
    holds one live transfer at a time, so nobody is paid twice)."""

    _name = "g2p.provider.payment.run"
    _description = "Provider Payment Run"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _g2p_state_label = _lt("Payment run")
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    connector_id = fields.Many2one(
        "g2p.payment.connector",
        string="Pay Through",
        required=True,
        check_company=True,
        tracking=True,
        domain="[('can_transfer', '=', True), ('state', '!=', 'disabled')]",
        help="The payment processor that pays the providers (a connector that can make transfers).",
    )
    date_to = fields.Date(
        string="Claims Approved Up To",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="The run takes the approved, unpaid claims adjudicated on or before this date.",
    )
    provider_ids = fields.Many2many(
        "res.partner",
        string="Only Providers",
        domain="[('is_company', '=', True), ('is_registrant', '=', False), ('is_psp', '=', False)]",
        help="Leave empty to pay every provider with approved claims.",
    )
    state = fields.Selection(
        RUN_STATES, default="draft", required=True, readonly=True, copy=False, tracking=True
    )
    line_ids = fields.One2many("g2p.provider.payment.line", "run_id", string="Payments", readonly=True)
    line_count = fields.Integer(compute="_compute_totals", string="Providers")
    claim_count = fields.Integer(compute="_compute_totals", string="Claims")
    total_amount = fields.Monetary(compute="_compute_totals", string="Total")
    paid_amount = fields.Monetary(compute="_compute_totals", string="Paid")
    failed_count = fields.Integer(compute="_compute_totals", string="Failed")
    progress = fields.Float(compute="_compute_totals", help="Share of the payments confirmed.")
    transfer_count = fields.Integer(compute="_compute_totals", string="Transfers")
    connector_code = fields.Selection(related="connector_id.code")
    bank_file_id = fields.Many2one(
        "ir.attachment",
        string="Bank File",
        readonly=True,
        copy=False,
        help="The payment file handed to the bank (connectors that pay by bank file).",
    )
    submitted_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)

    _name_unique = models.UniqueIndex("(name)", "Payment run references are unique.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code(self._name) or _("New")
        return super().create(vals_list)

    @api.depends("line_ids.state", "line_ids.amount", "line_ids.claim_count", "line_ids.transfer_ids")
    def _compute_totals(self):
        for run in self:
            lines = run.line_ids
            paid = lines.filtered(lambda line: line.state == "paid")
            run.line_count = len(lines)
            run.claim_count = sum(lines.mapped("claim_count"))
            run.total_amount = sum(lines.mapped("amount"))
            run.paid_amount = sum(paid.mapped("amount"))
            run.failed_count = len(lines.filtered(lambda line: line.state == "failed"))
            run.progress = 100.0 * len(paid) / len(lines) if lines else 0.0
            run.transfer_count = len(lines.transfer_ids)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(run.state not in ("draft", "cancelled") for run in self):
            raise UserError(_("Only draft or cancelled payment runs can be deleted."))

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise UserError(
                _("Only insurance finance officers can prepare, approve and send provider payments.")
            )

    def _amount(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    # ------------------------------------------------------------------ preparing

    def _payable_claims(self):
        """Approved claims of the run's company not yet paid nor in another live run."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("state", "=", "approved"),
            ("date_adjudicated", "<=", self.date_to),
            "|",
            ("provider_payment_line_id", "=", False),
            ("provider_payment_line_id.state", "=", "cancelled"),
        ]
        if self.provider_ids:
            domain.append(("provider_id", "in", self.provider_ids.ids))
        return self.env["g2p.insurance.claim"].sudo().search(domain, order="payee_id, id")

    def action_load_claims(self):
        """(Re)build the run's payments: one per provider, with its approved, unpaid claims."""
        self._check_finance()
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Claims can only be loaded into a draft payment run."))
        self.line_ids.claim_ids.write({"provider_payment_line_id": False})
        self.line_ids.unlink()
        claims = self._payable_claims()
        if not claims:
            raise UserError(_("No approved claim is waiting for payment up to %s.", self.date_to))
        Line = self.env["g2p.provider.payment.line"]
        lines = Line.create(
            [
                {"run_id": self.id, "payee_id": payee.id, **Line._payee_vals(payee)}
                for payee in claims._payable_partner()
            ]
        )
        by_payee = {line.payee_id: line for line in lines}
        for payee in claims._payable_partner():
            claims.filtered(lambda claim, p=payee: claim._payable_partner() == p).write(
                {"provider_payment_line_id": by_payee[payee].id}
            )
        lines._set_amount()
        return notification(
            _("Claims loaded"),
            _(
                "%(claims)s approved claims loaded for %(payees)s, %(total)s in all.",
                claims=len(claims),
                payees=", ".join(lines.payee_id.mapped("name")),
                total=self._amount(sum(lines.mapped("amount"))),
            ),
        )

    def action_submit(self):
        self._check_finance()
        for run in self:
            if not run.line_ids:
                raise UserError(_("Load the claims to pay first."))
            missing = run.line_ids.filtered(lambda line: not line.payee_identifier)
            if missing:
                raise UserError(
                    _(
                        "These payees have no account to be paid to: %s. Add a bank account on the provider "
                        "(Accounting tab) or a payment account on the member, then load the claims again.",
                        ", ".join(missing.payee_id.mapped("name")),
                    )
                )
        self._g2p_transition(
            "to_approve",
            {"draft"},
            {"submitted_by_id": self.env.user.id},
            message=_("Submitted for approval."),
        )
        return notification(_("Payment run submitted"), _("Another finance officer approves it."))

    def action_send_back(self):
        self._check_finance()
        self._g2p_transition("draft", {"to_approve"}, message=_("Sent back to draft."))

    # ------------------------------------------------------------------ approving

    def _check_approver(self):
        """Maker-checker: the approver neither submitted the run nor adjudicated any of its claims."""
        user = self.env.user
        for run in self:
            if run.submitted_by_id == user:
                raise UserError(_("You submitted %s: another finance officer approves it.", run.name))
            if user in run.line_ids.claim_ids.adjudicated_by_id:
                raise UserError(
                    _("You adjudicated claims of %s: another finance officer approves its payment.", run.name)
                )

    def action_approve(self):
        self._check_finance()
        self._check_approver()
        self._g2p_transition(
            "approved",
            {"to_approve"},
            {"approved_by_id": self.env.user.id, "approved_date": fields.Datetime.now()},
            message=_("Approved."),
        )
        return notification(_("Payment run approved"), _("Send it to pay the providers."))

    # ------------------------------------------------------------------ paying

    def action_send(self):
        """One transfer per provider payment, sent to the processor now."""
        self._check_finance()
        for run in self:
            if run.state not in ("approved", "in_payment"):
                raise UserError(_("Only approved payment runs can be sent."))
            lines = run.line_ids.filtered(lambda line: line.state == "draft")
            if lines:
                run._write_bank_file(lines._start_transfers())
            run._update_state()
        sent = self.line_ids.filtered(lambda line: line.state == "sent")
        failed = self.line_ids.filtered(lambda line: line.state == "failed")
        message = _(
            "%(sent)s payments sent to the processor; each is confirmed here as its answer comes in.",
            sent=len(sent),
        )
        if failed:
            message += " " + _("%s refused: see their reasons, then Retry Failed.", len(failed))
        return notification(_("Payments sent"), message, "warning" if failed else "success")

    def action_retry_failed(self):
        """A new transfer (new request id) for each failed payment; the failed try stays in its history."""
        self._check_finance()
        failed = self.line_ids.filtered(lambda line: line.state == "failed")
        if not failed:
            raise UserError(_("No failed payment to send again."))
        for run in self:
            run._write_bank_file(failed.filtered(lambda line, r=run: line.run_id == r)._retry())
        self._update_state()
        return notification(_("Payments sent again"), _("%s payments sent again.", len(failed)))

    def _write_bank_file(self, transfers):
        """A connector that pays by bank file gets one file of the transfers just handed over."""
        self.ensure_one()
        handed = transfers.filtered(lambda transfer: transfer.state == "sent")
        if handed:
            name = "%s-%s" % (self.name, handed[0].name)
            bank_file = self.connector_id._render_transfer_file(handed, name, self)
            if bank_file:
                self.bank_file_id = bank_file

    def action_download_bank_file(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%s?download=true" % self.bank_file_id.id,
            "target": "self",
        }

    def action_record_bank_report(self):
        """The bank's report of the file's payments: which were executed, which rejected."""
        self._check_finance()
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Record Bank Report"),
            "res_model": "g2p.provider.payment.bank.report",
            "view_mode": "form",
            "target": "new",
            "context": {"default_run_id": self.id},
        }

    def action_check_status(self):
        self._check_finance()
        self.line_ids.transfer_ids.filtered(lambda t: t.state == "sent").action_check_status()
        self._update_state()

    def action_cancel(self):
        self._check_finance()
        if any(line.state in ("sent", "paid") for line in self.line_ids):
            raise UserError(_("A run with payments sent or paid cannot be cancelled."))
        self.line_ids.claim_ids.write({"provider_payment_line_id": False})
        self.line_ids.write({"state": "cancelled"})
        self._g2p_transition(
            "cancelled",
            {"draft", "to_approve", "approved", "in_payment"},
            message=_("Cancelled: its claims can be paid in another run."),
        )

    def _update_state(self):
        for run in self:
            states = set(run.line_ids.mapped("state"))
            if run.state in ("approved", "in_payment") and states and states <= {"paid"}:
                run._g2p_transition("done", {"approved", "in_payment"}, message=_("Every provider is paid."))
            elif run.state == "approved" and states & {"sent", "paid", "failed"}:
                run._g2p_transition("in_payment", {"approved"})

    def action_view_transfers(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Transfers"),
            "res_model": "g2p.payment.transfer",
            "view_mode": "list,form",
            "domain": [("id", "in", self.line_ids.transfer_ids.ids)],
        }

    def action_view_claims(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Claims"),
            "res_model": "g2p.insurance.claim",
            "view_mode": "list,form",
            "domain": [("id", "in", self.line_ids.claim_ids.ids)],
        }
