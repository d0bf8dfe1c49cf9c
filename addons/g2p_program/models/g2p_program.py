from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from odoo.addons.g2p_registry.tools.notify import notification

PROGRAM_STATES = [("draft", "Draft"), ("active", "Active"), ("ended", "Ended")]
TARGET_TYPES = [("group", "Households"), ("individual", "Individuals")]
FREQUENCIES = [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("custom", "Custom (days)")]
MANAGER_GROUP = "g2p_program.group_g2p_program_manager"
ANALYZE_THRESHOLD = 5000  # rows enrolled at once above which the membership table is re-analysed
#: Background stages run in this job channel (listed in odoo.conf's [queue_job] channels).
PROGRAM_JOB_CHANNEL = "root.g2p.program"


class G2pProgram(models.Model):
    """A cash-transfer scheme: who is eligible (rules as domains over registrants), how much each
    beneficiary receives (the benefit formula) and how often (cycles)."""

    _name = "g2p.program"
    _description = "G2P Program"
    _inherit = ["mail.thread", "mail.activity.mixin", "g2p.state.mixin", "g2p.job.mixin"]
    _order = "state, name, id"
    _check_company_auto = True
    # Stages run in chunks of registrant ids (see g2p.job.mixin).
    _g2p_job_stages = {
        "enrol": {
            "label": lambda self: self.env._("Enrolment"),
            "chunk": "_enrol_chunk",
            "finish": "_enrol_finish",
            "check": "_check_manager",
            "channel": PROGRAM_JOB_CHANNEL,
        },
        "verify": {
            "label": lambda self: self.env._("Re-verification"),
            "chunk": "_verify_chunk",
            "finish": "_verify_finish",
            "check": "_check_manager",
            "channel": PROGRAM_JOB_CHANNEL,
        },
    }

    name = fields.Char(required=True, tracking=True)
    description = fields.Text(help="What the program is for and who it serves.")
    state = fields.Selection(
        PROGRAM_STATES,
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
        help="Draft: being designed, eligibility can be previewed. Active: enrolment and cycles "
        "run. Ended: no more enrolment or cycles.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, tracking=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
        help="Currency of the benefit amounts; amounts are rounded to its precision.",
    )
    target_type = fields.Selection(
        TARGET_TYPES,
        string="Target",
        default="group",
        required=True,
        tracking=True,
        help="Who is enrolled and paid: households (paid through their own account or their head's) "
        "or individuals.",
    )
    frequency = fields.Selection(
        FREQUENCIES, default="monthly", required=True, tracking=True, help="Length of each cycle."
    )
    custom_interval_days = fields.Integer(
        string="Cycle Length (days)", default=30, help="Length of a cycle when the frequency is custom."
    )
    start_date = fields.Date(
        required=True, default=fields.Date.context_today, tracking=True, help="The first cycle starts here."
    )
    # Not tracked (setting a first end date would read "None → …"): write() logs it in words.
    end_date = fields.Date(help="No cycle may start after this date. Empty: open-ended.")
    allow_overlapping_cycles = fields.Boolean(
        help="Allow a new cycle while another one is still open (not closed). Off: one open cycle at a time."
    )
    psp_ids = fields.Many2many(
        "res.partner",
        "g2p_program_psp_rel",
        "program_id",
        "psp_id",
        string="Allowed PSPs",
        domain=[("is_psp", "=", True)],
        help="Payment service providers this program pays through. Enrolment links each beneficiary "
        "to a payment account held with one of them. Empty: any active PSP.",
    )
    approver_group_ids = fields.Many2many(
        "res.groups",
        "g2p_program_approver_group_rel",
        "program_id",
        "group_id",
        string="Cycle Approver Groups",
        help="Users in one of these groups approve cycles. Empty: program managers.",
    )

    # Eligibility
    eligibility_rule_ids = fields.One2many(
        "g2p.program.eligibility.rule", "program_id", string="Eligibility Rules", copy=True
    )
    rule_operator = fields.Selection(
        [("and", "All inclusion rules (AND)"), ("or", "Any inclusion rule (OR)")],
        string="Combine Rules",
        default="and",
        required=True,
        tracking=True,
        help="How inclusion rules combine. Exclusion rules always subtract from the result.",
    )
    preview_count = fields.Integer(
        string="Eligible (preview)", readonly=True, copy=False, help="Result of the last preview."
    )
    preview_date = fields.Datetime(readonly=True, copy=False)

    # Benefit formula
    base_amount = fields.Monetary(
        tracking=True, help="Paid to every beneficiary in every cycle, before per-member amounts and top-ups."
    )
    amount_per_member = fields.Monetary(
        tracking=True,
        help="Added per current household member (counted once for an individual beneficiary).",
    )
    max_members = fields.Integer(
        string="Maximum Members Counted", help="Cap on members counted for the per-member amount. 0: no cap."
    )
    ceiling_amount = fields.Monetary(
        string="Ceiling per Beneficiary",
        tracking=True,
        help="Maximum paid per beneficiary per cycle. Leave empty (0) for no cap.",
    )
    topup_ids = fields.One2many("g2p.program.benefit.topup", "program_id", string="Top-ups", copy=True)

    membership_ids = fields.One2many("g2p.program.membership", "program_id", string="Members")
    membership_count = fields.Integer(compute="_compute_counts", string="Member Count")
    enrolled_count = fields.Integer(compute="_compute_counts", string="Enrolled")
    cycle_ids = fields.One2many("g2p.cycle", "program_id", string="Cycles")
    cycle_count = fields.Integer(compute="_compute_counts", string="Cycle Count")

    _dates_ordered = models.Constraint(
        "CHECK (end_date IS NULL OR end_date >= start_date)", "A program cannot end before it starts."
    )
    _amounts_positive = models.Constraint(
        "CHECK (COALESCE(base_amount, 0) >= 0 AND COALESCE(amount_per_member, 0) >= 0 "
        "AND COALESCE(ceiling_amount, 0) >= 0 AND COALESCE(max_members, 0) >= 0)",
        "Benefit amounts, the ceiling and the member cap cannot be negative.",
    )

    # ------------------------------------------------------------------ computes / constraints

    def _compute_counts(self):
        Membership = self.env["g2p.program.membership"]
        members = {
            (program.id, state): count
            for program, state, count in Membership._read_group(
                [("program_id", "in", self.ids)], ["program_id", "state"], ["__count"]
            )
        }
        cycles = dict(
            self.env["g2p.cycle"]._read_group([("program_id", "in", self.ids)], ["program_id"], ["__count"])
        )
        for program in self:
            program.membership_count = sum(c for (pid, _s), c in members.items() if pid == program.id)
            program.enrolled_count = members.get((program.id, "enrolled"), 0)
            program.cycle_count = cycles.get(program, 0)

    @api.constrains("frequency", "custom_interval_days")
    def _check_custom_interval(self):
        for program in self:
            if program.frequency == "custom" and program.custom_interval_days <= 0:
                raise ValidationError(_("A custom frequency needs a cycle length of at least one day."))

    @api.constrains("psp_ids")
    def _check_psps(self):
        for program in self:
            not_psp = program.psp_ids.filtered(lambda p: not p.is_psp)
            if not_psp:
                raise ValidationError(
                    _("Not payment service providers: %s.", ", ".join(not_psp.mapped("display_name")))
                )

    def write(self, vals):
        old_ends = {program.id: program.end_date for program in self} if "end_date" in vals else {}
        result = super().write(vals)
        for program in self.filtered(lambda p: p.id in old_ends and p.end_date != old_ends[p.id]):
            old, new = old_ends[program.id], program.end_date
            if not new:
                body = _("End date removed: the program is open-ended.")
            elif not old:
                body = _("The program now ends on %s.", format_date(self.env, new))
            else:
                body = _(
                    "End date moved from %(old)s to %(new)s.",
                    old=format_date(self.env, old),
                    new=format_date(self.env, new),
                )
            program._message_log(body=body)
        return result

    # ------------------------------------------------------------------ lifecycle

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only program managers can run programs."))

    def action_activate(self):
        """draft → active."""
        self._check_manager()
        self._g2p_transition("active", {"draft"}, why=_("Only draft programs can be activated."))
        return notification(
            _("Program active"),
            _(
                "%(programs)s is active: enrol the eligible registrants, then open a cycle.",
                programs=", ".join(self.mapped("name")),
            ),
        )

    def action_end(self):
        """active → ended. Open cycles must be closed first."""
        self._check_manager()
        self._g2p_check_idle()
        open_cycles = self.cycle_ids.filtered(lambda c: c.state != "closed")
        if open_cycles:
            raise UserError(
                _("Close these cycles before ending the program: %s.", ", ".join(open_cycles.mapped("name")))
            )
        self._g2p_transition("ended", {"active"}, why=_("Only active programs can be ended."))
        return notification(
            _("Program ended"),
            _("%(programs)s ended: no more enrolment or cycles.", programs=", ".join(self.mapped("name"))),
            "info",
        )

    def action_reset_draft(self):
        """active → draft, only while nothing has been enrolled or cycled."""
        self._check_manager()
        self._g2p_check_idle()
        for program in self:
            if program.state == "active" and (program.membership_ids or program.cycle_ids):
                raise UserError(
                    _(
                        "Program %s cannot go back to draft: only an active program without members "
                        "or cycles can.",
                        program.name,
                    )
                )
        self._g2p_transition(
            "draft",
            {"active"},
            why=_("Only an active program without members or cycles can go back to draft."),
        )
        return notification(
            _("Back to draft"),
            _("%(programs)s is a draft again.", programs=", ".join(self.mapped("name"))),
            "info",
        )

    def _ensure_active(self, action):
        for program in self:
            if program.state != "active":
                raise UserError(
                    _(
                        "Program %(program)s is %(state)s: %(action)s needs an active program.",
                        program=program.name,
                        state=dict(PROGRAM_STATES)[program.state],
                        action=action,
                    )
                )

    # ------------------------------------------------------------------ eligibility

    def _eligibility_domain(self):
        """The whole eligibility of the program as one domain over res.partner: active registrants
        of the right kind and company, not confirmed duplicates, matching the inclusion rules
        (AND/OR) and none of the exclusion rules."""
        self.ensure_one()
        base = Domain.AND(
            [
                Domain(self.env["res.partner"]._active_registrant_domain()),
                Domain("is_group", "=", self.target_type == "group"),
                Domain("duplicate_of_id", "=", False),
                Domain("company_id", "in", [False, self.company_id.id]),
            ]
        )
        includes = [r._get_domain() for r in self.eligibility_rule_ids if r.rule_type == "include"]
        excludes = [r._get_domain() for r in self.eligibility_rule_ids if r.rule_type == "exclude"]
        if includes:
            base &= Domain.AND(includes) if self.rule_operator == "and" else Domain.OR(includes)
        for exclude in excludes:
            base &= ~exclude
        return base

    def _eligible_query(self, id_range=None):
        """Query (the ORM's query builder) of the eligible registrants' ids, optionally only those
        with an id in ``id_range`` (lo, hi). Runs as superuser: eligibility covers the whole
        registry of the program's company, whatever the user sees."""
        self.ensure_one()
        domain = self._eligibility_domain()
        if id_range:
            domain &= Domain("id", ">=", id_range[0]) & Domain("id", "<=", id_range[1])
        return self.env["res.partner"].sudo()._search(domain)

    def _preview_eligibility(self, sample_size=10):
        """(count, sample of registrants) for the current rules, without enrolling."""
        self.ensure_one()
        Partner = self.env["res.partner"].sudo()
        domain = self._eligibility_domain()
        count = Partner.search_count(domain)
        sample = Partner.search(domain, limit=sample_size, order="id")
        return count, sample.with_env(self.env)

    def action_preview_eligibility(self):
        """Count who matches the rules now and open the list of matching registrants."""
        self.ensure_one()
        self._check_manager()
        count, _sample = self._preview_eligibility(sample_size=0)
        self.write({"preview_count": count, "preview_date": fields.Datetime.now()})
        return {
            "type": "ir.actions.act_window",
            "name": _("Eligible for %s (preview)", self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("g2p_program.view_g2p_eligibility_preview_list").id, "list"),
                (self._registrant_form_view().id, "form"),
            ],
            "domain": list(self._eligibility_domain()),
            "context": {"create": False, "g2p_target_type": self.target_type},
            "help": _(
                "<p class='o_view_nocontent_smiling_face'>Nobody matches the rules yet</p>"
                "<p>Only active registrants that are not duplicates are eligible: approve registrants "
                "in the registry or loosen the rules on the Eligibility tab.</p>"
            ),
        }

    def _registrant_form_view(self):
        """The registry's form for this program's target: household or individual."""
        xmlid = (
            "g2p_registry.view_individual_form"
            if self.target_type == "individual"
            else "g2p_registry.view_household_form"
        )
        return self.env.ref(xmlid)

    def _payment_account_join_sql(self, partner_alias):
        """LATERAL join picking the payment account of the registrant aliased ``partner_alias``:
        its own default (else first) active account, else its household head's, held with an
        active PSP allowed by the program."""
        self.ensure_one()
        alias = SQL.identifier(partner_alias)
        psp_filter = SQL("AND a.provider_id IN %s", tuple(self.psp_ids.ids)) if self.psp_ids else SQL()
        return SQL(
            """LEFT JOIN LATERAL (
                   SELECT a.id, a.provider_id
                     FROM g2p_payment_account a
                     JOIN res_partner psp ON psp.id = a.provider_id
                    WHERE a.partner_id IN (%(alias)s.id, %(alias)s.head_id)
                      AND a.active IS TRUE AND psp.is_psp IS TRUE AND psp.psp_active IS NOT FALSE
                      %(psp_filter)s
                 ORDER BY (a.partner_id = %(alias)s.id) DESC, a.is_default IS TRUE DESC, a.id
                    LIMIT 1
               ) acc ON TRUE""",
            alias=alias,
            psp_filter=psp_filter,
        )

    def _flush_for_eligibility(self):
        self.env["res.partner"].flush_model()
        self.env["g2p.group.membership"].flush_model()
        self.env["g2p.payment.account"].flush_model()
        self.env["g2p.program.membership"].flush_model()
        self.flush_recordset()
        self.eligibility_rule_ids.flush_recordset()

    def _enrolment_insert_sql(self, today, id_range=None):
        """The INSERT … SELECT enrolling eligible registrants not yet members (with an id in
        ``id_range`` when given), each linked to its payment account; ON CONFLICT skips existing
        members, also those of a concurrent run."""
        self.ensure_one()
        return SQL(
            """INSERT INTO g2p_program_membership
                       (program_id, partner_id, company_id, state, enrolment_date, last_verified_date,
                        payment_account_id, psp_id, create_uid, create_date, write_uid, write_date)
                   SELECT %(program)s, p.id, %(company)s, 'enrolled', %(today)s, %(today)s,
                          acc.id, acc.provider_id,
                          %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                     FROM res_partner p
                     %(account_join)s
                    WHERE p.id IN %(eligible)s
                   -- Existing members are skipped by the unique index, not by a NOT EXISTS on
                   -- the table being filled: with statistics saying "empty" (a new database) the
                   -- planner would rescan it for every inserted row.
                   ON CONFLICT (program_id, partner_id) DO NOTHING""",
            program=self.id,
            company=self.company_id.id,
            today=today,
            uid=self.env.uid,
            account_join=self._payment_account_join_sql("p"),
            eligible=self._eligible_query(id_range).subselect(),
        )

    def _enrol_eligible(self):
        """Enrol every eligible registrant not yet a member, at once in this transaction, and
        bring back members marked not eligible who qualify again. Returns the number of
        registrants newly enrolled."""
        return self._start_enrolment(background=False).result_count

    def _start_enrolment(self, background=None):
        """Start the enrolment stage: chunks of eligible registrant ids (one query computes
        them), each enrolled by one INSERT … SELECT (idempotent: existing members are left
        alone); in background jobs when there are many (``background`` None), else at once.
        Returns the stage (``g2p.job.run``)."""
        self.ensure_one()
        self._ensure_active(_("enrolment"))
        self._g2p_check_idle()
        self._flush_for_eligibility()
        ranges = self._g2p_job_ranges(
            SQL("SELECT p.id FROM res_partner p WHERE p.id IN %s", self._eligible_query().subselect())
        )
        today = fields.Date.to_string(fields.Date.context_today(self))
        return self._g2p_run_stage("enrol", ranges, {"today": today}, background=background)

    def _enrol_chunk(self, run, lo, hi):
        """One chunk of the enrolment: eligible registrants with an id in [lo, hi] not yet members
        are enrolled; members marked not eligible who qualify again come back. A chunk run twice
        changes nothing the second time."""
        self._flush_for_eligibility()
        today = run.params["today"]
        self.env.cr.execute(self._enrolment_insert_sql(today, (lo, hi)))
        inserted = self.env.cr.rowcount
        came_back = self._reenrol_eligible_again(today, (lo, hi))
        self.env["g2p.program.membership"].invalidate_model()
        return inserted + came_back

    def _enrol_finish(self, run):
        count = run.result_count
        if count >= ANALYZE_THRESHOLD:
            # Fresh statistics after a bulk load, so the next set-based queries (re-verification,
            # benefit amounts, payroll) are planned with hash joins rather than nested loops.
            self.env.cr.execute(SQL("ANALYZE g2p_program_membership"))
        self.env["g2p.program.membership"].invalidate_model()
        self.invalidate_recordset(["membership_ids", "enrolled_count", "membership_count"])
        if count:
            self.message_post(body=_("Enrolment: %(count)s registrants newly enrolled.", count=count))
        else:
            self.message_post(body=_("Enrolment: nobody new to enrol."))

    def _reenrol_eligible_again(self, today, id_range=None):
        """Members marked not eligible who qualify again go back to enrolled (set-based), only
        registrants with an id in ``id_range`` when given."""
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_program_membership pm
                      SET state = 'enrolled', state_reason = NULL, exit_date = NULL,
                          enrolment_date = %(today)s, last_verified_date = %(today)s,
                          write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                    WHERE pm.program_id = %(program)s AND pm.state = 'not_eligible'
                      AND pm.partner_id IN %(eligible)s""",
                program=self.id,
                today=today,
                uid=self.env.uid,
                eligible=self._eligible_query(id_range).subselect(),
            )
        )
        return self.env.cr.rowcount

    def action_enrol_eligible(self):
        self._check_manager()
        runs = self.env["g2p.job.run"]
        for program in self:
            runs |= program._start_enrolment()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Enrolment"))
        count = sum(runs.mapped("result_count"))
        self.invalidate_recordset(["enrolled_count", "membership_count"])
        enrolled = sum(self.mapped("enrolled_count"))
        if count:
            message = _(
                "%(count)s registrants newly enrolled; %(enrolled)s members enrolled in all.",
                count=count,
                enrolled=enrolled,
            )
        else:
            message = _(
                "Nobody new to enrol: every eligible registrant is already a member (%(enrolled)s enrolled).",
                enrolled=enrolled,
            )
        return notification(_("Enrolment"), message, "success" if count else "info")

    def _verify_eligibility(self):
        """Re-check current members against the rules at once, in this transaction. Returns the
        number of members whose state changed."""
        return self._start_verification(background=False).result_count

    def _start_verification(self, background=None):
        """Start the re-verification stage over chunks of the current members' registrant ids
        (one query computes them); in background jobs when there are many. Returns the stage."""
        self.ensure_one()
        self._ensure_active(_("re-verification"))
        self._g2p_check_idle()
        self._flush_for_eligibility()
        ranges = self._g2p_job_ranges(
            SQL(
                """SELECT partner_id FROM g2p_program_membership
                    WHERE program_id = %s AND state IN ('draft', 'enrolled', 'paused')""",
                self.id,
            )
        )
        today = fields.Date.to_string(fields.Date.context_today(self))
        return self._g2p_run_stage("verify", ranges, {"today": today}, background=background)

    def _verify_chunk(self, run, lo, hi):
        """One chunk of the re-verification, set-based, for members whose registrant id is in
        [lo, hi]: confirmed duplicates become 'duplicate', others who no longer qualify become
        'not_eligible' (with the reason). Returns the number of members whose state changed; run
        twice, the second time changes no state."""
        self._flush_for_eligibility()
        today = run.params["today"]
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_program_membership pm
                      SET state = CASE WHEN p.duplicate_of_id IS NOT NULL THEN 'duplicate'
                                       ELSE 'not_eligible' END,
                          state_reason = CASE
                              WHEN p.duplicate_of_id IS NOT NULL THEN %(dup)s
                              WHEN p.registrant_state IS DISTINCT FROM 'active' THEN %(inactive)s
                              ELSE %(rules)s END,
                          exit_date = %(today)s, last_verified_date = %(today)s,
                          write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                     FROM res_partner p
                    WHERE p.id = pm.partner_id AND pm.program_id = %(program)s
                      AND pm.state IN ('draft', 'enrolled', 'paused')
                      AND pm.partner_id BETWEEN %(lo)s AND %(hi)s
                      AND pm.partner_id NOT IN %(eligible)s""",
                dup=_("Confirmed duplicate of another registrant."),
                inactive=_("The registrant is no longer active in the registry."),
                rules=_("No longer meets the eligibility rules."),
                today=today,
                uid=self.env.uid,
                program=self.id,
                lo=lo,
                hi=hi,
                eligible=self._eligible_query((lo, hi)).subselect(),
            )
        )
        changed = self.env.cr.rowcount
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_program_membership SET last_verified_date = %s
                    WHERE program_id = %s AND state IN ('draft', 'enrolled', 'paused')
                      AND partner_id BETWEEN %s AND %s""",
                today,
                self.id,
                lo,
                hi,
            )
        )
        self.env["g2p.program.membership"].invalidate_model()
        return changed

    def _verify_finish(self, run):
        changed = run.result_count
        self.env["g2p.program.membership"].invalidate_model()
        self.invalidate_recordset(["enrolled_count", "membership_count"])
        if changed:
            self.message_post(body=_("Re-verification: %s.", self._no_longer_qualify_text(changed)))
        else:
            self.message_post(body=_("Re-verification: every member still qualifies."))

    @api.model
    def _no_longer_qualify_text(self, count):
        if count == 1:
            return _("1 member no longer qualifies")
        return _("%(count)s members no longer qualify", count=count)

    def action_verify_eligibility(self):
        self._check_manager()
        runs = self.env["g2p.job.run"]
        for program in self:
            runs |= program._start_verification()
        background = runs.filtered("in_background")
        if background:
            return background[0]._record()._g2p_stage_notification(background[0], _("Re-verification"))
        changed = sum(runs.mapped("result_count"))
        self.invalidate_recordset(["enrolled_count", "membership_count"])
        enrolled = sum(self.mapped("enrolled_count"))
        if changed:
            message = _(
                '%(members)s and left the program (see the members with the status "Not Eligible" '
                'or "Duplicate" for the reason); %(enrolled)s remain enrolled.',
                members=self._no_longer_qualify_text(changed),
                enrolled=enrolled,
            )
        elif enrolled:
            message = _("All %(enrolled)s enrolled members still qualify.", enrolled=enrolled)
        else:
            message = _("Nobody is enrolled yet: use Enrol Eligible first.")
        return notification(_("Re-verification"), message, "warning" if changed else "success")

    def _refresh_payment_accounts(self):
        """Re-link enrolled members to their current payment account (set-based); payroll calls
        this before generating lines."""
        self.ensure_one()
        self._flush_for_eligibility()
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_program_membership pm
                      SET payment_account_id = x.account_id, psp_id = x.provider_id
                     FROM (SELECT p.id AS partner_id, acc.id AS account_id, acc.provider_id
                             FROM g2p_program_membership m
                             JOIN res_partner p ON p.id = m.partner_id
                             %s
                            WHERE m.program_id = %s) x
                    WHERE pm.program_id = %s AND pm.partner_id = x.partner_id
                      AND (pm.payment_account_id IS DISTINCT FROM x.account_id
                           OR pm.psp_id IS DISTINCT FROM x.provider_id)""",
                self._payment_account_join_sql("p"),
                self.id,
                self.id,
            )
        )
        self.env["g2p.program.membership"].invalidate_model()
        return self.env.cr.rowcount

    def action_refresh_payment_accounts(self):
        self._check_manager()
        self._g2p_check_idle()
        count = sum(program._refresh_payment_accounts() for program in self)
        return notification(
            _("Payment accounts"),
            _("%(count)s members now point at a different payment account.", count=count)
            if count
            else _("Every member already points at its current payment account."),
            "success" if count else "info",
        )

    # ------------------------------------------------------------------ benefit formula

    def _benefit_amounts_sql(self, partner_ids=None, partner_range=None):
        """SQL selecting (beneficiary_id, amount) for the enrolled members of the program
        (optionally restricted to ``partner_ids``, or to ids in ``partner_range`` (lo, hi)),
        set-based:

        amount = min(ceiling, base + per_member * min(members, cap) + Σ top-ups), rounded to the
        currency. Members are the current household members (the person itself for an individual
        program). A per-member top-up adds its amount for each matching member (up to its cap); a
        per-beneficiary top-up adds its amount once when the beneficiary matches."""
        self.ensure_one()
        self._flush_for_eligibility()
        self.topup_ids.flush_recordset()
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        restrict = SQL("AND pm.partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        if partner_ids is not None and not partner_ids:
            restrict = SQL("AND FALSE")
        if partner_range:
            restrict = SQL("%s AND pm.partner_id BETWEEN %s AND %s", restrict, *partner_range)
        if self.target_type == "group":
            # The range bounds the membership scan too: without it a chunk's merge join reads the
            # memberships of every household below its range (quadratic over a national registry).
            group_range = SQL("AND m.group_id BETWEEN %s AND %s", *partner_range) if partner_range else SQL()
            members = SQL(
                """SELECT ben.id AS ben_id, m.individual_id AS member_id
                     FROM ben JOIN g2p_group_membership m ON m.group_id = ben.id AND m.is_current IS TRUE
                          %s""",
                group_range,
            )
        else:
            members = SQL("SELECT ben.id AS ben_id, ben.id AS member_id FROM ben")
        topups = []
        for topup in self.topup_ids:
            matching = Partner._search(topup._get_domain()).subselect()
            if topup.applies_to == "member":
                topups.append(
                    SQL(
                        """SELECT mem.ben_id, LEAST(count(*), %s) * %s::numeric AS amount
                             FROM mem WHERE mem.member_id IN %s GROUP BY mem.ben_id""",
                        topup.max_count or None,
                        topup.amount,
                        matching,
                    )
                )
            else:
                topups.append(
                    SQL("SELECT ben.id, %s::numeric FROM ben WHERE ben.id IN %s", topup.amount, matching)
                )
        topup_sql = SQL(" UNION ALL ").join(topups) if topups else SQL("SELECT NULL::int, 0::numeric")
        rounding = self.currency_id.rounding
        return SQL(
            """WITH ben AS MATERIALIZED (SELECT pm.partner_id AS id FROM g2p_program_membership pm
                             WHERE pm.program_id = %(program)s AND pm.state = 'enrolled' %(restrict)s),
                    mem AS MATERIALIZED (%(members)s),
                    counts AS MATERIALIZED (SELECT ben_id, count(*) AS n FROM mem GROUP BY ben_id),
                    topups AS MATERIALIZED (SELECT t.ben_id, sum(t.amount) AS amount
                                 FROM (%(topups)s) AS t(ben_id, amount) GROUP BY t.ben_id)
             SELECT ben.id AS beneficiary_id,
                    ROUND(LEAST(%(base)s::numeric
                                + %(per_member)s::numeric * LEAST(COALESCE(counts.n, 0), %(max_members)s)
                                + COALESCE(topups.amount, 0),
                                %(ceiling)s::numeric)
                          / %(rounding)s::numeric) * %(rounding)s::numeric AS amount
               FROM ben
          LEFT JOIN counts ON counts.ben_id = ben.id
          LEFT JOIN topups ON topups.ben_id = ben.id""",
            program=self.id,
            restrict=restrict,
            members=members,
            topups=topup_sql,
            base=self.base_amount,
            per_member=self.amount_per_member,
            max_members=self.max_members or None,
            ceiling=self.ceiling_amount or None,
            rounding=rounding,
        )

    def _compute_benefit_amounts(self, partner_ids=None):
        """{beneficiary id: amount} for the enrolled members, in one query."""
        self.ensure_one()
        rows = self.env.execute_query(self._benefit_amounts_sql(partner_ids))
        return {partner_id: self.currency_id.round(float(amount)) for partner_id, amount in rows}

    # ------------------------------------------------------------------ cycles

    def _next_cycle_dates(self):
        """(start, end) of the cycle after the latest one, from the frequency."""
        self.ensure_one()
        last = self.cycle_ids.sorted("end_date")[-1:] if self.cycle_ids else self.cycle_ids
        start = last.end_date + relativedelta(days=1) if last else self.start_date
        if self.frequency == "monthly":
            end = start + relativedelta(months=1, days=-1)
        elif self.frequency == "quarterly":
            end = start + relativedelta(months=3, days=-1)
        else:
            end = start + relativedelta(days=self.custom_interval_days - 1)
        return start, end

    def _create_next_cycle(self):
        self.ensure_one()
        self._ensure_active(_("opening a cycle"))
        start, end = self._next_cycle_dates()
        if self.end_date and start > self.end_date:
            raise UserError(
                _(
                    "Program %(program)s ends on %(end)s: no cycle can start after it.",
                    program=self.name,
                    end=self.end_date,
                )
            )
        if self.end_date and end > self.end_date:
            end = self.end_date
        sequence = max(self.cycle_ids.mapped("sequence") or [0]) + 1
        return self.env["g2p.cycle"].create(
            {
                "program_id": self.id,
                "sequence": sequence,
                "name": _("%(program)s – Cycle %(sequence)s", program=self.name, sequence=sequence),
                "start_date": start,
                "end_date": end,
            }
        )

    def action_new_cycle(self):
        self.ensure_one()
        self._check_manager()
        cycle = self._create_next_cycle()
        return notification(
            _("Cycle created"),
            _(
                "%(cycle)s (%(start)s – %(end)s) is a draft: check it, then submit it for approval.",
                cycle=cycle.name,
                start=format_date(self.env, cycle.start_date),
                end=format_date(self.env, cycle.end_date),
            ),
            next_action={
                "type": "ir.actions.act_window",
                "res_model": "g2p.cycle",
                "res_id": cycle.id,
                "views": [(False, "form")],
                "view_mode": "form",
            },
        )

    # ------------------------------------------------------------------ smart buttons

    def action_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_program.action_g2p_program_membership")
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id, "search_default_filter_enrolled": 1}
        return action

    def action_view_cycles(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_program.action_g2p_cycle")
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id}
        return action

    # ------------------------------------------------------------------ demo

    @api.model
    def _demo_activate_enrol_and_approve_cycle(self, program_id, maker_id=None, checker_id=None):
        """Demo data: activate the program, enrol the eligible and approve its first cycle, created
        and submitted by ``maker``, approved by ``checker`` (two program managers, for the cycle's
        maker-checker); as superuser when they are not given."""
        program = self.browse(program_id).sudo()
        if program.state == "draft":
            program.action_activate()
        program._enrol_eligible()
        if not program.cycle_ids:
            Users = self.env["res.users"]
            cycle = (program.with_user(Users.browse(maker_id)) if maker_id else program)._create_next_cycle()
            cycle.action_submit()
            (cycle.with_user(Users.browse(checker_id)) if checker_id else cycle).action_approve()
        return True
