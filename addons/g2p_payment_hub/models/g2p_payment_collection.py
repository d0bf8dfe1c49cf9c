import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..const import COLLECTION_STATES, COLLECTION_STATUSES
from ..exceptions import G2pTransportError
from odoo.addons.g2p_registry.tools.notify import notification

_logger = logging.getLogger(__name__)

#: A request the payer has not answered is given up after this many hours, unless set otherwise.
DEFAULT_EXPIRY_HOURS = 24
#: The states a status can still change (a late "paid" after expiry is money that arrived).
OPEN_STATES = ("requested", "expired")


class G2pPaymentCollection(models.Model):
    """Money in: a request to pay sent to a payer's mobile wallet through a connector that can
    collect (PH-EE's transaction request, a "payee-initiated" merchant payment). The payer approves
    or rejects it on their phone; the processor's callback only triggers a status fetch, and the
    status fetched is what counts. A confirmed collection posts its entry once (the row is locked
    while it is applied, and an applied collection never changes again), whatever the number of
    callbacks, fetches or retries. What the money pays for (a premium, a contribution) is the
    origin's addon's business: it implements :meth:`_post_collected`."""

    _name = "g2p.payment.collection"
    _description = "Payment Collection Request"
    _inherit = ["g2p.payment.request.mixin"]
    _order = "id desc"
    _log_model = "g2p.payment.collection.log"
    _callback_kind = "collection"
    _connector_capability = "can_collect"
    _locked_once_sent = ("connector_id", "payer_id", "payer_msisdn", "amount", "currency_id")

    # The mixin's field, narrowed to the connectors that can do this.
    connector_id = fields.Many2one(
        domain="[('can_collect', '=', True), ('state', '!=', 'disabled')]",
        help="The processor that sends the request to the payer's wallet.",
    )
    payer_id = fields.Many2one("res.partner", string="Payer", required=True, index=True, tracking=True)
    payer_msisdn = fields.Char(
        string="Payer's Mobile Number", required=True, tracking=True, help="The wallet asked to pay."
    )
    amount = fields.Monetary(string="Amount Requested", required=True, tracking=True)
    amount_collected = fields.Monetary(readonly=True, copy=False, tracking=True)
    description = fields.Char(help="What the payer reads on their phone.")
    state = fields.Selection(
        COLLECTION_STATES,
        string="Status",
        default="draft",
        required=True,
        index=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    expiry_hours = fields.Integer(
        string="Valid for (hours)",
        default=DEFAULT_EXPIRY_HOURS,
        help="A request the payer has not approved by then expires (the cron asks the processor once "
        "more first).",
    )
    expiry_date = fields.Datetime(readonly=True, copy=False, index="btree_not_null")
    done_date = fields.Date(string="Collected On", readonly=True, copy=False)
    move_id = fields.Many2one(string="Collection Entry")
    log_ids = fields.One2many("g2p.payment.collection.log", "collection_id", string="Log", readonly=True)

    _amount_positive = models.Constraint("CHECK (amount > 0)", "The amount requested must be positive.")

    # ------------------------------------------------------------------ actions

    def action_request(self):
        """Send the request to the payer's wallet (one HTTP call per collection)."""
        self._check_finance()
        todo = self.filtered(lambda collection: collection.state == "draft")
        if not todo:
            raise UserError(_("Only draft collection requests can be sent."))
        for collection in todo:
            collection._send_request()
        sent = todo.filtered(lambda collection: collection.state == "requested")
        if sent == todo:
            message = _("%s collection requests sent: the payers approve them on their phones.", len(sent))
            return notification(_("Collection requested"), message)
        failed = todo - sent
        message = "; ".join(
            "%s: %s" % (collection.name, collection.reason or collection.last_error or "")
            for collection in failed
        )
        return notification(_("Collection not requested"), message, "warning")

    def action_check_status(self):
        self._check_finance()
        for collection in self.filtered(lambda c: c.state in OPEN_STATES):
            try:
                collection._fetch_and_apply_status()
            except G2pTransportError as exc:
                raise UserError(_("The processor could not be reached: %s", exc)) from None
        states = dict(self._fields["state"]._description_selection(self.env))
        return notification(
            _("Collection status"),
            "; ".join("%s: %s" % (collection.name, states[collection.state]) for collection in self),
        )

    def action_cancel(self):
        self._check_finance()
        self._g2p_transition(
            "cancelled", {"draft"}, why=_("Only draft collection requests can be cancelled.")
        )

    # ------------------------------------------------------------------ request

    def _send_request(self):
        """Ask the processor to collect. A refusal (4xx) fails the request with the processor's
        words; a request that may have reached it (timeout) stays awaiting the payer: the status
        fetch by our request id, the callback or the expiry settle it; one that surely did not
        reach it leaves the record draft."""
        self.ensure_one()
        now = fields.Datetime.now()
        try:
            answer = self.connector_id._request_collection(self)
        except G2pTransportError as exc:
            if not exc.maybe_delivered:
                self.last_error = str(exc)
                return
            answer = {"accepted": True, "error": str(exc)}
        if not answer.get("accepted"):
            self._g2p_transition(
                "failed",
                {"draft"},
                {"reason": answer.get("reason") or _("Refused by the processor"), "requested_date": now},
            )
            return
        self._g2p_transition(
            "requested",
            {"draft"},
            {
                "external_id": answer.get("external_id") or False,
                "requested_date": now,
                "expiry_date": now + timedelta(hours=self.expiry_hours or DEFAULT_EXPIRY_HOURS),
                "last_error": answer.get("error") or False,
            },
            message=_(
                "Request to pay %(amount)s sent to %(msisdn)s.",
                amount=format_amount(self.env, self.amount, self.currency_id),
                msisdn=self.payer_msisdn,
            ),
        )

    # ------------------------------------------------------------------ callbacks and status

    def _fetch_and_apply_status(self):
        """Job (and button, and expiry cron): the processor's status of each request, applied."""
        for collection in self:
            if collection.state not in OPEN_STATES:
                continue
            result = collection.connector_id._fetch_collection_status(collection)
            collection._apply_status(result)

    def _apply_status(self, result):
        """Apply one status ``result`` ({status, amount, psp_reference, reason, date}) under a lock
        of the collection's row: two fetches (a callback's job, a button, the cron) never both post."""
        self.ensure_one()
        status = result.get("status")
        if status not in COLLECTION_STATUSES:
            raise UserError(_("Unknown collection status %r from the processor.", status))
        self._lock_row()
        if self.state not in OPEN_STATES or status == "pending":
            return False
        common = {"psp_reference": result.get("psp_reference") or self.psp_reference or False}
        if status in ("rejected", "failed"):
            if self.state == "expired":
                return False
            reason = result.get("reason") or (
                _("The payer declined the request.")
                if status == "rejected"
                else _("The processor failed it.")
            )
            return self._g2p_transition(status, {"requested"}, {**common, "reason": reason}, message=reason)
        currency = self.currency_id
        amount = currency.round(result["amount"]) if result.get("amount") is not None else self.amount
        if currency.compare_amounts(amount, 0.0) <= 0 or currency.compare_amounts(amount, self.amount) > 0:
            raise UserError(
                _(
                    "The processor reports %(amount)s collected for a request of %(requested)s.",
                    amount=amount,
                    requested=self.amount,
                )
            )
        date = result.get("date") or fields.Date.context_today(self)
        # In the collection's company: a callback's job runs as the public user, of another company.
        move = self.with_company(self.company_id)._post_collected(amount, date)
        target = "paid" if currency.compare_amounts(amount, self.amount) == 0 else "partial"
        return self._g2p_transition(
            target,
            set(OPEN_STATES),
            {**common, "amount_collected": amount, "done_date": date, "move_id": move.id, "reason": False},
            message=_(
                "%(amount)s collected from %(payer)s.",
                amount=format_amount(self.env, amount, currency),
                payer=self.payer_id.display_name,
            ),
        )

    def _post_collected(self, amount, date):
        """Post the entry of ``amount`` received (Dr PSP clearing / Cr what it pays) and return it.
        The origin's addon implements it; a collection without an origin cannot be collected."""
        raise UserError(_("The collection %s pays for nothing this database knows how to book.", self.name))

    @api.model
    def _cron_expire(self):
        """Requests past their expiry: ask the processor once more, then expire what is still open.
        A processor that cannot be reached does not keep a request open for ever (a late
        "paid" from its callback still applies)."""
        now = fields.Datetime.now()
        overdue = self.search([("state", "=", "requested"), ("expiry_date", "<", now)], limit=500)
        for collection in overdue:
            try:
                collection._fetch_and_apply_status()
            except (G2pTransportError, UserError) as exc:
                _logger.warning("Collection %s: status at expiry not known: %s", collection.name, exc)
            if collection.state == "requested":
                collection._g2p_transition(
                    "expired",
                    {"requested"},
                    {"reason": _("The payer did not approve the request in time.")},
                    message=_("The request expired unanswered."),
                )
        return len(overdue)
