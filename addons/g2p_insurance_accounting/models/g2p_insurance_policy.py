from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero, format_amount, format_date
from odoo.tools.translate import LazyTranslate

from odoo.addons.g2p_registry.tools.notify import notification

_lt = LazyTranslate(__name__)

POLICY_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
]
FINANCE_GROUP = "g2p_insurance_accounting.group_g2p_insurance_finance"
CLAIMS_GROUP = "g2p_insurance_accounting.group_g2p_claims_officer"
CONSUMING_CLAIM_STATES = ("approved", "paid")
CANCELLABLE_STATES = {"draft", "active", "suspended"}
# Set by the workflow only (they mirror posted entries), and fields frozen once the cover is active.
POLICY_SYSTEM_FIELDS = {
    "state",
    "premium_paid",
    "premium_move_id",
    "suspended_date",
    "cancel_date",
    "in_force_until",
    "refund_amount",
    "refund_move_id",
    "refund_payment_move_id",
    "refund_paid",
}
POLICY_DRAFT_FIELDS = {
    "product_id",
    "holder_id",
    "member_ids",
    "payer_id",
    "date_start",
    "date_end",
    "premium_amount",
    "company_id",
}


def _check_protected_write(records, vals, system_fields, draft_fields):
    """Workflow fields change through the actions only; the terms freeze after draft."""
    if records.env.context.get("g2p_insurance_internal"):
        return
    if system := system_fields.intersection(vals):
        raise AccessError(
            _("%(fields)s can only change through the workflow actions.", fields=", ".join(sorted(system)))
        )
    frozen = draft_fields.intersection(vals)
    if frozen and any(record.state != "draft" for record in records):
        raise UserError(_("%(fields)s cannot change once out of draft.", fields=", ".join(sorted(frozen))))


