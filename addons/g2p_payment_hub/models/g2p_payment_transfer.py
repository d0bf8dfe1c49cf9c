import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..const import LIVE_TRANSFER_STATES, TRANSFER_STATES, TRANSFER_STATUSES
from ..exceptions import G2pTransportError

_logger = logging.getLogger(__name__)

#: The poll cron asks the processor about transfers not answered for this long.
POLL_AFTER_MINUTES = 10


class G2pPaymentTransfer(models.Model):
    """Money out outside a payroll: one payment to one payee (a hospital, a member reimbursed)
    through a connector that can transfer (PH-EE's channel transfer). As for a payroll payment,
    each try has its own request id; a retry is a new transfer, and the database lets a payment
    (``origin_key``) hold one live transfer at a time, so it is never paid twice. The callback only
    queues a status fetch; the status is applied under a lock of the row; what a paid or failed
    transfer books is the origin's addon's business (:meth:`_post_paid`, :meth:`_on_failed`)."""

    _name = "g2p.payment.transfer"
    _description = "Payment Transfer"
    _inherit = ["g2p.payment.request.mixin"]
    _order = "id desc"
    _log_model = "g2p.payment.transfer.log"
    _callback_kind = "transfer"
    _connector_capability = "can_transfer"
    _locked_once_sent = ("connector_id", "payee_id", "payee_identifier", "amount", "currency_id")

    # The mixin's field, narrowed to the connectors that can do this.
    connector_id = fields.Many2one(
        domain="[('can_transfer', '=', True), ('state', '!=', 'disabled')]",
        help="The processor that pays the payee.",
    )
    payee_id = fields.Many2one("res.partner", string="Payee", required=True, index=True, tracking=True)
    payee_identifier_type = fields.Selection(
        [("msisdn", "Mobile Wallet"), ("iban", "IBAN"), ("account", "Bank Account")],
        string="Payee Account Type",
        required=True,
        tracking=True,
    )
    payee_identifier = fields.Char(string="Payee Account", required=True, tracking=True)
    amount = fields.Monetary(required=True, tracking=True)
    description = fields.Char(help="The payment's reference, as the payee reads it.")
    state = fields.Selection(
        TRANSFER_STATES,
        string="Status",
        default="draft",
        required=True,
        index=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    origin_key = fields.Char(
        readonly=True,
        copy=False,
        help="The payment this transfer pays (set by the origin): one live transfer per payment.",
    )
    retry_of_id = fields.Many2one(
        "g2p.payment.transfer", string="Retry of", readonly=True, copy=False, index="btree_not_null"
    )
    done_date = fields.Date(string="Paid On", readonly=True, copy=False)
    move_id = fields.Many2one(string="Payment Entry")
    log_ids = fields.One2many("g2p.payment.transfer.log", "transfer_id", string="Log", readonly=True)

    _amount_positive = models.Constraint("CHECK (amount > 0)", "A transfer amount must be positive.")
    _one_live_transfer = models.UniqueIndex(
        "(origin_key) WHERE origin_key IS NOT NULL AND state IN %s" % (LIVE_TRANSFER_STATES,),
        "This payment already has a transfer under way or paid.",
    )

    # ------------------------------------------------------------------ actions

    def action_send(self):
        self._check_finance()
        todo = self.filtered(lambda transfer: transfer.state == "draft")
        if not todo:
            raise UserError(_("Only draft transfers can be sent."))
        todo._send_requests()
        return todo

    def action_check_status(self):
        self._check_finance()
        for transfer in self.filtered(lambda t: t.state == "sent"):
            try:
                transfer._fetch_and_apply_status()
            except G2pTransportError as exc:
                raise UserError(_("The processor could not be reached: %s", exc)) from None

    def action_cancel(self):
        self._check_finance()
        self._g2p_transition("cancelled", {"draft"}, why=_("Only draft transfers can be cancelled."))

    # ------------------------------------------------------------------ request

    def _send_requests(self):
        """Send each transfer (one HTTP call each). A refusal (4xx) fails the transfer with the
        processor's words; one that may have reached the processor (timeout, 5xx) awaits its
        status, fetched by our request id; one that surely did not stays draft, to be sent again."""
        for transfer in self:
            now = fields.Datetime.now()
            try:
                answer = transfer.connector_id._request_transfer(transfer)
            except G2pTransportError as exc:
                if not exc.maybe_delivered:
                    transfer.last_error = str(exc)
                    continue
                answer = {"accepted": True, "error": str(exc)}
            if not answer.get("accepted"):
                reason = answer.get("reason") or _("Refused by the processor")
                transfer._g2p_transition("failed", {"draft"}, {"reason": reason, "requested_date": now})
                transfer._on_failed(reason)
                continue
            transfer._g2p_transition(
                "sent",
                {"draft"},
                {
                    "external_id": answer.get("external_id") or False,
                    "requested_date": now,
                    "last_error": answer.get("error") or False,
                },
                message=_(
                    "%(amount)s sent to %(payee)s.",
                    amount=format_amount(self.env, transfer.amount, transfer.currency_id),
                    payee=transfer.payee_id.display_name,
                ),
            )

    def _retry(self):
        """A new transfer for each failed one (new request id): the failed try keeps its history."""
        failed = self.filtered(lambda transfer: transfer.state == "failed")
        if failed != self:
            raise UserError(_("Only failed transfers can be tried again."))
        return self.create(
            [
                {
                    "connector_id": transfer.connector_id.id,
                    "company_id": transfer.company_id.id,
                    "currency_id": transfer.currency_id.id,
                    "payee_id": transfer.payee_id.id,
                    "payee_identifier_type": transfer.payee_identifier_type,
                    "payee_identifier": transfer.payee_identifier,
                    "amount": transfer.amount,
                    "description": transfer.description,
                    "origin_key": transfer.origin_key,
                    "retry_of_id": transfer.id,
                    **transfer._retry_vals(),
                }
                for transfer in self
            ]
        )

    def _retry_vals(self):
        """What an origin's addon copies onto the retry (its link to the payment)."""
        return {}

    # ------------------------------------------------------------------ status

    def _fetch_and_apply_status(self):
        """Job (and button, and poll cron): the processor's status of each transfer, applied."""
        for transfer in self:
            if transfer.state != "sent":
                continue
            transfer._apply_status(transfer.connector_id._fetch_transfer_status(transfer))

    def _apply_status(self, result):
        """Apply one status ``result`` ({status, psp_reference, reason, date}) under a lock of the
        transfer's row: a paid transfer posts its entry once, whatever calls this how often."""
        self.ensure_one()
        status = result.get("status")
        if status not in TRANSFER_STATUSES:
            raise UserError(_("Unknown transfer status %r from the processor.", status))
        self._lock_row()
        if self.state != "sent" or status == "pending":
            return False
        common = {"psp_reference": result.get("psp_reference") or self.psp_reference or False}
        # In the transfer's company: a callback's job runs as the public user, of another company.
        transfer = self.with_company(self.company_id)
        if status == "failed":
            reason = result.get("reason") or _("The processor failed the transfer.")
            changed = transfer._g2p_transition(
                "failed", {"sent"}, {**common, "reason": reason}, message=reason
            )
            transfer._on_failed(reason)
            return changed
        date = result.get("date") or fields.Date.context_today(self)
        move = transfer._post_paid(date)
        return transfer._g2p_transition(
            "paid",
            {"sent"},
            {**common, "done_date": date, "move_id": move.id, "reason": False},
            message=_(
                "%(amount)s paid to %(payee)s.",
                amount=format_amount(self.env, self.amount, self.currency_id),
                payee=self.payee_id.display_name,
            ),
        )

    def _post_paid(self, date):
        """Post the entry of the confirmed payment (Dr what it pays / Cr PSP clearing) and return
        it. The origin's addon implements it."""
        raise UserError(_("The transfer %s pays for nothing this database knows how to book.", self.name))

    def _on_failed(self, reason):
        """The origin's addon frees its payment to be paid again (nothing was booked)."""

    @api.model
    def _cron_poll_status(self, limit=200):
        """Transfers the processor has not answered for a while (a callback may be lost)."""
        cutoff = fields.Datetime.now() - timedelta(minutes=POLL_AFTER_MINUTES)
        transfers = self.search([("state", "=", "sent"), ("requested_date", "<", cutoff)], limit=limit)
        for transfer in transfers:
            try:
                transfer._fetch_and_apply_status()
            except (G2pTransportError, UserError) as exc:
                _logger.warning("Transfer %s: status not known: %s", transfer.name, exc)
        return len(transfers)
