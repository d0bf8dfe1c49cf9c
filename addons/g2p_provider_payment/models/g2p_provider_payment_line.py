from odoo import _, api, fields, models
from odoo.exceptions import UserError

LINE_STATES = [
    ("draft", "To Send"),
    ("sent", "Sent"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]


class G2pProviderPaymentLine(models.Model):
    """One provider's payment in a run: its approved claims, the account it is paid to (a snapshot
    of the provider's bank account when the claims were loaded) and the transfers that pay it.
    Its ``origin_key`` on the transfers lets the database hold one live transfer per payment."""

    _name = "g2p.provider.payment.line"
    _description = "Provider Payment"
    _order = "run_id, id"
    _rec_name = "payee_id"

    run_id = fields.Many2one("g2p.provider.payment.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="run_id.currency_id")
    payee_id = fields.Many2one(
        "res.partner",
        string="Payee",
        required=True,
        ondelete="restrict",
        index=True,
        help="The provider, or the member reimbursed for a bill they paid.",
    )
    claim_ids = fields.One2many(
        "g2p.insurance.claim", "provider_payment_line_id", string="Claims", readonly=True
    )
    claim_count = fields.Integer(compute="_compute_claim_count", string="Claims")
    amount = fields.Monetary(readonly=True, help="What the provider's approved claims leave payable.")
    payee_identifier_type = fields.Selection(
        [("iban", "IBAN"), ("account", "Bank Account"), ("msisdn", "Mobile Wallet")],
        string="Account Type",
        readonly=True,
    )
    payee_identifier = fields.Char(string="Paid To", readonly=True)
    state = fields.Selection(LINE_STATES, default="draft", required=True, readonly=True, index=True)
    reason = fields.Char(readonly=True, help="Why the last transfer failed.")
    transfer_ids = fields.One2many(
        "g2p.payment.transfer", "provider_payment_line_id", string="Transfers", readonly=True
    )
    move_id = fields.Many2one("account.move", string="Payment Entry", readonly=True)
    paid_date = fields.Date(readonly=True)

    @api.depends("claim_ids")
    def _compute_claim_count(self):
        for line in self:
            line.claim_count = len(line.claim_ids)

    @api.model
    def _payee_vals(self, partner):
        """Where ``partner`` is paid: its first bank account (IBAN, else account number), else, for
        a member reimbursed, the default payment account of the registry (wallet or bank)."""
        partner = partner.sudo()
        bank = partner.bank_ids[:1]
        if bank:
            kind = "iban" if bank.acc_type == "iban" else "account"
            return {"payee_identifier": bank.acc_number, "payee_identifier_type": kind}
        accounts = partner.payment_account_ids.filtered("active") if "payment_account_ids" in partner else []
        account = accounts and (accounts.filtered("is_default")[:1] or accounts[:1])
        if account and account.account_type == "mobile_wallet" and account.msisdn:
            return {"payee_identifier": account.msisdn, "payee_identifier_type": "msisdn"}
        if account and account.account_type == "bank" and (account.iban or account.account_number):
            kind = "iban" if account.iban else "account"
            return {"payee_identifier": account.iban or account.account_number, "payee_identifier_type": kind}
        return {"payee_identifier": False, "payee_identifier_type": False}

    def _set_amount(self):
        """Store what each payee's claims leave payable on their receipt entries."""
        for line in self:
            line.amount = line.currency_id.round(sum(claim._payable_residual() for claim in line.claim_ids))

    def _origin_key(self):
        self.ensure_one()
        return "%s,%s" % (self._name, self.id)

    def _start_transfers(self):
        """Create and send one transfer per payment; returns the transfers."""
        Transfer = self.env["g2p.payment.transfer"]
        transfers = Transfer
        for line in self:
            transfer = Transfer.create(line._transfer_vals())
            line._send(transfer)
            transfers |= transfer
        return transfers

    def _transfer_vals(self):
        """The transfer that pays this payment."""
        self.ensure_one()
        return {
            "connector_id": self.run_id.connector_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "payee_id": self.payee_id.id,
            "payee_identifier_type": self.payee_identifier_type,
            "payee_identifier": self.payee_identifier,
            "amount": self.amount,
            "description": "%s %s" % (self.run_id.name, self.payee_id.name),
            "origin_key": self._origin_key(),
            "provider_payment_line_id": self.id,
        }

    def _send(self, transfer):
        self.state = "sent"
        transfer._send_requests()
        if transfer.state == "draft":
            # The processor was not reached: nothing left; the payment can be sent again.
            transfer.action_cancel()
            self.write({"state": "failed", "reason": transfer.last_error})

    def _retry(self):
        retries = self.env["g2p.payment.transfer"]
        for line in self:
            last = line.transfer_ids.sorted("id")[-1:]
            if line.state != "failed" or last.state not in ("failed", "cancelled"):
                raise UserError(_("Only failed payments can be sent again (%s).", line.payee_id.name))
            # The provider's account as it is now: a retry after a correction pays the right one.
            payee = self._payee_vals(line.payee_id)
            if not payee["payee_identifier"]:
                raise UserError(_("%s has no bank account to be paid to.", line.payee_id.name))
            line.write({**payee, "reason": False})
            if last.state == "failed":
                retry = last._retry()
                retry.write(payee)
            else:  # the processor was never reached: a new transfer of the payment
                retry = self.env["g2p.payment.transfer"].create(line._transfer_vals())
            line._send(retry)
            retries |= retry
        return retries

    def _on_paid(self, transfer, date):
        """The processor confirmed the payment: Dr provider payable / Cr PSP clearing, one entry
        for the provider's claims, each claim's payable cleared."""
        self.ensure_one()
        claims = self.claim_ids.with_context(g2p_provider_payment_line=self.id)
        move = claims._pay_provider(
            date,
            journal=claims[0].policy_id.product_id._get_accounts()["journal"],
            credit_account=transfer._clearing_account(),
            ref=_(
                "%(run)s: payment of %(provider)s (%(transfer)s)",
                run=self.run_id.name,
                provider=self.payee_id.name,
                transfer=transfer.name,
            ),
        )
        self.write({"state": "paid", "move_id": move.id, "paid_date": date, "reason": False})
        self.run_id._update_state()
        return move

    def _on_failed(self, reason):
        """Nothing was booked: the claims stay approved and payable, for a retry."""
        self.write({"state": "failed", "reason": reason})
        self.run_id._update_state()
