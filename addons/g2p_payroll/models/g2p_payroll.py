import logging
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round, format_amount

from .g2p_payroll_line import FINAL_LINE_STATES
from odoo.addons.g2p_registry.tools.notify import notification

_logger = logging.getLogger(__name__)

PAYROLL_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("in_payment", "In Payment"),
    ("reconciled", "Reconciled"),
    ("closed", "Closed"),
    ("cancelled", "Cancelled"),
]
APPROVER_GROUP = "g2p_payroll.group_g2p_payroll_approver"
FINANCE_GROUP = "g2p_payroll.group_g2p_finance_officer"
MANAGER_GROUP = "g2p_program.group_g2p_program_manager"
#: Background stages run in this job channel (listed in odoo.conf's [queue_job] channels).
PAYROLL_JOB_CHANNEL = "root.g2p.payroll"
#: From this many payable items in one entry (posting per beneficiary), the items are written in
#: SQL (``account.move._g2p_post_set_based``) and reconciled in SQL; below it, through the ORM.
#: Low enough that a status job's batch of outcomes (500 by default) takes the SQL path too.
SET_BASED_MIN_LINES = 100


class G2pPayroll(models.Model):
    """The payments of one cycle. Generated set-based from the enrolled members and the benefit
    formula, approved by someone other than its maker, then paid and reconciled; every money
    event posts a balanced entry in the program's benefits journal."""

    _name = "g2p.payroll"
    _description = "Payroll"
    _inherit = ["mail.thread", "mail.activity.mixin", "g2p.state.mixin", "g2p.job.mixin"]
    _order = "id desc"
    _check_company_auto = True
    # Stages run in chunks of ids (see g2p.job.mixin): generation by beneficiary id, approval
    # posting by payroll line id.
    _g2p_job_stages = {
        "generate": {
            "label": lambda self: self.env._("Payment generation"),
            "chunk": "_generate_chunk",
            "finish": "_generate_finish",
            "check": "_check_maker",
            "channel": PAYROLL_JOB_CHANNEL,
        },
        "approve": {
            "label": lambda self: self.env._("Approval posting"),
            "chunk": "_approve_chunk",
            "finish": "_approve_finish",
            "check": "_check_approver",
            "channel": PAYROLL_JOB_CHANNEL,
        },
    }

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    cycle_id = fields.Many2one(
        "g2p.cycle", required=True, ondelete="restrict", index=True, check_company=True, tracking=True
    )
    program_id = fields.Many2one(related="cycle_id.program_id", store=True, index=True)
    company_id = fields.Many2one(related="cycle_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id", store=True)
    payroll_type = fields.Selection(
        [("regular", "Regular"), ("supplementary", "Supplementary")],
        default="regular",
        required=True,
        tracking=True,
        help="Regular: every enrolled member due for the cycle (and failed payments to re-pay). "
        "Supplementary: only re-payments of failed lines.",
    )
    include_repayments = fields.Boolean(
        string="Re-pay Failed Payments",
        default=True,
        help="Add a new payment for each failed payment of earlier payrolls of the program whose "
        "reason allows a retry and that is not re-paid yet.",
    )
    state = fields.Selection(
        PAYROLL_STATES, default="draft", required=True, tracking=True, copy=False, index=True, readonly=True
    )
    date = fields.Date(
        string="Accounting Date",
        default=fields.Date.context_today,
        required=True,
        tracking=True,
        help="Date of the approval entry.",
    )
    line_ids = fields.One2many("g2p.payroll.line", "payroll_id", string="Payments", readonly=True)
    generated_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    generated_date = fields.Datetime(readonly=True, copy=False)
    submitted_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    # Not tracked (an empty old value reads "None → …"): the approval is logged in words.
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    can_approve = fields.Boolean(
        compute="_compute_can_approve",
        help="Whether the current user may approve this payroll: a payroll approver who neither "
        "generated nor submitted it.",
    )
    skipped_count = fields.Integer(
        string="Left Out",
        readonly=True,
        copy=False,
        help="Registrants due a payment but left out at generation (no payment account, not "
        "active in the registry, no longer enrolled): see the list for each one's reason.",
    )
    skipped_ids = fields.One2many(
        "g2p.payroll.skipped", "payroll_id", string="Registrants Left Out", readonly=True
    )
    move_ids = fields.One2many("account.move", "g2p_payroll_id", string="Journal Entries", readonly=True)
    move_count = fields.Integer(compute="_compute_move_count")
    is_prefunded = fields.Boolean(
        compute="_compute_move_count",
        string="Funds Transferred",
        help="The approved amounts were transferred from the bank to the PSPs.",
    )
    psp_summary_ids = fields.One2many(
        "g2p.payroll.psp.summary", "payroll_id", string="Totals by PSP", readonly=True
    )

    line_count = fields.Integer(compute="_compute_totals", string="Payment Count")
    total_amount = fields.Monetary(compute="_compute_totals", string="Total")
    paid_count = fields.Integer(compute="_compute_totals", string="Paid")
    paid_amount = fields.Monetary(compute="_compute_totals")
    failed_count = fields.Integer(compute="_compute_totals", string="Failed")
    failed_amount = fields.Monetary(compute="_compute_totals")
    open_count = fields.Integer(compute="_compute_totals", string="Awaiting Outcome")
    cancelled_count = fields.Integer(compute="_compute_totals", string="Cancelled")
    progress = fields.Float(compute="_compute_totals", help="Share of payments with a final outcome.")

    _name_uniq = models.UniqueIndex("(name)", "Payroll references are unique.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("g2p.payroll") or _("New")
        return super().create(vals_list)

    def _compute_move_count(self):
        # A count only, visible to program managers who cannot read journal entries.
        counts = defaultdict(dict)
        for payroll, event, count in (
            self.env["account.move"]
            .sudo()
            ._read_group([("g2p_payroll_id", "in", self.ids)], ["g2p_payroll_id", "g2p_event"], ["__count"])
        ):
            counts[payroll.id][event] = count
        for payroll in self:
            payroll.move_count = sum(counts[payroll.id].values())
            payroll.is_prefunded = bool(counts[payroll.id].get("prefunding"))

    @api.depends("line_ids.state", "line_ids.amount")
    def _compute_totals(self):
        figures = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
        groups = self.env["g2p.payroll.line"]._read_group(
            [("payroll_id", "in", self.ids)], ["payroll_id", "state"], ["__count", "amount:sum"]
        )
        for payroll, state, count, amount in groups:
            figures[payroll.id][state] = [count, amount]
        for payroll in self:
            fig = figures[payroll.id]
            live = [s for s in fig if s != "cancelled"]
            payroll.line_count = sum(fig[s][0] for s in live)
            payroll.total_amount = sum(fig[s][1] for s in live)
            payroll.paid_count, payroll.paid_amount = fig["paid"]
            payroll.failed_count, payroll.failed_amount = fig["failed"]
            payroll.open_count = sum(fig[s][0] for s in ("pending", "approved", "sent"))
            payroll.cancelled_count = fig["cancelled"][0]
            done = payroll.paid_count + payroll.failed_count
            payroll.progress = 100.0 * done / payroll.line_count if payroll.line_count else 0.0

    # ------------------------------------------------------------------ guards

    def _check_maker(self):
        """Program managers and finance officers prepare payrolls."""
        if self.env.su:
            return
        user = self.env.user
        if not (user.has_group(MANAGER_GROUP) or user.has_group(FINANCE_GROUP)):
            raise AccessError(_("Only program managers and finance officers prepare payrolls."))

    def _check_can_cancel_lines(self):
        self._check_maker()
        self._g2p_check_idle()
        for payroll in self:
            if payroll.state in ("reconciled", "closed", "cancelled"):
                raise UserError(
                    _("Payroll %s is finished: its payments can no longer be cancelled.", payroll.name)
                )

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(_("Only finance officers record transfers, fees and payment outcomes."))

    # ------------------------------------------------------------------ generation

    def action_generate(self):
        """(Re)build the payments of a draft payroll in set-based SQL: at once when small, in
        background jobs when large."""
        self._check_maker()
        runs = self.env["g2p.job.run"]
        for payroll in self:
            runs |= payroll._start_generation()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Payments"))
        return self._notify_generated()

    def _notify_generated(self, next_action=None):
        """What the generation produced, for the notification after the button (then
        ``next_action``, by default a reload)."""
        message = "\n".join(
            _(
                "%(payroll)s: %(count)s payments, %(total)s in all.",
                payroll=payroll.name,
                count=payroll.line_count,
                total=format_amount(self.env, payroll.total_amount, payroll.currency_id),
            )
            + (
                " "
                + _(
                    '%(count)s registrants left out: see "Left Out" for the reason of each.',
                    count=payroll.skipped_count,
                )
                if payroll.skipped_count
                else ""
            )
            for payroll in self
        )
        kind = "warning" if any(self.mapped("skipped_count")) else "success"
        return notification(_("Payments generated"), message, kind, next_action=next_action)

    def _generate_lines(self):
        """Build the payments at once, in this transaction; returns how many were generated."""
        return self._start_generation(background=False).params.get("inserted", 0)

    def _start_generation(self, background=None):
        """Start the generation stage: the payments are rebuilt from scratch (old lines and
        left-out rows deleted), then the regular payments are inserted in chunks of beneficiary
        ids (one query computes them), and the re-payments of failed lines and the totals once
        at the end. Returns the stage (``g2p.job.run``)."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Payroll %s is not a draft: its payments are fixed.", self.name))
        self._g2p_check_idle()
        self.cycle_id._ensure_payroll_allowed()
        program = self.program_id
        # The program's members must not change under the generation (enrolment, re-verification).
        program._g2p_check_idle()
        program._refresh_payment_accounts()
        self.env["g2p.payroll.line"].flush_model()
        self.env.cr.execute(SQL("DELETE FROM g2p_payroll_line WHERE payroll_id = %s", self.id))
        self.env.cr.execute(SQL("DELETE FROM g2p_payroll_skipped WHERE payroll_id = %s", self.id))
        self.env["g2p.payroll.line"].invalidate_model()
        self.env["g2p.payroll.skipped"].invalidate_model()
        self.invalidate_recordset()
        self.write({"generated_by_id": self.env.uid, "skipped_count": 0})
        ranges = []
        if self.payroll_type == "regular":
            self.env["g2p.program.membership"].flush_model()
            ranges = self._g2p_job_ranges(
                SQL(
                    """SELECT partner_id FROM g2p_program_membership
                        WHERE program_id = %s AND state = 'enrolled'""",
                    program.id,
                )
            )
        return self._g2p_run_stage("generate", ranges, background=background)

    def _generate_chunk(self, run, lo, hi):
        """One chunk of the generation: the regular payments (and left-out rows) of the enrolled
        beneficiaries with an id in [lo, hi]. Run twice, the second time inserts nothing: a
        beneficiary with a payment for the cycle is skipped, and so is one already left out."""
        inserted, _skipped = self._insert_regular_lines((lo, hi))
        self.env["g2p.payroll.line"].invalidate_model()
        self.env["g2p.payroll.skipped"].invalidate_model()
        return inserted

    def _generate_finish(self, run):
        """End of the generation, once: re-payments of failed lines, statistics, totals, the
        chatter message."""
        inserted = run.result_count
        if self.include_repayments or self.payroll_type == "supplementary":
            added, _missed = self._insert_repayment_lines()
            inserted += added
        if inserted > 5000:
            self.env.cr.execute(SQL("ANALYZE g2p_payroll_line"))
        self.env["g2p.payroll.line"].invalidate_model()
        self.env["g2p.payroll.skipped"].invalidate_model()
        self.invalidate_recordset()
        [(skipped,)] = self.env.execute_query(
            SQL("SELECT count(*) FROM g2p_payroll_skipped WHERE payroll_id = %s", self.id)
        )
        self.write(
            {
                "generated_by_id": run.user_id.id,
                "generated_date": fields.Datetime.now(),
                "skipped_count": skipped,
            }
        )
        run.params = dict(run.params or {}, inserted=inserted)
        body = _(
            "%(count)s payments generated, %(total)s in all.",
            count=inserted,
            total=format_amount(self.env, self.total_amount, self.currency_id),
        )
        if skipped:
            body += " " + _(
                "%(count)s enrolled members left out: no payment account with an allowed PSP, or not "
                "active in the registry. Fix them and add them with a supplementary payroll.",
                count=skipped,
            )
        self.message_post(body=body)

    def _line_insert_sql(self, select_sql):
        """INSERT of payroll lines from ``select_sql`` (one row per payment); ON CONFLICT keeps
        the unique indexes (one payment per beneficiary and cycle) authoritative under concurrency."""
        return SQL(
            """INSERT INTO g2p_payroll_line
                       (payroll_id, program_id, cycle_id, entitlement_cycle_id, company_id, currency_id,
                        payment_number, beneficiary_id, recipient_id, payment_account_id, psp_id,
                        account_type, account_identifier, account_bic, amount, repay_of_line_id, state,
                        create_uid, create_date, write_uid, write_date)
                   %s
                   ON CONFLICT DO NOTHING""",
            select_sql,
        )

    def _account_columns_sql(self):
        return SQL(
            """a.partner_id, a.id, a.provider_id, a.account_type,
               COALESCE(a.iban, a.msisdn, a.account_number, pp.code), a.bic"""
        )

    def _already_due_sql(self, id_range=None):
        """Beneficiaries who already have a payment for this cycle: any line, even failed or
        cancelled one by one (those are re-paid or were stopped on purpose), except the lines of
        a payroll cancelled as a whole before approval; only those with an id in ``id_range``
        (lo, hi) when given (a chunk reads its own range, not the whole cycle). Materialized
        once: an anti-join on the table being filled could be planned as a rescan per inserted
        row."""
        in_range = SQL("AND l.beneficiary_id BETWEEN %s AND %s", *id_range) if id_range else SQL()
        return SQL(
            """SELECT l.beneficiary_id
                 FROM g2p_payroll_line l JOIN g2p_payroll pr ON pr.id = l.payroll_id
                WHERE l.entitlement_cycle_id = %s AND l.repay_of_line_id IS NULL
                  AND pr.state != 'cancelled' %s""",
            self.cycle_id.id,
            in_range,
        )

    def _insert_regular_lines(self, id_range=None):
        """One payment per enrolled member with a positive benefit, an active registration and a
        payment account, unless already paid (or in payment) for this cycle; only the members
        with a registrant id in ``id_range`` (lo, hi) when given."""
        program, cycle = self.program_id, self.cycle_id
        select = SQL(
            """WITH due AS MATERIALIZED (%(already)s)
               SELECT %(payroll)s, %(program)s, %(cycle)s, %(cycle)s, %(company)s, %(currency)s,
                      %(prefix)s || COALESCE(p.registrant_number, 'R' || p.id::text),
                      b.beneficiary_id, %(account_columns)s, b.amount, NULL, 'pending',
                      %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                 FROM (%(amounts)s) b
                 JOIN g2p_program_membership pm
                      ON pm.program_id = %(program)s AND pm.partner_id = b.beneficiary_id
                 JOIN res_partner p ON p.id = b.beneficiary_id
                 JOIN g2p_payment_account a ON a.id = pm.payment_account_id
            LEFT JOIN g2p_pay_point pp ON pp.id = a.pay_point_id
            LEFT JOIN due ON due.beneficiary_id = b.beneficiary_id
                WHERE b.amount > 0 AND p.registrant_state = 'active' AND due.beneficiary_id IS NULL
             ORDER BY p.registrant_number, b.beneficiary_id""",
            payroll=self.id,
            program=program.id,
            cycle=cycle.id,
            company=self.company_id.id,
            currency=self.currency_id.id,
            prefix=self.name + "-",
            account_columns=self._account_columns_sql(),
            amounts=program._benefit_amounts_sql(partner_range=id_range),
            already=self._already_due_sql(id_range),
            uid=self.env.uid,
        )
        self.env.cr.execute(self._line_insert_sql(select))
        inserted = self.env.cr.rowcount
        # Left out: due a positive amount, not yet paid for the cycle, but no account or inactive;
        # listed with the reason (one INSERT … SELECT).
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_payroll_skipped
                          (payroll_id, company_id, partner_id, reason,
                           create_uid, create_date, write_uid, write_date)
                   SELECT %(payroll)s, %(company)s, b.beneficiary_id,
                          CASE WHEN p.registrant_state IS DISTINCT FROM 'active' THEN 'inactive'
                               ELSE 'no_account' END,
                          %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                     FROM (%(amounts)s) b
                     JOIN g2p_program_membership pm
                      ON pm.program_id = %(program)s AND pm.partner_id = b.beneficiary_id
                     JOIN res_partner p ON p.id = b.beneficiary_id
                    WHERE b.amount > 0
                      AND (pm.payment_account_id IS NULL OR p.registrant_state IS DISTINCT FROM 'active')
                      AND b.beneficiary_id NOT IN (%(already)s)
                      AND NOT EXISTS (SELECT 1 FROM g2p_payroll_skipped s
                                       WHERE s.payroll_id = %(payroll)s AND s.partner_id = b.beneficiary_id
                                         AND s.failed_line_id IS NULL)""",
                payroll=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
                amounts=program._benefit_amounts_sql(partner_range=id_range),
                program=program.id,
                already=self._already_due_sql(id_range),
            )
        )
        return inserted, self.env.cr.rowcount

    def _insert_repayment_lines(self):
        """A new payment, to the member's current account, for each failed payment of the program
        whose reason allows a retry and that has no live re-payment yet."""
        select = SQL(
            """SELECT %(payroll)s, f.program_id, %(cycle)s, f.entitlement_cycle_id, f.company_id,
                      f.currency_id,
                      %(prefix)s || COALESCE(p.registrant_number, 'R' || p.id::text) || '-R' || f.id::text,
                      f.beneficiary_id, %(account_columns)s, f.amount, f.id, 'pending',
                      %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                 FROM g2p_payroll fp
                 JOIN g2p_payroll_line f ON f.payroll_id = fp.id
                 JOIN g2p_payment_failure_reason r ON r.id = f.failure_reason_id AND r.retryable IS TRUE
                 JOIN g2p_program_membership pm
                      ON pm.program_id = f.program_id AND pm.partner_id = f.beneficiary_id
                      AND pm.state = 'enrolled'
                 JOIN res_partner p ON p.id = f.beneficiary_id AND p.registrant_state = 'active'
                 JOIN g2p_payment_account a ON a.id = pm.payment_account_id
            LEFT JOIN g2p_pay_point pp ON pp.id = a.pay_point_id
                WHERE fp.program_id = %(program)s AND fp.id != %(payroll)s AND f.state = 'failed'
                  AND NOT EXISTS (SELECT 1 FROM g2p_payroll_line r2
                                   WHERE r2.repay_of_line_id = f.id AND r2.state != 'cancelled')
                  AND NOT EXISTS (SELECT 1 FROM g2p_payroll_line paid
                                   WHERE paid.entitlement_cycle_id = f.entitlement_cycle_id
                                     AND paid.beneficiary_id = f.beneficiary_id AND paid.state = 'paid')""",
            payroll=self.id,
            program=self.program_id.id,
            cycle=self.cycle_id.id,
            prefix=self.name + "-",
            account_columns=self._account_columns_sql(),
            uid=self.env.uid,
        )
        self.env.cr.execute(self._line_insert_sql(select))
        inserted = self.env.cr.rowcount
        # Failed payments to re-pay that are still not re-paid: listed with the reason.
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_payroll_skipped
                          (payroll_id, company_id, partner_id, reason, failed_line_id,
                           create_uid, create_date, write_uid, write_date)
                   SELECT %(payroll)s, %(company)s, f.beneficiary_id,
                          CASE WHEN pm.state IS DISTINCT FROM 'enrolled' THEN 'not_enrolled'
                               WHEN p.registrant_state IS DISTINCT FROM 'active' THEN 'inactive'
                               WHEN pm.payment_account_id IS NULL THEN 'no_account'
                               ELSE 'already_paid' END,
                          f.id, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                     FROM g2p_payroll fp
                     JOIN g2p_payroll_line f ON f.payroll_id = fp.id
                     JOIN g2p_payment_failure_reason r ON r.id = f.failure_reason_id AND r.retryable IS TRUE
                     JOIN res_partner p ON p.id = f.beneficiary_id
                LEFT JOIN g2p_program_membership pm
                       ON pm.program_id = f.program_id AND pm.partner_id = f.beneficiary_id
                    WHERE fp.program_id = %(program)s AND fp.id != %(payroll)s AND f.state = 'failed'
                      AND NOT EXISTS (SELECT 1 FROM g2p_payroll_line r2
                                       WHERE r2.repay_of_line_id = f.id AND r2.state != 'cancelled')""",
                payroll=self.id,
                company=self.company_id.id,
                program=self.program_id.id,
                uid=self.env.uid,
            )
        )
        return inserted, self.env.cr.rowcount

    # ------------------------------------------------------------------ approval (maker-checker)

    def action_submit(self):
        self._check_maker()
        self._g2p_check_idle()
        Line = self.env["g2p.payroll.line"]
        for payroll in self:
            # Counted in SQL: a national payroll's lines are not loaded to find one.
            if not Line.search_count([("payroll_id", "=", payroll.id), ("state", "=", "pending")], limit=1):
                raise UserError(_("Payroll %s has no payments: generate it first.", payroll.name))
        self._g2p_transition("to_approve", {"draft"}, {"submitted_by_id": self.env.uid})
        return notification(
            _("Submitted for approval"),
            _(
                "%(payrolls)s sent to the payroll approvers: %(count)s payments, %(total)s. Someone "
                "who did not generate or submit it must approve it.",
                payrolls=", ".join(self.mapped("name")),
                count=sum(self.mapped("line_count")),
                total=self._format_total(self.mapped("total_amount")),
            ),
        )

    def _format_total(self, amounts):
        """One amount in the currency of ``self`` (several payrolls of one currency), else a count."""
        currency = self.currency_id
        if len(currency) == 1:
            return format_amount(self.env, sum(amounts), currency)
        return " + ".join(
            format_amount(self.env, a, p.currency_id) for a, p in zip(amounts, self, strict=True)
        )

    def action_reset_draft(self):
        self._check_maker()
        self._g2p_check_idle()
        self._g2p_transition("draft", {"to_approve"}, {"submitted_by_id": False})
        return notification(
            _("Back to draft"),
            _(
                "%(payrolls)s is a draft again: generate its payments again if needed, then submit it.",
                payrolls=", ".join(self.mapped("name")),
            ),
            "info",
        )

    def action_send_back(self):
        """The checker refuses a submitted payroll: back to draft for its makers to fix. Approvers
        do not see drafts, so the list of payrolls to approve opens next."""
        if not self.env.su and not self.env.user.has_group(APPROVER_GROUP):
            raise AccessError(_("Only payroll approvers send a payroll back."))
        self._g2p_check_idle()
        names = ", ".join(self.mapped("name"))  # read now: approvers do not see drafts
        self.sudo()._g2p_transition(
            "draft",
            {"to_approve"},
            {"submitted_by_id": False},
            message=_("Sent back to draft by %s: not approved.", self.env.user.name),
        )
        return notification(
            _("Sent back"),
            _(
                "%(payrolls)s sent back to its makers as a draft: say why in its chatter if you have "
                "not done so.",
                payrolls=names,
            ),
            "info",
            next_action=self.env["ir.actions.act_window"]._for_xml_id(
                "g2p_payroll.action_g2p_payroll_to_approve"
            ),
        )

    @api.depends_context("uid")
    @api.depends("state", "generated_by_id", "submitted_by_id")
    def _compute_can_approve(self):
        user = self.env.user
        approver = user.has_group(APPROVER_GROUP)
        for payroll in self:
            payroll.can_approve = (
                approver
                and payroll.state == "to_approve"
                and user not in (payroll.generated_by_id | payroll.submitted_by_id)
            )

    def _check_approver(self):
        if self.env.su:
            return
        user = self.env.user
        if not user.has_group(APPROVER_GROUP):
            raise AccessError(_("Only payroll approvers can approve a payroll."))
        for payroll in self:
            if user in (payroll.generated_by_id | payroll.submitted_by_id):
                raise UserError(
                    _(
                        "Maker-checker: you generated or submitted payroll %s, so someone else must "
                        "approve it.",
                        payroll.name,
                    )
                )

    def action_approve(self):
        """Approve: check funds once under a lock on the program, post Dr benefit expense /
        Cr beneficiary payable, and mark the payments approved; at once when small, in
        background jobs (one entry per chunk of payment ids) when large."""
        self._check_approver()
        runs = self.env["g2p.job.run"]
        for payroll in self:
            runs |= payroll._start_approval()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Approval"))
        return notification(
            _("Payroll approved"),
            _(
                "%(payrolls)s approved: %(count)s payments, %(total)s committed and posted to the "
                "benefits journal. Finance can now transfer the funds to the PSPs.",
                payrolls=", ".join(self.mapped("name")),
                count=sum(self.mapped("line_count")),
                total=self._format_total(self.mapped("total_amount")),
            ),
        )

    def _start_approval(self, background=None):
        """Start the approval posting: funds checked once for the whole payroll under a lock on
        the program, then the pending payments posted in chunks of line ids. Returns the stage."""
        self.ensure_one()
        if self.state != "to_approve":
            raise UserError(_("Payroll %s is not waiting for approval.", self.name))
        self._g2p_check_idle()
        self.cycle_id._ensure_payroll_allowed()
        program = self.program_id._g2p_accounting()
        # Written, not only locked: a concurrent approval of the program waits here, then fails to
        # serialize and is retried, and sees this one.
        program._g2p_lock_row()
        self.env["g2p.payroll.line"].flush_model()
        [(count, amount)] = self.env.execute_query(
            SQL(
                """SELECT count(*), COALESCE(sum(amount), 0) FROM g2p_payroll_line
                    WHERE payroll_id = %s AND state = 'pending'""",
                self.id,
            )
        )
        # Payments of a payroll still being posted are not committed yet: one at a time per program.
        posting = (
            self.env["g2p.job.run"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", program.payroll_ids.ids),
                    ("stage", "=", "approve"),
                    ("state", "=", "running"),
                ],
                limit=1,
            )
        )
        if posting:
            raise UserError(
                _(
                    "%(payroll)s of the same program is still being approved in the background: "
                    "approve %(this)s when it is done, so the funds are checked against both.",
                    payroll=posting._record().name,
                    this=self.name,
                )
            )
        program._lock_and_check_funds(float(amount))
        # The analytic accounts the chunks post to, created here: chunks running side by side would
        # each create them and fail to serialize on the program's row.
        program._analytic_distribution(self.cycle_id)
        ranges = self._g2p_job_ranges(
            SQL("SELECT id FROM g2p_payroll_line WHERE payroll_id = %s AND state = 'pending'", self.id)
        )
        return self._g2p_run_stage(
            "approve", ranges, {"count": count, "amount": float(amount)}, background=background
        )

    def _approve_chunk(self, run, lo, hi):
        """One chunk of the approval: the payments still pending with an id in [lo, hi], locked,
        posted in one entry and marked approved. Run twice, the second time finds none pending
        and posts nothing."""
        self.env["g2p.payroll.line"].flush_model(["state", "payroll_id"])
        ids = [
            line_id
            for (line_id,) in self.env.execute_query(
                SQL(
                    """SELECT id FROM g2p_payroll_line
                        WHERE payroll_id = %s AND state = 'pending' AND id BETWEEN %s AND %s
                     ORDER BY id FOR UPDATE""",
                    self.id,
                    lo,
                    hi,
                )
            )
        ]
        if not ids:
            return 0
        self._post_approval(self.env["g2p.payroll.line"].browse(ids))
        return len(ids)

    def _approve_finish(self, run):
        """End of the approval, once: every payment posted, the payroll approved by the user who
        started it."""
        self.env["g2p.payroll.line"].flush_model(["state", "payroll_id"])
        [(left,)] = self.env.execute_query(
            SQL("SELECT count(*) FROM g2p_payroll_line WHERE payroll_id = %s AND state = 'pending'", self.id)
        )
        if left:
            raise UserError(
                _("Payroll %(payroll)s still has %(count)s pending payments.", payroll=self.name, count=left)
            )
        self.sudo()._g2p_transition(
            "approved",
            {"to_approve"},
            {"approved_by_id": run.user_id.id, "approved_date": fields.Datetime.now()},
            message=_(
                "Approved by %(user)s: %(count)s payments, %(total)s.",
                user=run.user_id.name,
                count=run.params["count"],
                total=format_amount(self.env, run.params["amount"], self.currency_id),
            ),
        )

    # ------------------------------------------------------------------ journal entries

    def _payable_groups(self, lines):
        """{(line id, partner id, psp id): amount} per the program's posting granularity, grouped
        in SQL so a payroll of any size costs one query."""
        granularity = self.program_id.posting_granularity
        key = {
            "beneficiary": SQL("l.id, l.beneficiary_id, l.psp_id"),
            "psp": SQL("NULL::int, l.psp_id, l.psp_id"),
            "total": SQL("NULL::int, NULL::int, NULL::int"),
        }[granularity]
        self.env["g2p.payroll.line"].flush_model(["amount", "psp_id", "beneficiary_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT %s, sum(l.amount) FROM g2p_payroll_line l
                    WHERE l.id = ANY(%s) GROUP BY 1, 2, 3 ORDER BY 1, 2""",
                key,
                lines.ids,
            )
        )
        return {(line_id, partner_id, psp_id): float(amount) for line_id, partner_id, psp_id, amount in rows}

    def _amounts_by_psp(self, lines):
        self.env["g2p.payroll.line"].flush_model(["amount", "psp_id", "beneficiary_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT l.psp_id, sum(l.amount) FROM g2p_payroll_line l
                    WHERE l.id = ANY(%s) GROUP BY 1 ORDER BY 1""",
                lines.ids,
            )
        )
        return [(self.env["res.partner"].browse(psp_id), float(amount)) for psp_id, amount in rows]

    def _balance(self, amount, date):
        company = self.company_id
        return self.currency_id._convert(amount, company.currency_id, company, date)

    def _to_company_currency(self, date):
        """A function converting amounts to the company currency on ``date`` as ``_convert`` does
        (rate times amount, rounded by the company currency), the rate looked up once: for the
        thousands of items of one entry."""
        company = self.company_id
        rate = self.env["res.currency"]._get_conversion_rate(
            self.currency_id, company.currency_id, company, date
        )
        rounding = company.currency_id.rounding
        return lambda amount: float_round(amount * rate, precision_rounding=rounding) if amount else 0.0

    def _move_line(self, account, amount, date, name, partner_id=False, **extra):
        """Line vals for a signed ``amount`` in the program's currency (positive = debit)."""
        return {
            "account_id": account.id,
            "name": name,
            "partner_id": partner_id,
            "amount_currency": amount,
            "currency_id": self.currency_id.id,
            "balance": self._balance(amount, date),
            **extra,
        }

    def _payable_lines(self, lines, sign, date, label):
        """Payable move lines per granularity, with links used later to match payments."""
        program = self.program_id.sudo()
        vals = []
        groups = self._payable_groups(lines)
        numbers = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, payment_number FROM g2p_payroll_line WHERE id = ANY(%s)",
                    [line_id for line_id, _partner, _psp in groups if line_id],
                )
            )
        )
        # The vals of _move_line, built inline: one per beneficiary of a national payroll.
        account_id, currency_id = program.beneficiary_payable_account_id.id, self.currency_id.id
        to_company = self._to_company_currency(date)
        for (line_id, partner_id, psp_id), amount in groups.items():
            vals.append(
                {
                    "account_id": account_id,
                    "name": numbers.get(line_id, label),
                    "partner_id": partner_id,
                    "amount_currency": sign * amount,
                    "currency_id": currency_id,
                    "balance": to_company(sign * amount),
                    "g2p_payroll_line_id": line_id,
                    "g2p_psp_id": psp_id,
                }
            )
        return vals

    def _set_based(self, payable):
        """Whether the ``payable`` item vals of one entry are many enough to be written in SQL."""
        return self.program_id.posting_granularity == "beneficiary" and len(payable) >= SET_BASED_MIN_LINES

    def _balancing_line(self, vals, account, date, name, **extra):
        """The counterpart that makes ``vals`` balance exactly in both currencies."""
        return {
            "account_id": account.id,
            "name": name,
            "amount_currency": -sum(v["amount_currency"] for v in vals),
            "currency_id": self.currency_id.id,
            "balance": -sum(v["balance"] for v in vals),
            **extra,
        }

    def _post_approval(self, lines):
        self.ensure_one()
        program = self.program_id.sudo()
        date = self.date
        label = _("%(payroll)s – %(cycle)s", payroll=self.name, cycle=self.cycle_id.name)
        payable = self._payable_lines(lines, -1, date, label)
        expense = self._balancing_line(
            payable,
            program.benefit_expense_account_id,
            date,
            label,
            analytic_distribution=program._analytic_distribution(self.cycle_id),
        )
        if self._set_based(payable):
            move = self._create_moves(date, "approval", [expense], label, bulk=payable)
        else:
            move = self._create_moves(date, "approval", [expense, *payable], label)
        self._link_move_lines(
            lines,
            move,
            "approval_move_line_id",
            SQL("state = 'approved', write_uid = %s, write_date = now() AT TIME ZONE 'UTC'", self.env.uid),
        )
        return move

    def _post_settlement_move(self, lines, event, date):
        """The entry clearing the payable of ``lines``: paid (Cr PSP clearing), failed or cancelled
        (Cr benefit expense, a reversal of their approval)."""
        self.ensure_one()
        program = self.program_id.sudo()
        labels = {
            "payment": _("%s – payments confirmed", self.name),
            "failure": _("%s – payments failed", self.name),
            "cancellation": _("%s – payments cancelled", self.name),
        }
        label = labels[event]
        payable = self._payable_lines(lines, 1, date, label)
        if event == "payment":
            counterparts = []
            for psp, amount in self._amounts_by_psp(lines):
                vals = self._move_line(
                    psp._g2p_psp_clearing_account(self.company_id),
                    -amount,
                    date,
                    label,
                    psp.id,
                    g2p_psp_id=psp.id,
                )
                counterparts.append(vals)
            # Absorb conversion rounding in the last counterpart so the entry balances exactly.
            counterparts[-1]["balance"] -= sum(v["balance"] for v in payable + counterparts)
        else:
            counterparts = [
                self._balancing_line(
                    payable,
                    program.benefit_expense_account_id,
                    date,
                    label,
                    analytic_distribution=program._analytic_distribution(self.cycle_id),
                )
            ]
        if self._set_based(payable):
            # Each payable item is written already reconciled with the approval item it clears.
            approval_items = dict(
                self.env.execute_query(
                    SQL(
                        "SELECT id, approval_move_line_id FROM g2p_payroll_line WHERE id = ANY(%s)", lines.ids
                    )
                )
            )
            return self._create_moves(
                date,
                event,
                counterparts,
                label,
                bulk=payable,
                reconcile_with=[approval_items.get(vals["g2p_payroll_line_id"]) for vals in payable],
            )
        return self._create_moves(date, event, payable + counterparts, label)

    def _post_settlement(self, lines, event, date):
        """Settle ``lines`` (states already written): entry, link, reconciliation."""
        move = self._post_settlement_move(lines, event, date)
        self._link_move_lines(lines, move, "settlement_move_line_id")
        self._reconcile_payables(lines)
        return move

    def _payable_item_match(self):
        """SQL condition pairing a payroll line ``l`` with its payable item ``aml`` under the
        program's posting granularity."""
        return {
            "beneficiary": SQL("aml.g2p_payroll_line_id = l.id"),
            "psp": SQL("aml.g2p_psp_id = l.psp_id"),
            "total": SQL("TRUE"),
        }[self.program_id.posting_granularity]

    def _settlement_items(self, lines, move):
        """{line id: payable item of ``move``} by the program's granularity, in one query."""
        match = self._payable_item_match()
        self.env["account.move.line"].flush_model()
        return dict(
            self.env.execute_query(
                SQL(
                    """SELECT l.id, aml.id FROM g2p_payroll_line l, account_move_line aml
                        WHERE aml.move_id = %s AND aml.account_id = %s AND l.id = ANY(%s) AND %s""",
                    move.id,
                    self.program_id.sudo().beneficiary_payable_account_id.id,
                    lines.ids,
                    match,
                )
            )
        )

    def _create_moves(self, date, event, line_vals, label, bulk=None, reconcile_with=None):
        """Post one entry of ``line_vals``, and of the ``bulk`` payable items written in SQL (each
        reconciled with its item of ``reconcile_with``, when given)."""
        program = self.program_id.sudo()
        vals = {
            "journal_id": program.benefits_journal_id.id,
            "date": date,
            "ref": label,
            "g2p_payroll_id": self.id,
            "g2p_event": event,
            "line_ids": [Command.create(vals) for vals in line_vals],
        }
        if bulk:
            return self.env["account.move"]._g2p_post_set_based(vals, bulk, reconcile_with)
        return self.env["account.move"]._g2p_post([vals])

    def _link_move_lines(self, lines, move, field_name, extra=None):
        """Point each payroll line at its payable item in ``move`` (set-based), also applying the
        ``extra`` assignment: one pass over the rows instead of two."""
        payable = self.program_id.sudo().beneficiary_payable_account_id
        match = self._payable_item_match()
        self.env["account.move.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_payroll_line l SET %(field)s = aml.id %(extra)s
                     FROM account_move_line aml
                    WHERE aml.move_id = %(move)s AND aml.account_id = %(payable)s AND l.id = ANY(%(lines)s)
                      AND %(match)s""",
                field=SQL.identifier(field_name),
                move=move.id,
                payable=payable.id,
                lines=lines.ids,
                match=match,
                extra=SQL(", %s", extra) if extra else SQL(),
            )
        )
        lines._invalidate_after_sql()

    def _reconcile_payables(self, lines):
        """Reconcile each settlement item with the open approval items of the same payments and,
        on the same account and partner, of the same payroll.

        An item per PSP approved in several chunks (several approval entries) is settled by items
        that span chunks: a settlement matched against one approval item may use up amounts of
        payments of another, so that an approval item is fully reconciled before all its own
        payments are settled, and the other holds what is left. Reconciled items are left out (Odoo
        refuses them) and the payroll's other open items of that PSP take their place."""
        self.env["g2p.payroll.line"].flush_model(["approval_move_line_id", "settlement_move_line_id"])
        self.env["account.move.line"].flush_model(["reconciled", "partner_id", "account_id", "move_id"])
        self.env["account.move"].flush_model(["g2p_payroll_id", "g2p_event"])
        # Settlement items written already reconciled (set-based posting) are done.
        rows = self.env.execute_query(
            SQL(
                """WITH settlement AS (
                        SELECT l.settlement_move_line_id AS id, l.payroll_id,
                               array_agg(DISTINCT l.approval_move_line_id) AS approvals
                          FROM g2p_payroll_line l
                          JOIN account_move_line s ON s.id = l.settlement_move_line_id
                         WHERE l.id = ANY(%s) AND NOT s.reconciled
                      GROUP BY 1, 2)
                   SELECT st.id,
                          ARRAY(SELECT a.id FROM account_move_line a
                                 WHERE a.id = ANY(st.approvals) AND NOT a.reconciled
                                UNION
                                SELECT a.id FROM account_move_line a
                                  JOIN account_move m ON m.id = a.move_id
                                  JOIN account_move_line s ON s.id = st.id
                                 WHERE m.g2p_payroll_id = st.payroll_id AND m.g2p_event = 'approval'
                                   AND m.state = 'posted' AND a.account_id = s.account_id
                                   AND a.partner_id = s.partner_id AND NOT a.reconciled
                                   AND a.id != s.id)
                     FROM settlement st""",
                lines.ids,
            )
        )
        Aml = self.env["account.move.line"].sudo()
        Aml._reconcile_plan(
            [Aml.browse([settlement, *approvals]) for settlement, approvals in rows if approvals]
        )

    def _update_payment_state(self):
        """approved → in payment once any payment left; → reconciled when all have an outcome.

        Called for any payroll whose payments moved: payrolls in other states (a draft, a closed
        one) are left as they are on purpose, by testing the state before each transition."""
        self.env["g2p.payroll.line"].flush_model(["state", "payroll_id"])
        for payroll in self:
            states = {
                state
                for (state,) in self.env.execute_query(
                    SQL("SELECT DISTINCT state FROM g2p_payroll_line WHERE payroll_id = %s", payroll.id)
                )
            }
            if payroll.state in ("approved", "in_payment") and states and states <= set(FINAL_LINE_STATES):
                payroll._g2p_transition("reconciled", {"approved", "in_payment"})
            elif payroll.state == "approved" and states & {"sent", "paid", "failed", "cancelled"}:
                payroll._g2p_transition("in_payment", {"approved"})
        unfinished = self.filtered(lambda p: p.state in ("approved", "in_payment"))
        if unfinished and not self.env.context.get("g2p_payment_state_recheck"):
            unfinished._g2p_recheck_payment_state_after_commit()

    def _g2p_recheck_payment_state_after_commit(self):
        """Look again once this transaction is committed, in a fresh snapshot.

        Status jobs of one payroll run in parallel under REPEATABLE READ: when the last two overlap,
        each still sees the other's payments as sent, and neither would reconcile the payroll. The
        transaction that commits last runs this check after its commit and sees every outcome."""
        data = self.env.cr.postcommit.data
        ids = data.setdefault("g2p.payroll.payment_state_recheck", set())
        if not ids:
            # As the caller: status jobs of callbacks run as the public user in sudo.
            registry, uid, context, su = self.env.registry, self.env.uid, dict(self.env.context), self.env.su

            @self.env.cr.postcommit.add
            def recheck():
                try:
                    with registry.cursor() as cr:
                        env = api.Environment(cr, uid, {**context, "g2p_payment_state_recheck": True}, su=su)
                        env["g2p.payroll"].browse(sorted(ids)).exists()._update_payment_state()
                except Exception:  # noqa: BLE001 (another transaction may finish it at the same time)
                    _logger.warning(
                        "Payroll payment state recheck of %s left to the next event", ids, exc_info=True
                    )

        ids.update(self.ids)

    # ------------------------------------------------------------------ other money events

    def action_transfer_to_psp(self):
        """Prefund the PSPs: Dr PSP clearing / Cr bank for the approved payments not yet sent."""
        self._check_finance()
        self._g2p_check_idle()
        messages = []
        for payroll in self:
            if payroll.state not in ("approved", "in_payment"):
                raise UserError(_("Payroll %s must be approved before funds are transferred.", payroll.name))
            if payroll.move_ids.filtered(lambda m: m.g2p_event == "prefunding"):
                raise UserError(_("Funds for payroll %s were already transferred to the PSPs.", payroll.name))
            program = payroll.program_id._g2p_accounting()
            # Ids only, totals in SQL: the lines of a national payroll are never read one by one.
            lines = self.env["g2p.payroll.line"].search(
                [("payroll_id", "=", payroll.id), ("state", "in", ("approved", "sent"))]
            )
            date = fields.Date.context_today(payroll)
            label = _("%s – transfer to PSPs", payroll.name)
            vals = []
            by_psp = payroll._amounts_by_psp(lines)
            for psp, amount in by_psp:
                vals.append(
                    payroll._move_line(
                        psp._g2p_psp_clearing_account(payroll.company_id),
                        amount,
                        date,
                        label,
                        psp.id,
                        g2p_psp_id=psp.id,
                    )
                )
            bank = program.funding_journal_id.default_account_id
            vals.append(payroll._balancing_line(vals, bank, date, label))
            move = payroll._create_moves(date, "prefunding", vals, label)
            payroll._update_payment_state()
            psps = [
                _(
                    "%(psp)s %(amount)s",
                    psp=psp.name,
                    amount=format_amount(self.env, amount, payroll.currency_id),
                )
                for psp, amount in by_psp
            ]
            summary = _(
                "%(total)s for %(count)s payments transferred from %(bank)s to the PSPs (%(psps)s), "
                "entry %(move)s.",
                total=format_amount(self.env, sum(amount for _psp, amount in by_psp), payroll.currency_id),
                count=len(lines),
                bank=program.funding_journal_id.name,
                psps=", ".join(psps),
                move=move.name,
            )
            payroll.message_post(body=summary)
            messages.append(summary)
        return notification(_("Funds transferred"), "\n".join(messages))

    def _post_psp_fee(self, psp, amount, date, reference=None):
        """PSP fee: Dr fee expense / Cr PSP clearing."""
        self.ensure_one()
        self._check_finance()
        program = self.program_id._g2p_accounting()
        if not program.fee_expense_account_id:
            raise UserError(_("Program %s has no fee expense account.", program.name))
        if self.currency_id.compare_amounts(amount, 0) <= 0:
            raise UserError(_("A fee must be a positive amount."))
        label = reference or _("%(payroll)s – fee %(psp)s", payroll=self.name, psp=psp.name)
        fee = self._move_line(program.fee_expense_account_id, amount, date, label, psp.id)
        clearing = self._balancing_line(
            [fee], psp._g2p_psp_clearing_account(self.company_id), date, label, partner_id=psp.id
        )
        return self._create_moves(date, "fee", [fee, clearing], label)

    # ------------------------------------------------------------------ end of life

    def action_cancel(self):
        """Cancel a payroll before approval (no entry was posted)."""
        self._check_maker()
        self._g2p_check_idle()
        cancelled = self._g2p_transition("cancelled", {"draft", "to_approve"})
        lines = cancelled.line_ids.filtered(lambda line: line.state == "pending")
        lines._write_states([(line.id, "cancelled", None, None, None, None) for line in lines])
        return notification(
            _("Payroll cancelled"),
            _(
                "%(payrolls)s cancelled: %(count)s payments will not be made.",
                payrolls=", ".join(cancelled.mapped("name")),
                count=len(lines),
            ),
            "info",
        )

    def action_close(self):
        self._check_finance()
        self._g2p_check_idle()
        self._g2p_transition("closed", {"reconciled"})
        return notification(
            _("Payroll closed"), _("%(payrolls)s closed.", payrolls=", ".join(self.mapped("name"))), "info"
        )

    def unlink(self):
        if any(payroll.state not in ("draft", "cancelled") or payroll.move_ids for payroll in self):
            raise UserError(_("Only draft payrolls without entries can be deleted; cancel the others."))
        return super().unlink()

    def action_view_moves(self):
        self.ensure_one()
        return self.env["account.move"]._g2p_entries_action(
            [("g2p_payroll_id", "=", self.id)], _("Entries of %s", self.name)
        )

    def action_view_skipped(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Left out of %s", self.name),
            "res_model": "g2p.payroll.skipped",
            "view_mode": "list",
            "views": [(self.env.ref("g2p_payroll.view_g2p_payroll_skipped_list").id, "list")],
            "search_view_id": [self.env.ref("g2p_payroll.view_g2p_payroll_skipped_search").id, "search"],
            "domain": [("payroll_id", "=", self.id)],
            "context": {"create": False, "search_default_group_reason": 1},
        }

    def action_view_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Payments of %s", self.name),
            "res_model": "g2p.payroll.line",
            "view_mode": "list,pivot,form",
            "domain": [("payroll_id", "=", self.id)],
            "context": {"search_default_group_state": 1},
        }
