import re

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, format_amount
from odoo.tools.translate import LazyTranslate

from .g2p_insurance_policy import CLAIMS_GROUP, FINANCE_GROUP, _check_protected_write
from odoo.addons.g2p_registry.tools.notify import notification

_lt = LazyTranslate(__name__)


def normalize_provider_reference(reference):
    """The key two claim numbers of one provider are the same claim by: case and every space
    ignored (``" ml-2021 -0930"`` is ``ML-2021-0930``), as providers retype them by hand."""
    return re.sub(r"\s+", "", reference or "").upper() or False


CLAIM_SYSTEM_FIELDS = {
    "state",
    "approved_amount",
    "excess_amount",
    "excess_collected",
    "date_adjudicated",
    "date_paid",
    "receipt_move_id",
    "approval_move_id",
    "excess_move_id",
    "payment_move_id",
    "received_by_id",
    "adjudicated_by_id",
    "paid_by_id",
}
CLAIM_DRAFT_FIELDS = {
    "policy_id",
    "member_id",
    "provider_id",
    "provider_reference",
    "category_id",
    "date_service",
    "date_received",
    "claimed_amount",
    "member_paid_at_provider",
    "reimbursement",
    "payee_id",
}
CLAIM_STATES = [
    ("draft", "Draft"),
    ("received", "Received"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("paid", "Paid"),
]


class G2PInsuranceClaim(models.Model):
    _name = "g2p.insurance.claim"
    _description = "Health Insurance Claim"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "date_received desc, id desc"
    _g2p_state_label = _lt("Claim")
    _check_company_auto = True

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    policy_id = fields.Many2one(
        "g2p.insurance.policy", string="Cover", required=True, index=True, tracking=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    holder_id = fields.Many2one(related="policy_id.holder_id", store=True, string="Holder", index=True)
    member_id = fields.Many2one(
        "res.partner",
        string="Member",
        required=True,
        tracking=True,
        index=True,
        domain="[('id', 'in', allowed_member_ids)]",
    )
    allowed_member_ids = fields.Many2many(related="policy_id.member_ids")
    provider_id = fields.Many2one(
        "res.partner",
        string="Provider",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True), ('is_registrant', '=', False), ('is_psp', '=', False)]",
        help="The hospital or clinic that claims the payment.",
    )
    reimbursement = fields.Boolean(
        string="Reimburse the Member",
        tracking=True,
        help="The member paid the provider's bill: the cover pays the member back, not the provider.",
    )
    payee_id = fields.Many2one(
        "res.partner",
        string="Pay To",
        compute="_compute_payee_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
        help="Who the cover pays: the provider, or for a reimbursement the member (or another person "
        "of the family, e.g. a child's parent).",
    )
    provider_reference = fields.Char(
        required=True,
        tracking=True,
        help="The provider's own claim number; unique per provider (case and spaces ignored).",
    )
    provider_reference_key = fields.Char(
        compute="_compute_provider_reference_key",
        store=True,
        index=True,
        help="The provider's claim number without spaces, in capitals: what makes a claim a duplicate.",
    )
    category_id = fields.Many2one("g2p.insurance.category", required=True, tracking=True)
    date_service = fields.Date(string="Service Date", required=True, tracking=True)
    date_received = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    date_adjudicated = fields.Date(readonly=True, copy=False)
    date_paid = fields.Date(readonly=True, copy=False)
    claimed_amount = fields.Monetary(
        required=True, tracking=True, help="Amount the provider claims from the cover."
    )
    member_paid_at_provider = fields.Monetary(
        string="Paid by the Member at the Provider",
        help="What the member already paid the provider directly, outside the claim: for the record "
        "only (no entry).",
    )
    approved_amount = fields.Monetary(
        string="Covered",
        readonly=True,
        copy=False,
        tracking=True,
        help="What the cover pays the provider, set when the claim is approved.",
    )
    excess_amount = fields.Monetary(
        string="Excess (Family Pays)",
        readonly=True,
        copy=False,
        tracking=True,
        help="Claimed minus covered: charged to the family.",
    )
    excess_collected = fields.Boolean(readonly=True, copy=False, tracking=True)
    state = fields.Selection(
        CLAIM_STATES, default="draft", required=True, tracking=True, index=True, copy=False
    )
    rejection_reason = fields.Text(tracking=True, copy=False)
    move_ids = fields.One2many("account.move", "g2p_claim_id", string="Journal Entries", readonly=True)
    receipt_move_id = fields.Many2one("account.move", readonly=True, copy=False)
    approval_move_id = fields.Many2one("account.move", readonly=True, copy=False)
    excess_move_id = fields.Many2one("account.move", readonly=True, copy=False)
    payment_move_id = fields.Many2one("account.move", readonly=True, copy=False)
    # What the cover's terms say about this claim, shown on the form before and after adjudication.
    category_rule_id = fields.Many2one(
        "g2p.insurance.product.category", compute="_compute_cover_terms", string="Benefit Rule"
    )
    # Computed with the rule rather than related to it: a related field through a non-stored
    # many2one cannot tell which claims to recompute when a rule changes (Odoo warns at every start).
    category_excluded = fields.Boolean(compute="_compute_cover_terms", string="Excluded")
    cap_period = fields.Monetary(compute="_compute_cover_terms", string="Cap per Period")
    cap_instance = fields.Monetary(compute="_compute_cover_terms", string="Cap per Claim")
    waiting_days = fields.Integer(compute="_compute_cover_terms", string="Waiting Days")
    category_left = fields.Char(
        compute="_compute_cover_terms",
        string="Left in the Category",
        help="What the cover can still pay in this category this period (its cap per period minus "
        "the claims approved so far).",
    )
    limit_left = fields.Monetary(
        compute="_compute_cover_terms",
        string="Cover Limit Left",
        help="The cover's total limit minus the claims approved so far (for the member when the "
        "limits are per member).",
    )
    expected_amount = fields.Monetary(
        compute="_compute_expected",
        string="Covered (Expected)",
        help="What approving the claim would let the cover pay today: the claimed amount within "
        "the cap per claim, what is left in the category and the cover limit left.",
    )
    expected_excess = fields.Monetary(
        compute="_compute_expected",
        string="Excess (Expected)",
        help="Claimed minus the expected covered amount: what the family would pay.",
    )
    expected_refusal = fields.Char(
        compute="_compute_expected",
        string="Not Covered Because",
        help="Why the cover would pay nothing: the claim is rejected when received or approved.",
    )
    received_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    adjudicated_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    paid_by_id = fields.Many2one("res.users", readonly=True, copy=False)

    _provider_reference_uniq = models.UniqueIndex(
        "(provider_id, provider_reference_key)",
        "This provider already submitted a claim with this reference.",
    )
    _amounts = models.Constraint(
        "CHECK (claimed_amount > 0 AND member_paid_at_provider >= 0)",
        "The claimed amount must be positive and the amount paid at the provider not negative.",
    )
    _rejected_has_reason = models.Constraint(
        "CHECK (state != 'rejected' OR rejection_reason IS NOT NULL)", "A rejected claim must have a reason."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "claimed_amount" in vals and vals["claimed_amount"] <= 0:
                raise ValidationError(_("The claimed amount must be positive."))
            if vals.get("provider_reference"):
                vals["provider_reference"] = vals["provider_reference"].strip()
            if vals.get("provider_id") and vals.get("provider_reference"):
                self._check_not_submitted(vals["provider_id"], vals["provider_reference"])
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"]
                    # The year in the reference is the record's own (%(year)s reads this context
                    # key; sequence_date alone only picks a date range).
                    .with_context(ir_sequence_date=vals.get("date_received"))
                    .next_by_code("g2p.insurance.claim", sequence_date=vals.get("date_received"))
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        _check_protected_write(self, vals, CLAIM_SYSTEM_FIELDS, CLAIM_DRAFT_FIELDS)
        if vals.get("provider_reference"):
            vals["provider_reference"] = vals["provider_reference"].strip()
        if vals.get("provider_reference") or vals.get("provider_id"):
            for claim in self:
                claim._check_not_submitted(
                    vals.get("provider_id", claim.provider_id.id),
                    vals.get("provider_reference", claim.provider_reference),
                    exclude=claim,
                )
        return super().write(vals)

    @api.depends("reimbursement", "provider_id", "member_id")
    def _compute_payee_id(self):
        for claim in self:
            claim.payee_id = claim.member_id if claim.reimbursement else claim.provider_id

    @api.depends("provider_reference")
    def _compute_provider_reference_key(self):
        for claim in self:
            claim.provider_reference_key = normalize_provider_reference(claim.provider_reference)

    @api.model
    def _check_not_submitted(self, provider_id, reference, exclude=None):
        """Refuse a claim number the provider already used (case and spaces ignored), naming the
        claim that has it: the database's unique index would only say "duplicate"."""
        domain = [
            ("provider_id", "=", provider_id),
            ("provider_reference_key", "=", normalize_provider_reference(reference)),
        ]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        existing = self.sudo().search(domain, limit=1)
        if existing:
            raise ValidationError(
                _(
                    "This provider already submitted claim %(reference)s (%(claim)s): a claim is received "
                    "once.",
                    reference=existing.provider_reference,
                    claim=existing.name,
                )
            )

    @api.depends("name")
    def _compute_display_name(self):
        for claim in self:
            claim.display_name = claim.name if claim.name and claim.name != "/" else _("New Claim")

    @api.depends(
        "policy_id.product_id.category_rule_ids",
        "policy_id.product_id.category_rule_ids.excluded",
        "policy_id.product_id.category_rule_ids.cap_period",
        "policy_id.product_id.category_rule_ids.cap_instance",
        "policy_id.product_id.category_rule_ids.waiting_days",
        "category_id",
        "member_id",
        "policy_id.claim_ids.state",
        "policy_id.claim_ids.approved_amount",
    )
    def _compute_cover_terms(self):
        for claim in self:
            policy = claim.policy_id
            rule = policy.product_id._rule_for(claim.category_id) if policy.product_id else False
            claim.category_rule_id = rule
            claim.category_excluded = rule.excluded if rule else False
            claim.cap_period = rule.cap_period if rule else 0.0
            claim.cap_instance = rule.cap_instance if rule else 0.0
            claim.waiting_days = rule.waiting_days if rule else 0
            if not policy.product_id:
                claim.limit_left = 0.0
                claim.category_left = False
                continue
            member = claim.member_id if policy.product_id.limit_type == "member" else None
            claim.limit_left = policy._remaining_total(member)
            if not claim.category_id:
                claim.category_left = False
            elif not rule:
                claim.category_left = _("Not covered")
            elif rule.excluded:
                claim.category_left = _("Excluded")
            else:
                left = policy._remaining_category(claim.category_id, member)
                claim.category_left = (
                    _("No cap") if left is None else format_amount(self.env, left, claim.currency_id)
                )

    @api.depends(
        "state",
        "policy_id",
        "member_id",
        "category_id",
        "date_service",
        "claimed_amount",
        "policy_id.claim_ids.state",
        "policy_id.claim_ids.approved_amount",
    )
    def _compute_expected(self):
        for claim in self:
            claim.expected_amount = claim.expected_excess = 0.0
            claim.expected_refusal = False
            ready = claim.policy_id and claim.member_id and claim.category_id and claim.date_service
            rounding = claim.currency_id.rounding or 0.01
            if (
                claim.state not in ("draft", "received")
                or not ready
                or float_compare(claim.claimed_amount, 0.0, precision_rounding=rounding) <= 0
            ):
                continue
            approved, reason = claim._adjudicate()
            claim.expected_amount = approved
            claim.expected_excess = claim.currency_id.round(claim.claimed_amount - approved)
            claim.expected_refusal = reason

    @api.onchange("policy_id")
    def _onchange_policy_id(self):
        if self.member_id and self.member_id not in self.policy_id.member_ids:
            self.member_id = False

    @api.constrains("claimed_amount", "member_paid_at_provider")
    def _check_amounts(self):
        for claim in self:
            rounding = claim.currency_id.rounding or 0.01
            if float_compare(claim.claimed_amount, 0.0, precision_rounding=rounding) <= 0:
                raise ValidationError(_("The claimed amount must be positive."))
            if float_compare(claim.member_paid_at_provider, 0.0, precision_rounding=rounding) < 0:
                raise ValidationError(_("The amount paid at the provider cannot be negative."))

    @api.constrains("member_id", "policy_id")
    def _check_member(self):
        for claim in self:
            if claim.member_id not in claim.policy_id.member_ids:
                raise ValidationError(
                    _(
                        "%(member)s is not covered by %(cover)s.",
                        member=claim.member_id.name,
                        cover=claim.policy_id.name,
                    )
                )

    @api.constrains("reimbursement", "payee_id", "policy_id")
    def _check_payee(self):
        for claim in self.filtered("reimbursement"):
            if claim.payee_id not in claim.policy_id.member_ids | claim.policy_id.holder_id:
                raise ValidationError(
                    _(
                        "A reimbursement is paid to a person of the cover %(cover)s, not to %(payee)s.",
                        cover=claim.policy_id.name,
                        payee=claim.payee_id.name or "-",
                    )
                )

    # ------------------------------------------------------------------ adjudication

    def _adjudicate(self):
        """Return (approved amount, rejection reason or False) under the rules of the product:
        approved = min(claimed, category cap left, instance cap, total limit left)."""
        self.ensure_one()
        policy, product, currency = self.policy_id, self.policy_id.product_id, self.currency_id
        claimed = currency.round(self.claimed_amount)
        if float_compare(claimed, 0.0, precision_rounding=currency.rounding) <= 0:
            raise ValidationError(_("The claimed amount must be positive."))
        refusal = policy._claim_refusal(self.date_service, self.date_received)
        if refusal:
            return 0.0, refusal
        rule = product._rule_for(self.category_id)
        if not rule:
            return 0.0, _(
                "%(category)s is not covered by %(product)s.",
                category=self.category_id.name,
                product=product.name,
            )
        if rule.excluded:
            return 0.0, _(
                "%(category)s is excluded from %(product)s.",
                category=self.category_id.name,
                product=product.name,
            )
        if rule.waiting_days and self.date_service < policy.date_start + relativedelta(
            days=rule.waiting_days
        ):
            return 0.0, _(
                "The service falls within the %(days)s-day waiting period of %(category)s.",
                days=rule.waiting_days,
                category=self.category_id.name,
            )
        member = self.member_id if product.limit_type == "member" else None
        candidates = [claimed, policy._remaining_total(member)]
        category_left = policy._remaining_category(self.category_id, member)
        if category_left is not None:
            candidates.append(category_left)
        if rule.cap_instance:
            candidates.append(rule.cap_instance)
        approved = currency.round(min(candidates))
        if currency.is_zero(approved):
            return 0.0, _(
                "The limits of the cover are exhausted for %(category)s.", category=self.category_id.name
            )
        return approved, False

    # ------------------------------------------------------------------ helpers

    def _check_group(self, group, what):
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(_("You are not allowed to %(what)s.", what=what))

    def _move_vals(self, journal, date, ref, lines, event):
        vals = self.policy_id._move_vals(journal, date, ref, lines, event)
        vals["g2p_claim_id"] = self.id
        return vals

    def _reconcile(self, account):
        lines = self.sudo().move_ids.line_ids.filtered(
            lambda line: line.account_id == account and not line.reconciled and line.parent_state == "posted"
        )
        balance = sum(lines.mapped("amount_residual"))
        if len(lines) > 1 and self.currency_id.is_zero(balance):
            lines.reconcile()

    def _g2p_write_state(self, vals):
        self.with_context(g2p_insurance_internal=True).write(vals)

    def _set_rejected(self, reason, date):
        if not reason:
            raise UserError(_("Give the reason of the rejection."))
        rejected = self._g2p_transition(
            "rejected",
            {"draft", "received"},
            {"rejection_reason": reason, "date_adjudicated": date, "adjudicated_by_id": self.env.user.id},
        )
        for claim in rejected:  # a repeated rejection tells the family nothing new
            claim.message_post_with_source(
                "g2p_insurance_accounting.mail_template_claim_rejected",
                subtype_xmlid="mail.mt_comment",
                partner_ids=claim.holder_id.ids,
            )

    # ------------------------------------------------------------------ actions

    def _amount(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _rejected_notification(self):
        return notification(
            _("Claim rejected"),
            _(
                "Claim %(claim)s is rejected: %(reason)s The holder is notified.",
                claim=self.name,
                reason=self.rejection_reason,
            ),
            kind="warning",
        )

    def action_receive(self):
        """The Receive button: received on the claim's date of receipt."""
        self._receive()
        if self.state == "rejected":
            return self._rejected_notification()
        return notification(
            _("Claim received"),
            _(
                "Claim %(claim)s is received: %(amount)s claimed by %(provider)s is posted to the "
                "ledger. Approve it to let the cover pay.",
                claim=self.name,
                amount=self._amount(self.claimed_amount),
                provider=self.provider_id.name,
            ),
        )

    def _receive(self, date=None):
        """Register the claim: Dr family shared account / Cr provider payable for the claimed amount.
        A claim the cover cannot pay at all (excluded, waiting period, limit exhausted, cover not
        active) is rejected at once with its reason, and nothing is posted."""
        self._check_group(CLAIMS_GROUP, _("receive claims"))
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Claim %(claim)s was already received.", claim=self.name))
        date = date or self.date_received
        approved, reason = self._adjudicate()
        if reason:
            self._set_rejected(reason, date)
            return self.env["account.move"]
        accounts = self.policy_id.product_id._get_accounts()
        amount = self.currency_id.round(self.claimed_amount)
        move = self.env["account.move"]._g2p_post(
            [
                self._move_vals(
                    accounts["journal"],
                    date,
                    _("Claim %(claim)s received", claim=self.name),
                    [
                        (accounts["family"], self.holder_id, amount, 0.0),
                        (accounts["payable"], self.payee_id or self.provider_id, 0.0, amount),
                    ],
                    "ins_claim_received",
                )
            ]
        )
        self._g2p_transition(
            "received",
            {"draft"},
            {"receipt_move_id": move.id, "date_received": date, "received_by_id": self.env.user.id},
        )
        return move

    def action_approve(self):
        """The Approve button: adjudicated today."""
        self._approve()
        if self.state == "rejected":
            return self._rejected_notification()
        if self.currency_id.is_zero(self.excess_amount):
            excess = _("no excess for the family")
        else:
            excess = _("excess of %(excess)s charged to the family", excess=self._amount(self.excess_amount))
        return notification(
            _("Claim approved"),
            _(
                "Claim %(claim)s is approved: the cover pays %(approved)s to %(provider)s; %(excess)s.",
                claim=self.name,
                approved=self._amount(self.approved_amount),
                provider=self.provider_id.name,
                excess=excess,
            ),
        )

    def _approve(self, date=None):
        """Adjudicate: Dr medical claims expense / Cr family shared account for the approved amount;
        the rest is the excess, charged to the family."""
        self._check_group(CLAIMS_GROUP, _("approve claims"))
        self.ensure_one()
        if self.state != "received":
            raise UserError(_("Only received claims can be approved (%(claim)s).", claim=self.name))
        date = date or fields.Date.context_today(self)
        approved, reason = self._adjudicate()
        if reason:
            return self._reject(reason, date)
        accounts = self.policy_id.product_id._get_accounts()
        excess = self.currency_id.round(self.claimed_amount - approved)
        move = self.env["account.move"]._g2p_post(
            [
                self._move_vals(
                    accounts["journal"],
                    date,
                    _("Claim %(claim)s approved", claim=self.name),
                    [
                        (accounts["expense"], self.holder_id, approved, 0.0),
                        (accounts["family"], self.holder_id, 0.0, approved),
                    ],
                    "ins_claim_approved",
                )
            ]
        )
        self._g2p_transition(
            "approved",
            {"received"},
            {
                "approval_move_id": move.id,
                "approved_amount": approved,
                "excess_amount": excess,
                "excess_collected": self.currency_id.is_zero(excess),
                "date_adjudicated": date,
                "adjudicated_by_id": self.env.user.id,
            },
        )
        self._reconcile(accounts["family"])
        for claim in self:
            claim.message_post_with_source(
                "g2p_insurance_accounting.mail_template_claim_approved",
                subtype_xmlid="mail.mt_comment",
                partner_ids=claim.holder_id.ids,
            )
        return move

    def action_open_reject_wizard(self):
        self._check_group(CLAIMS_GROUP, _("reject claims"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject Claim"),
            "res_model": "g2p.insurance.claim.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_claim_id": self.id},
        }

    def _reject(self, reason=None, date=None):
        """Reject with a reason. A received claim's receipt entry is reversed (never deleted)."""
        self._check_group(CLAIMS_GROUP, _("reject claims"))
        self.ensure_one()
        reason = reason or self.rejection_reason
        date = date or fields.Date.context_today(self)
        reversal = self.env["account.move"]
        if self.state == "received" and self.receipt_move_id:
            receipt = self.receipt_move_id.sudo()
            journal = receipt.journal_id
            if journal.company_id._get_violated_lock_dates(date, False, journal):
                raise UserError(
                    _("The period of %(date)s is locked: the receipt cannot be reversed then.", date=date)
                )
            reversal = receipt._reverse_moves(
                [
                    {
                        "date": date,
                        "ref": _("Claim %(claim)s rejected", claim=self.name),
                        "g2p_event": "ins_claim_rejected",
                        "g2p_claim_id": self.id,
                        "g2p_policy_id": self.policy_id.id,
                    }
                ],
                cancel=True,
            )
        self._set_rejected(reason, date)
        return reversal

    def action_collect_excess(self):
        """The Collect Excess button: collected today."""
        self._collect_excess()
        return notification(
            _("Excess collected"),
            _(
                "Excess of %(amount)s collected from %(holder)s for claim %(claim)s.",
                amount=self._amount(self.excess_amount),
                holder=self.holder_id.name,
                claim=self.name,
            ),
        )

    def _collect_excess(self, date=None):
        """Excess collected from the family: Dr bank / Cr family shared account."""
        self._check_group(FINANCE_GROUP, _("collect excesses"))
        self.ensure_one()
        if self.state not in ("approved", "paid") or self.excess_collected:
            raise UserError(_("Claim %(claim)s has no excess to collect.", claim=self.name))
        date = date or fields.Date.context_today(self)
        accounts = self.policy_id.product_id._get_accounts()
        amount = self.excess_amount
        move = self.env["account.move"]._g2p_post(
            [
                self._move_vals(
                    accounts["bank_journal"],
                    date,
                    _("Excess of claim %(claim)s", claim=self.name),
                    [
                        (accounts["bank"], self.holder_id, amount, 0.0),
                        (accounts["family"], self.holder_id, 0.0, amount),
                    ],
                    "ins_excess",
                )
            ]
        )
        self.with_context(g2p_insurance_internal=True).write(
            {"excess_move_id": move.id, "excess_collected": True}
        )
        self._reconcile(accounts["family"])
        return move

    def action_pay_provider(self):
        """The Pay Provider button: paid today."""
        move = self._pay_provider()
        return notification(
            _("Provider paid"),
            _(
                "%(amount)s paid to %(provider)s for claim %(claim)s.",
                amount=self._amount(move.sudo().amount_total),
                provider=self.provider_id.name,
                claim=self.name,
            ),
        )

    def _payable_residual(self):
        """What the claim's receipt still leaves payable (its provider payable item's residual)."""
        self.ensure_one()
        payable = self.policy_id.product_id._get_accounts()["payable"]
        items = self.receipt_move_id.sudo().line_ids.filtered(lambda line: line.account_id == payable)
        return self.currency_id.round(-sum(items.mapped("amount_residual")))

    def _payable_partner(self):
        """The partners the claims of ``self`` are payable to (the receipt's payable items)."""
        return self.mapped(lambda claim: claim.payee_id or claim.provider_id)

    def _pay_provider(self, date=None, journal=None, credit_account=None, ref=None):
        """Pay in full the claims of ``self`` (one payee: a provider, or a member reimbursed): one
        entry, Dr provider payable per claim / Cr the bank (or ``credit_account`` on ``journal``,
        e.g. the PSP clearing account when a processor paid), each claim's payable reconciled."""
        self._check_group(FINANCE_GROUP, _("pay providers"))
        if not self:
            raise UserError(_("No claim to pay."))
        payee = self._payable_partner()
        if len(payee) != 1 or len(self.company_id) != 1:
            raise UserError(_("One payment pays the claims of one payee in one company."))
        unpaid = self.filtered(lambda claim: claim.state != "approved")
        if unpaid:
            raise UserError(_("Only approved claims can be paid (%(claim)s).", claim=unpaid[0].name))
        date = date or fields.Date.context_today(self)
        first = self[0]
        accounts = first.policy_id.product_id._get_accounts()
        debits = []
        for claim in self:
            payable = claim.policy_id.product_id._get_accounts()["payable"]
            debits.append((payable, claim._payable_partner(), claim._payable_residual(), 0.0))
        total = first.currency_id.round(sum(debit[2] for debit in debits))
        move = self.env["account.move"]._g2p_post(
            [
                first._move_vals(
                    journal or accounts["bank_journal"],
                    date,
                    ref
                    or (
                        _("Payment of claim %(claim)s", claim=first.name)
                        if len(self) == 1
                        else _(
                            "Payment of %(count)s claims of %(provider)s",
                            count=len(self),
                            provider=payee.name,
                        )
                    ),
                    [*debits, (credit_account or accounts["bank"], payee, 0.0, total)],
                    "ins_provider_payment",
                )
            ]
        )
        self._g2p_transition(
            "paid",
            {"approved"},
            {"payment_move_id": move.id, "date_paid": date, "paid_by_id": self.env.user.id},
        )
        # The entry's payable items are in the claims' order: each cleared with its own claim's.
        items = move.sudo().line_ids.filtered(lambda line: line.debit).sorted("id")
        for claim, item in zip(self, items, strict=True):
            payables = claim.receipt_move_id.sudo().line_ids.filtered(
                lambda line, account=item.account_id: line.account_id == account and not line.reconciled
            )
            (payables + item).reconcile()
        return move