class G2PInsurancePolicy(models.Model):
    _name = "g2p.insurance.policy"
    _description = "Health Insurance Cover"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "date_start desc, id desc"
    _g2p_state_label = _lt("Cover")
    _check_company_auto = True
    # A claims officer finds the cover by its holder or a member as well as by its reference.
    _rec_names_search = ["name", "holder_id.name", "member_ids.name"]

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one(
        "g2p.insurance.product", required=True, check_company=True, tracking=True, ondelete="restrict"
    )
    holder_id = fields.Many2one(
        "res.partner",
        string="Holder",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_registrant', '=', True)]",
        help="The household (family cover) or individual holding the cover. Its partner carries the "
        "family shared account sub-ledger.",
    )
    member_ids = fields.Many2many(
        "res.partner",
        "g2p_insurance_policy_member_rel",
        "policy_id",
        "partner_id",
        string="Covered Members",
        domain="[('is_registrant', '=', True), ('is_group', '=', False)]",
    )
    payer_id = fields.Many2one(
        "res.partner",
        string="Third-party Payer",
        tracking=True,
        index="btree_not_null",
        help="Pays the premium instead of the holder, e.g. an employer.",
    )
    premium_partner_id = fields.Many2one(
        "res.partner", compute="_compute_premium_partner_id", string="Premium Invoiced To"
    )
    date_start = fields.Date(string="Covered From", required=True, tracking=True)
    date_end = fields.Date(
        string="Covered Until",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="Last day of the cover: the start plus the product's period, by default.",
    )
    state = fields.Selection(
        POLICY_STATES, default="draft", required=True, tracking=True, index=True, copy=False
    )
    premium_amount = fields.Monetary(
        compute="_compute_premium_amount",
        store=True,
        readonly=False,
        tracking=True,
        precompute=True,
        required=True,
    )
    premium_paid = fields.Boolean(readonly=True, copy=False, tracking=True)
    premium_move_id = fields.Many2one("account.move", readonly=True, copy=False, string="Premium Entry")
    move_ids = fields.One2many("account.move", "g2p_policy_id", string="Journal Entries", readonly=True)
    premium_residual = fields.Monetary(compute="_compute_premium_residual", string="Premium Due")
    suspended_date = fields.Date(readonly=True, copy=False)
    cancel_date = fields.Date(readonly=True, copy=False)
    in_force_until = fields.Date(
        readonly=True,
        copy=False,
        help="Set when the cover ends (cancelled or expired): the last day its services were covered. "
        "Claims for services up to that day are still paid if they arrive within the product's run-off.",
    )
    refund_amount = fields.Monetary(readonly=True, copy=False)
    refund_move_id = fields.Many2one("account.move", readonly=True, copy=False, string="Refund Entry")
    refund_payment_move_id = fields.Many2one(
        "account.move", readonly=True, copy=False, string="Refund Payment"
    )
    refund_paid = fields.Boolean(readonly=True, copy=False)
    claim_ids = fields.One2many("g2p.insurance.claim", "policy_id", string="Claims")
    limit_type = fields.Selection(related="product_id.limit_type")
    limit_used = fields.Monetary(
        compute="_compute_limits",
        string="Family Limit Used",
        help="Approved claims of the period against the cover's overall limit (per member: the first "
        "member's; the table shows each member).",
    )
    limit_remaining = fields.Monetary(compute="_compute_limits", string="Family Limit Left")
    limit_summary = fields.Html(compute="_compute_limits", string="Remaining Limits", sanitize=False)

    _name_company_uniq = models.UniqueIndex(
        "(company_id, name) WHERE name != '/'", "Cover references must be unique per company."
    )
    _dates = models.Constraint("CHECK (date_end >= date_start)", "A cover cannot end before it starts.")
    _premium_positive = models.Constraint("CHECK (premium_amount >= 0)", "The premium cannot be negative.")

    # ------------------------------------------------------------------ computes

    @api.depends("name", "holder_id.name")
    def _compute_display_name(self):
        for policy in self:
            if policy.holder_id and policy.name and policy.name != "/":
                policy.display_name = "%s · %s" % (policy.name, policy.holder_id.name)
            else:
                policy.display_name = policy.name or policy.holder_id.name

    @api.depends("payer_id", "holder_id")
    def _compute_premium_partner_id(self):
        for policy in self:
            policy.premium_partner_id = policy.payer_id or policy.holder_id

    @api.depends("date_start", "product_id.period_months")
    def _compute_date_end(self):
        for policy in self:
            if policy.date_start and policy.product_id:
                months = policy.product_id.period_months
                policy.date_end = policy.date_start + relativedelta(months=months, days=-1)
            elif not policy.date_end:
                policy.date_end = policy.date_start

    @api.depends("product_id")
    def _compute_premium_amount(self):
        for policy in self:
            policy.premium_amount = policy.product_id.premium

    @api.depends("move_ids.line_ids.amount_residual")
    def _compute_premium_residual(self):
        for policy in self:
            lines = policy.sudo().move_ids.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
                and line.parent_state == "posted"
            )
            policy.premium_residual = sum(lines.mapped("amount_residual"))

    @api.depends("claim_ids.state", "claim_ids.approved_amount", "product_id", "member_ids")
    def _compute_limits(self):
        for policy in self:
            if not policy.product_id:
                policy.limit_used = policy.limit_remaining = 0
                policy.limit_summary = False
                continue
            member = policy.member_ids[:1] if policy.product_id.limit_type == "member" else None
            policy.limit_used = policy._used_amount(member=member)
            policy.limit_remaining = policy._remaining_total(member)
            policy.limit_summary = policy._limit_summary_html()

    # ------------------------------------------------------------------ limits

    def _consuming_claims(self, category=None, member=None):
        self.ensure_one()
        claims = self.claim_ids.filtered(lambda c: c.state in CONSUMING_CLAIM_STATES)
        if category:
            claims = claims.filtered(lambda c: c.category_id == category)
        if member and self.product_id.limit_type == "member":
            claims = claims.filtered(lambda c: c.member_id == member)
        return claims

    def _used_amount(self, category=None, member=None):
        return self.currency_id.round(sum(self._consuming_claims(category, member).mapped("approved_amount")))

    def _remaining_total(self, member=None):
        return max(
            self.currency_id.round(self.product_id.total_limit - self._used_amount(member=member)), 0.0
        )

    def _remaining_category(self, category, member=None):
        """What the cover can still pay in the category this period, or None without a period cap."""
        rule = self.product_id._rule_for(category)
        if rule.excluded:
            return 0.0
        if not rule.cap_period:
            return None
        return max(self.currency_id.round(rule.cap_period - self._used_amount(category, member)), 0.0)

    def _cap_label(self, amount):
        """A cap as read by people: 0 means there is none."""
        return _("No cap") if not amount else format_amount(self.env, amount, self.currency_id)

    def _limit_summary_html(self):
        self.ensure_one()
        members = self.member_ids if self.product_id.limit_type == "member" else [None]
        row = Markup("<tr>%s</tr>")
        cell = Markup("<td>%s</td>")
        rows = []
        for member in members:
            who = member.name if member else _("Family")
            total = format_amount(self.env, self._remaining_total(member), self.currency_id)
            limit = format_amount(self.env, self.product_id.total_limit, self.currency_id)
            used = format_amount(self.env, self._used_amount(member=member), self.currency_id)
            rows.append(
                row % Markup("").join(cell % v for v in (who, _("Total"), limit, "—", "—", used, total))
            )
            for rule in self.product_id.category_rule_ids:
                if rule.excluded:
                    values = (_("Excluded"), _("Excluded"), "—", "—", _("Excluded"))
                else:
                    remaining = self._remaining_category(rule.category_id, member)
                    left = (
                        _("No cap")
                        if remaining is None
                        else format_amount(self.env, remaining, self.currency_id)
                    )
                    waiting = _("%s days", rule.waiting_days) if rule.waiting_days else "—"
                    used = self._used_amount(rule.category_id, member)
                    values = (
                        self._cap_label(rule.cap_period),
                        self._cap_label(rule.cap_instance),
                        waiting,
                        format_amount(self.env, used, self.currency_id),
                        left,
                    )
                rows.append(row % Markup("").join(cell % v for v in (who, rule.category_id.name, *values)))
        header = row % Markup("").join(
            Markup("<th>%s</th>") % label
            for label in (
                _("Member"),
                _("Category"),
                _("Cap per Period"),
                _("Cap per Claim"),
                _("Waiting Period"),
                _("Used this Period"),
                _("Left this Period"),
            )
        )
        return Markup('<table class="table table-sm">%s%s</table>') % (header, Markup("").join(rows))

    # ------------------------------------------------------------------ constraints / create

    @api.constrains("member_ids", "holder_id")
    def _check_members(self):
        for policy in self:
            holder = policy.holder_id
            allowed = (
                holder
                if not holder.is_group
                else holder.group_membership_ids.filtered("is_current").individual_id
            )
            outsiders = policy.member_ids - allowed
            if outsiders:
                raise ValidationError(
                    _(
                        "%(members)s cannot be covered by %(cover)s: only the holder or current members "
                        "of the holder household can be.",
                        members=", ".join(outsiders.mapped("name")),
                        cover=policy.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"]
                    # The year in the reference is the record's own (%(year)s reads this context
                    # key; sequence_date alone only picks a date range).
                    .with_context(ir_sequence_date=vals.get("date_start"))
                    .next_by_code("g2p.insurance.policy", sequence_date=vals.get("date_start"))
                    or "/"
                )
        policies = super().create(vals_list)
        for policy in policies.filtered(lambda p: not p.member_ids):
            holder = policy.holder_id
            members = (
                holder.group_membership_ids.filtered("is_current").individual_id
                if holder.is_group
                else holder
            )
            policy.member_ids = [Command.set(members.ids)]
        return policies

    def write(self, vals):
        _check_protected_write(self, vals, POLICY_SYSTEM_FIELDS, POLICY_DRAFT_FIELDS)
        return super().write(vals)

    def _internal_write(self, vals):
        return self.with_context(g2p_insurance_internal=True).write(vals)

    # ------------------------------------------------------------------ helpers

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(_("Only insurance finance officers can handle premiums, refunds and payments."))

    def _g2p_write_state(self, vals):
        self._internal_write(vals)

    def _set_active(self):
        return self._g2p_transition("active", {"draft", "suspended"}, {"suspended_date": False})

    def _set_suspended(self, date=None):
        return self._g2p_transition(
            "suspended", {"active"}, {"suspended_date": date or fields.Date.context_today(self)}
        )

    def _set_cancelled(self, date):
        # A draft cover was never in force; a suspended one stopped covering when it was suspended.
        for policy in self.filtered(lambda p: p.state in ("active", "suspended")):
            policy._internal_write({"in_force_until": policy._last_covered_day(date)})
        return self._g2p_transition("cancelled", CANCELLABLE_STATES, {"cancel_date": date})

    def _set_expired(self):
        for policy in self.filtered(lambda p: p.state in ("active", "suspended")):
            policy._internal_write({"in_force_until": policy._last_covered_day()})
        return self._g2p_transition("expired", {"active", "suspended"})

    def _last_covered_day(self, end=None):
        """The last day of services the cover pays for if it ends now (``end``: the day it stops)."""
        self.ensure_one()
        stops = [d for d in (end, self.suspended_date) if d]
        last = min(stops) - relativedelta(days=1) if stops else self.date_end
        return min(last, self.date_end)

    def _claim_refusal(self, date_service, date_received):
        """Why the cover does not pay a claim for a service on ``date_service`` received on
        ``date_received``, or False. A cancelled or expired cover still pays for the services of
        its time in force, when the claim arrives within the product's run-off period."""
        self.ensure_one()
        if self.state == "active":
            last_day = self.date_end
        elif self.state in ("cancelled", "expired") and self.in_force_until:
            last_day = self.in_force_until
            runoff_end = last_day + relativedelta(days=self.product_id.claim_runoff_days)
            if date_service <= last_day and date_received > runoff_end:
                return _(
                    "The cover %(cover)s ended on %(day)s; claims for its services had to arrive within "
                    "%(days)s days, by %(limit)s.",
                    cover=self.name,
                    day=format_date(self.env, last_day),
                    days=self.product_id.claim_runoff_days,
                    limit=format_date(self.env, runoff_end),
                )
        else:
            return _("The cover %(cover)s is not active.", cover=self.name)
        if not (self.date_start <= date_service <= last_day):
            return _("The service date is outside the cover period.")
        return False

    def _move_vals(self, journal, date, ref, lines, event):
        """lines: (account, partner, debit, credit) tuples; event: the entry's ``g2p_event``."""
        self.ensure_one()
        return {
            "journal_id": journal.id,
            "date": date,
            "ref": ref,
            "g2p_event": event,
            "g2p_policy_id": self.id,
            "line_ids": [
                Command.create(
                    {
                        "account_id": account.id,
                        "partner_id": partner.id,
                        "debit": debit,
                        "credit": credit,
                        "name": ref,
                    }
                )
                for account, partner, debit, credit in lines
            ],
        }

    def _check_amount(self, amount, maximum=None):
        currency = self.currency_id
        if amount is None or float_compare(amount, 0.0, precision_rounding=currency.rounding) <= 0:
            raise ValidationError(_("The amount must be positive."))
        if maximum is not None and float_compare(amount, maximum, precision_rounding=currency.rounding) > 0:
            raise ValidationError(
                _(
                    "The amount %(amount)s is more than the %(due)s due.",
                    amount=format_amount(self.env, amount, currency),
                    due=format_amount(self.env, maximum, currency),
                )
            )
        return currency.round(amount)

    def _notify(self, template_xmlid, partner):
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if template and partner:
            for record in self:
                record.message_post_with_source(
                    template, subtype_xmlid="mail.mt_comment", partner_ids=partner.ids
                )

    # ------------------------------------------------------------------ actions

    def action_activate(self):
        """Start the cover: the premium is invoiced to the payer (Dr premium receivable / Cr income)."""
        self._check_finance()
        todo = self._g2p_transition_todo("active", {"draft"}, why=_("Only draft covers can be activated."))
        vals_list = []
        for policy in todo:
            if not policy.member_ids:
                raise UserError(_("Cover %(cover)s covers nobody.", cover=policy.name))
            if policy.holder_id.registrant_state != "active":
                raise UserError(
                    _("The holder of %(cover)s must be an approved registrant.", cover=policy.name)
                )
        for policy in todo:
            amount = policy.currency_id.round(policy.premium_amount)
            if float_is_zero(amount, precision_rounding=policy.currency_id.rounding):
                continue
            accounts = policy.product_id._get_accounts()
            partner = policy.premium_partner_id
            vals_list.append(
                policy._move_vals(
                    accounts["journal"],
                    policy.date_start,
                    _("Premium %(cover)s", cover=policy.name),
                    [
                        (accounts["receivable"], partner, amount, 0.0),
                        (accounts["income"], partner, 0.0, amount),
                    ],
                    "ins_premium",
                )
            )
        moves = self.env["account.move"]._g2p_post(vals_list)
        for policy in todo:
            move = moves.filtered(lambda m, p=policy: m.g2p_policy_id == p)
            policy._set_active()
            policy._internal_write({"premium_move_id": move.id, "premium_paid": not move})
            if move:
                policy._notify(
                    "g2p_insurance_accounting.mail_template_premium_due", policy.premium_partner_id
                )
        if not todo:
            return notification(_("Nothing to activate"), _("The cover is already active."), kind="info")
        if len(todo) == 1:
            message = _(
                "Cover %(cover)s is active from %(start)s to %(end)s; premium of %(premium)s invoiced to "
                "%(payer)s.",
                cover=todo.name,
                start=format_date(self.env, todo.date_start),
                end=format_date(self.env, todo.date_end),
                premium=format_amount(self.env, todo.premium_amount, todo.currency_id),
                payer=todo.premium_partner_id.name,
            )
        else:
            message = _("%s covers activated; their premiums are invoiced.", len(todo))
        return notification(_("Cover activated"), message)

    def action_new_claim(self):
        """The New Claim button of a cover: a claim form with the cover filled in."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("New Claim"),
            "res_model": "g2p.insurance.claim",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {"default_policy_id": self.id},
        }

    def action_print_statement(self):
        """The statement of account of the cover's holder (the family, or the insured person);
        a third-party payer's is printed from its contact."""
        self.ensure_one()
        return self.env.ref("g2p_insurance_accounting.action_report_g2p_insurance_statement").report_action(
            self.holder_id
        )

    def action_open_premium_payment_wizard(self):
        self._check_finance()
        return self._open_wizard("g2p.insurance.premium.payment.wizard", _("Register Premium Payment"))

    def action_open_cancel_wizard(self):
        self._check_finance()
        return self._open_wizard("g2p.insurance.policy.cancel.wizard", _("Cancel Cover"))

    def _open_wizard(self, model, name):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_policy_id": self.id},
        }

    def _register_premium_payment(self, amount=None, date=None, debit_account=None, journal=None, ref=None):
        """Premium received: Dr bank (or ``debit_account`` on ``journal``, e.g. the PSP clearing
        account of a mobile-money collection) / Cr premium receivable, reconciled."""
        self._check_finance()
        self.ensure_one()
        if self.state not in ("active", "suspended"):
            raise UserError(_("Premiums are only collected on active or suspended covers."))
        due = self.premium_residual
        amount = self._check_amount(due if amount is None else amount, due)
        date = date or fields.Date.context_today(self)
        accounts = self.product_id._get_accounts()
        partner = self.premium_partner_id
        move = self.env["account.move"]._g2p_post(
            [
                self._move_vals(
                    journal or accounts["bank_journal"],
                    date,
                    ref or _("Premium payment %(cover)s", cover=self.name),
                    [
                        (debit_account or accounts["bank"], partner, amount, 0.0),
                        (accounts["receivable"], partner, 0.0, amount),
                    ],
                    "ins_premium_payment",
                )
            ]
        )
        self._reconcile(accounts["receivable"], move)
        if self.currency_id.is_zero(self.premium_residual):
            self._internal_write({"premium_paid": True})
            if self.state == "suspended":
                self._set_active()
        return move

    def _reconcile(self, account, new_moves):
        """Reconcile the open lines of the cover (or claim) moves on ``account``."""
        lines = (
            (self.sudo().move_ids | new_moves.sudo())
            .sudo()
            .line_ids.filtered(
                lambda line: line.account_id == account
                and not line.reconciled
                and line.parent_state == "posted"
            )
        )
        if len(lines) > 1:
            lines.reconcile()
        self.invalidate_recordset(["premium_residual"])

    def _cancel(self, date=None):
        """Cancel the cover. For time-based products the unused whole months are refunded:
        Dr premium income / Cr premium refundable (or Cr receivable when the premium is still due)."""
        self._check_finance()
        self.ensure_one()
        if not self._g2p_transition_todo("cancelled", CANCELLABLE_STATES):
            return self.env["account.move"]  # already cancelled: nothing to refund again
        date = date or fields.Date.context_today(self)
        if self.state != "draft" and not (self.date_start <= date <= self.date_end):
            raise UserError(_("The cancellation date must fall within the cover period."))
        refund = 0.0
        move = self.env["account.move"]
        if (
            self.state != "draft"
            and self.premium_move_id
            and self.product_id.refund_policy == "unused_months"
        ):
            refund = self._refund_for(date)
        if refund:
            accounts = self.product_id._get_accounts()
            paid_part = self.currency_id.round(self.premium_amount - self.premium_residual)
            to_refundable = min(refund, paid_part)
            to_receivable = self.currency_id.round(refund - to_refundable)
            partner = self.premium_partner_id
            lines = [(accounts["income"], partner, refund, 0.0)]
            if to_refundable:
                lines.append((accounts["refundable"], partner, 0.0, to_refundable))
            if to_receivable:
                lines.append((accounts["receivable"], partner, 0.0, to_receivable))
            move = self.env["account.move"]._g2p_post(
                [
                    self._move_vals(
                        accounts["journal"],
                        date,
                        _("Premium refund %(cover)s", cover=self.name),
                        lines,
                        "ins_refund",
                    )
                ]
            )
            if to_receivable:
                self._reconcile(accounts["receivable"], move)
            refund = to_refundable
        self._set_cancelled(date)
        self._internal_write({"refund_amount": refund, "refund_move_id": move.id, "refund_paid": not refund})
        return move

    def _refund_for(self, date):
        """Unused whole months from ``date`` to the end of the cover x premium / period months."""
        self.ensure_one()
        delta = relativedelta(self.date_end + relativedelta(days=1), date)
        months = delta.years * 12 + delta.months
        period = self.product_id.period_months
        return self.currency_id.round(self.premium_amount * min(months, period) / period)

    def action_pay_refund(self):
        """The Pay Refund button: the refund is paid today."""
        self._pay_refund()
        return notification(
            _("Refund paid"),
            _(
                "Refund of %(amount)s paid to %(payer)s for cover %(cover)s.",
                amount=format_amount(self.env, self.refund_amount, self.currency_id),
                payer=self.premium_partner_id.name,
                cover=self.name,
            ),
        )

    def _pay_refund(self, date=None):
        """Refund paid out: Dr premium refundable / Cr bank, reconciled."""
        self._check_finance()
        self.ensure_one()
        if self.state != "cancelled" or self.refund_paid or not self.refund_amount:
            raise UserError(_("Cover %(cover)s has no refund to pay.", cover=self.name))
        date = date or fields.Date.context_today(self)
        accounts = self.product_id._get_accounts()
        partner = self.premium_partner_id
        amount = self.refund_amount
        move = self.env["account.move"]._g2p_post(
            [
                self._move_vals(
                    accounts["bank_journal"],
                    date,
                    _("Refund payment %(cover)s", cover=self.name),
                    [
                        (accounts["refundable"], partner, amount, 0.0),
                        (accounts["bank"], partner, 0.0, amount),
                    ],
                    "ins_refund_payment",
                )
            ]
        )
        self._reconcile(accounts["refundable"], move)
        self._internal_write({"refund_paid": True, "refund_payment_move_id": move.id})
        self._notify("g2p_insurance_accounting.mail_template_refund_paid", partner)
        return move

    # ------------------------------------------------------------------ crons

    @api.model
    def _cron_check_covers(self, today=None):
        """Suspend active covers whose premium is unpaid after the grace period; expire ended covers."""
        policies = self.sudo()  # a cron: runs for every company, whoever its user is
        today = today or fields.Date.context_today(policies)
        ended = policies.search([("state", "in", ("active", "suspended")), ("date_end", "<", today)])
        ended._set_expired()
        unpaid = policies.search([("state", "=", "active"), ("premium_paid", "=", False)])
        late = unpaid.filtered(lambda p: p.date_start + relativedelta(days=p.product_id.grace_days) < today)
        late._g2p_transition(
            "suspended",
            {"active"},
            {"suspended_date": today},
            message=_("Suspended: the premium is unpaid after the grace period."),
        )
        return late
