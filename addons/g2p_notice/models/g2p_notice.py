import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL, split_every

from ..const import (
    CHANNELS,
    JOB_CHANNEL,
    NOTICE_KINDS,
    NOTICE_STATES,
    PREPARE_CHUNK,
    RETRYABLE_SMS_FAILURES,
    SEND_CHUNK,
    SKIP_REASONS,
)
from odoo.addons.g2p_registry.tools.sql import pg_array

_logger = logging.getLogger(__name__)

# What an e-mail notice is rendered with: the template's own recipients are not used, the notice's
# partner (checked against the opt-outs) is the one recipient.
MAIL_FIELDS = (
    "subject",
    "body_html",
    "email_from",
    "reply_to",
    "auto_delete",
    "mail_server_id",
    "model",
    "res_id",
)


class G2pNotice(models.Model):
    """One notice to one person about one event, by one channel: the log and the idempotency key.

    Events (a payment sent, paid or failed; a claim approved or rejected in g2p_notice_insurance) call
    :meth:`_g2p_notify` inside their own transaction: it only enqueues jobs, so the notices exist only
    if the event commits, and nothing in them can block or undo it. The jobs write the notices set-based,
    at most one per (kind, record, channel) — a unique index, so a repeated callback, a re-run job or
    two racing workers notify once — render the templates in each person's language and create the
    SMS and e-mails in batches. A failed SMS is sent again a bounded number of times."""

    _name = "g2p.notice"
    _description = "Notice to a Beneficiary"
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True

    kind = fields.Selection(NOTICE_KINDS, required=True, readonly=True)
    channel = fields.Selection(CHANNELS, required=True, readonly=True)
    state = fields.Selection(NOTICE_STATES, required=True, default="queued", readonly=True)
    skip_reason = fields.Selection(SKIP_REASONS, string="Not Sent Because", readonly=True)
    res_model = fields.Char(string="Document Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, readonly=True
    )
    reference = fields.Char(readonly=True, help="The payment number or claim reference.")
    partner_id = fields.Many2one("res.partner", string="Recipient", required=True, readonly=True, index=True)
    program_id = fields.Many2one("g2p.program", readonly=True, index="btree_not_null")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    number = fields.Char(string="Phone Number", readonly=True)
    email = fields.Char(readonly=True)
    body = fields.Text(string="Message", readonly=True)
    sms_id = fields.Many2one(
        "sms.sms", string="SMS", readonly=True, ondelete="set null", index="btree_not_null"
    )
    mail_id = fields.Many2one(
        "mail.mail", string="E-mail", readonly=True, ondelete="set null", index="btree_not_null"
    )
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    failure_type = fields.Char(readonly=True, help="Odoo's failure type of the last SMS attempt.")
    error = fields.Char(string="Last Error", readonly=True)
    sent_date = fields.Datetime(readonly=True)
    next_try_date = fields.Datetime(string="Next Attempt", readonly=True)

    _event_uniq = models.UniqueIndex(
        "(kind, res_model, res_id, channel)", "A person is told of an event once per channel."
    )

    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for notice in self:
            notice.display_name = "%s – %s" % (kinds.get(notice.kind, notice.kind), notice.reference or "")

    # ------------------------------------------------------------------ configuration

    @api.model
    def _g2p_notice_kinds(self):
        """{kind: {model, sms (sms.template xmlid), mail (mail.template xmlid or None)}}; bridges add
        theirs. The source model implements ``_g2p_notice_enabled_ids(kind)`` and
        ``_g2p_notice_targets()``."""
        return {
            "payment_sent": {
                "model": "g2p.payroll.line",
                "sms": "g2p_notice.sms_template_payment_sent",
                "mail": "g2p_notice.mail_template_payment_sent",
            },
            "payment_paid": {
                "model": "g2p.payroll.line",
                "sms": "g2p_notice.sms_template_payment_paid",
                "mail": "g2p_notice.mail_template_payment_paid",
            },
            "payment_failed": {
                "model": "g2p.payroll.line",
                "sms": "g2p_notice.sms_template_payment_failed",
                "mail": "g2p_notice.mail_template_payment_failed",
            },
        }

    @api.model
    def _sms_max_attempts(self):
        return max(1, int(self.env["ir.config_parameter"].sudo().get_param("g2p_notice.sms_max_attempts", 3)))

    @api.model
    def _sms_retry_delay(self, attempt):
        """Minutes before attempt ``attempt + 1``: 5, 10, 20 … (at most a day)."""
        base = int(self.env["ir.config_parameter"].sudo().get_param("g2p_notice.sms_retry_minutes", 5))
        return timedelta(minutes=min(base * 2 ** max(attempt - 1, 0), 24 * 60))

    # ------------------------------------------------------------------ the event side

    @api.model
    def _g2p_notify(self, kind, records):
        """Tell the people concerned by ``records`` (of the kind's model) of the event ``kind``, later:
        called where the event happens, it only enqueues jobs (one per chunk), for the records whose
        program has the notice switched on. One query and the job rows."""
        if not records:
            return 0
        ids = records._g2p_notice_enabled_ids(kind)
        for chunk in split_every(PREPARE_CHUNK, ids):
            self.sudo().with_delay(
                channel=JOB_CHANNEL,
                description=_("Notices: %(kind)s (%(count)s)", kind=kind, count=len(chunk)),
            )._job_prepare(kind, list(chunk))
        return len(ids)

    # ------------------------------------------------------------------ jobs

    def _job_prepare(self, kind, res_ids):
        """Log the notices of ``kind`` for ``res_ids`` (once: ON CONFLICT DO NOTHING), mark the opted-out
        ones, render the SMS and enqueue their sending, and create the e-mails. A fixed number of
        queries per chunk, whatever its size."""
        notice = self.sudo()
        spec = notice._g2p_notice_kinds()[kind]
        targets = notice.env[spec["model"]].browse(res_ids)._g2p_notice_targets()
        if not targets:
            return 0
        contacts = notice._g2p_contacts({target["partner_id"] for target in targets})
        rows = []
        for target in targets:
            contact = contacts.get(target["partner_id"], {})
            if contact.get("no_notices"):
                sms_state, sms_reason = "skipped", "opted_out"
            elif not contact.get("phone"):
                sms_state, sms_reason = "skipped", "no_number"
            elif contact.get("phone_blacklisted"):
                sms_state, sms_reason = "skipped", "sms_blacklist"
            else:
                sms_state, sms_reason = "queued", None
            rows.append((target, "sms", contact.get("phone"), None, sms_state, sms_reason))
            if spec.get("mail") and contact.get("email"):
                if contact.get("no_notices"):
                    mail_state, mail_reason = "skipped", "opted_out"
                elif contact.get("email_blacklisted"):
                    mail_state, mail_reason = "skipped", "mail_blacklist"
                else:
                    mail_state, mail_reason = "queued", None
                rows.append((target, "email", None, contact["email"], mail_state, mail_reason))
        inserted = notice._g2p_insert(kind, spec["model"], rows)
        sms_new = {
            res_id: nid for nid, channel, res_id, state in inserted if channel == "sms" and state == "queued"
        }
        mail_new = {
            res_id: nid
            for nid, channel, res_id, state in inserted
            if channel == "email" and state == "queued"
        }
        if sms_new:
            notice._g2p_render_sms(spec, sms_new)
        if mail_new:
            notice._g2p_create_mails(spec, mail_new, {t["res_id"]: t["partner_id"] for t in targets})
        _logger.info(
            "Notices %s: %s records, %s notices logged (%s SMS, %s e-mails to send), %s already logged",
            kind,
            len(targets),
            len(inserted),
            len(sms_new),
            len(mail_new),
            len(rows) - len(inserted),
        )
        return len(inserted)

    def _job_send_sms(self, notice_ids):
        """Send the SMS of queued notices and of those due for a retry; record each outcome. Notices in
        another state (sent meanwhile, failed, skipped) are left alone, so a job run twice sends nothing
        twice."""
        # Locked, skipping those another job holds: two jobs (a retry and a manual Send Again) never
        # send the same notice.
        self.flush_model(["state", "channel"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM g2p_notice
                    WHERE id = ANY(%s) AND channel = 'sms' AND state IN ('queued', 'retry')
                    ORDER BY id FOR UPDATE SKIP LOCKED""",
                list(notice_ids),
            )
        )
        notices = self.sudo().browse([row[0] for row in rows])
        for company in notices.company_id:
            company_notices = notices.filtered(lambda n, c=company: n.company_id == c)
            self.sudo().with_company(company)._g2p_send_sms(company_notices)

    def _g2p_send_sms(self, notices):
        Sms = self.env["sms.sms"].sudo()
        fresh = notices.filtered(lambda n: not n.sms_id)
        created = Sms.create(
            [{"number": n.number, "body": n.body, "partner_id": n.partner_id.id} for n in fresh]
        )
        if fresh:
            self._g2p_update(
                [(n.id, sms.id) for n, sms in zip(fresh, created, strict=True)], "sms_id = v.val::int", "int"
            )
        again = (notices - fresh).sms_id.filtered(lambda s: s.state == "error")
        if again:
            again.write({"state": "outgoing", "failure_type": False})
        to_send = created | again | (notices - fresh).sms_id.filtered(lambda s: s.state == "outgoing")
        # Sent ones are marked for Odoo's clean-up (the notice keeps number and text), failed ones kept.
        to_send.send(unlink_failed=False, unlink_sent=True, raise_exception=False)
        notices.invalidate_recordset()
        to_send.invalidate_recordset()
        self._g2p_record_sms_outcomes(notices)

    def _g2p_record_sms_outcomes(self, notices):
        max_attempts = self._sms_max_attempts()
        now = fields.Datetime.now()
        outcomes, retries = [], {}
        for notice in notices:
            sms = notice.sms_id
            if not sms or sms.state == "outgoing":  # taken by Odoo's SMS queue meanwhile: look again later
                retries.setdefault(notice.attempt_count, []).append(notice.id)
                continue
            attempt = notice.attempt_count + 1
            if sms.state in ("pending", "sent", "process"):
                outcomes.append((notice.id, "sent", attempt, None, None, now, None))
            elif (
                sms.state == "error" and sms.failure_type in RETRYABLE_SMS_FAILURES and attempt < max_attempts
            ):
                next_try = now + self._sms_retry_delay(attempt)
                outcomes.append(
                    (notice.id, "retry", attempt, sms.failure_type, self._sms_error(sms), None, next_try)
                )
                retries.setdefault(attempt, []).append(notice.id)
            else:
                outcomes.append(
                    (notice.id, "failed", attempt, sms.failure_type, self._sms_error(sms), None, None)
                )
        if outcomes:
            ids, states, attempts, types, errors, sent, next_tries = (
                pg_array(c) for c in zip(*outcomes, strict=True)
            )
            self.env.cr.execute(
                SQL(
                    """UPDATE g2p_notice n
                          SET state = v.state, attempt_count = v.attempt, failure_type = v.ftype,
                              error = v.error, sent_date = COALESCE(v.sent, n.sent_date),
                              next_try_date = v.next_try,
                              write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                         FROM unnest(%s::int[], %s::varchar[], %s::int[], %s::varchar[], %s::varchar[],
                                     %s::timestamp[], %s::timestamp[])
                              AS v(id, state, attempt, ftype, error, sent, next_try)
                        WHERE n.id = v.id""",
                    self.env.uid,
                    ids,
                    states,
                    attempts,
                    types,
                    errors,
                    sent,
                    next_tries,
                )
            )
            self.invalidate_model()
        failed = sum(1 for row in outcomes if row[1] == "failed")
        if failed:
            _logger.warning(
                "Notices: %s SMS failed for good (ids %s)",
                failed,
                [r[0] for r in outcomes if r[1] == "failed"][:20],
            )
        for attempt, ids in retries.items():
            for chunk in split_every(SEND_CHUNK, ids):
                self.with_delay(
                    channel=JOB_CHANNEL,
                    eta=self._sms_retry_delay(max(attempt, 1)),
                    description=_("Notices: SMS again (%s)", len(chunk)),
                )._job_send_sms(list(chunk))

    @api.model
    def _sms_error(self, sms):
        labels = dict(sms._fields["failure_type"]._description_selection(self.env))
        return (labels.get(sms.failure_type) or sms.failure_type or _("Unknown error"))[:250]

    # ------------------------------------------------------------------ set-based helpers

    @api.model
    def _g2p_contacts(self, partner_ids):
        """{partner id: {no_notices, phone, phone_blacklisted, email, email_blacklisted}} in one query.
        The phone is the registrant's primary (else first) number that is not disabled, else the
        contact's own (sanitized) phone."""
        self.env["res.partner"].flush_model(["g2p_no_notices", "email_normalized", "phone_sanitized"])
        self.env["g2p.phone.number"].flush_model(["phone_number", "disabled", "is_primary", "partner_id"])
        self.env["phone.blacklist"].flush_model(["number", "active"])
        self.env["mail.blacklist"].flush_model(["email", "active"])
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT p.id, p.g2p_no_notices AS no_notices, p.email_normalized AS email,
                          c.phone,
                          EXISTS (SELECT 1 FROM phone_blacklist b WHERE b.active AND b.number = c.phone)
                              AS phone_blacklisted,
                          EXISTS (SELECT 1 FROM mail_blacklist m
                                   WHERE m.active AND m.email = p.email_normalized)
                              AS email_blacklisted
                     FROM res_partner p
                     LEFT JOIN LATERAL (
                          SELECT COALESCE(
                                 (SELECT n.phone_number FROM g2p_phone_number n
                                   WHERE n.partner_id = p.id AND n.disabled IS NOT TRUE
                                   ORDER BY n.is_primary DESC NULLS LAST, n.id LIMIT 1),
                                 p.phone_sanitized) AS phone) c ON TRUE
                    WHERE p.id = ANY(%s)""",
                list(partner_ids),
            )
        )
        return {row.pop("id"): row for row in rows}

    @api.model
    def _g2p_insert(self, kind, model, rows):
        """INSERT the notices of ``rows`` that are not logged yet; returns (id, channel, res id, state)
        of those inserted."""
        if not rows:
            return []
        cols = list(
            zip(
                *(
                    (
                        channel,
                        target["res_id"],
                        target["partner_id"],
                        target.get("program_id"),
                        target["company_id"],
                        target.get("reference"),
                        number,
                        email,
                        state,
                        reason,
                    )
                    for target, channel, number, email, state, reason in rows
                ),
                strict=True,
            )
        )
        return self.env.execute_query(
            SQL(
                """INSERT INTO g2p_notice (kind, res_model, channel, res_id, partner_id, program_id,
                                           company_id, reference, number, email, state, skip_reason,
                                           attempt_count,
                                           create_uid, create_date, write_uid, write_date)
                   SELECT %s, %s, v.channel, v.res_id, v.partner_id, v.program_id, v.company_id, v.reference,
                          v.number, v.email, v.state, v.reason, 0,
                          %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
                     FROM unnest(%s::varchar[], %s::int[], %s::int[], %s::int[], %s::int[], %s::varchar[],
                                 %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[])
                          AS v(channel, res_id, partner_id, program_id, company_id, reference, number, email,
                               state, reason)
                   ORDER BY v.res_id, v.channel
                   ON CONFLICT (kind, res_model, res_id, channel) DO NOTHING
                   RETURNING id, channel, res_id, state""",
                kind,
                model,
                self.env.uid,
                self.env.uid,
                *(pg_array(col) for col in cols),
            )
        )

    @api.model
    def _g2p_update(self, pairs, assignment, kind):
        """UPDATE g2p_notice SET <assignment with v.val> for (id, value) ``pairs``, in one statement."""
        ids, values = zip(*pairs, strict=True)
        self.env.cr.execute(
            SQL(
                "UPDATE g2p_notice n SET %s, write_date = now() AT TIME ZONE 'UTC' "
                "FROM unnest(%s::int[], %s::%s[]) AS v(id, val) WHERE n.id = v.id",
                SQL(assignment),
                pg_array(ids),
                pg_array(values),
                SQL(kind),
            )
        )
        self.invalidate_model()

    @api.model
    def _g2p_render_sms(self, spec, notice_by_res):
        """Render the SMS in each person's language (the template's ``lang``), store the texts and
        enqueue their sending."""
        template = self.env.ref(spec["sms"])
        res_ids = sorted(notice_by_res)
        bodies = template._render_field("body", res_ids, compute_lang=True)
        self._g2p_update([(notice_by_res[r], bodies[r] or "") for r in res_ids], "body = v.val", "text")
        notice_ids = [notice_by_res[r] for r in res_ids]
        for chunk in split_every(SEND_CHUNK, notice_ids):
            self.with_delay(
                channel=JOB_CHANNEL, description=_("Notices: send SMS (%s)", len(chunk))
            )._job_send_sms(list(chunk))

    @api.model
    def _g2p_create_mails(self, spec, notice_by_res, partner_by_res):
        """Render the e-mails (per language) and create them in one batch for Odoo's mail queue."""
        template = self.env.ref(spec["mail"])
        res_ids = sorted(notice_by_res)
        values = template._generate_template(res_ids, MAIL_FIELDS)
        vals_list = []
        for res_id in res_ids:
            vals = values[res_id]
            vals.pop("partner_ids", None)
            if not vals.get("email_from"):
                vals.pop("email_from", None)
            vals["body"] = vals.get("body_html")
            vals["recipient_ids"] = [(4, partner_by_res[res_id])]
            vals_list.append(vals)
        mails = self.env["mail.mail"].sudo().create(vals_list)
        pairs = [(notice_by_res[r], mail.id) for r, mail in zip(res_ids, mails, strict=True)]
        self._g2p_update(
            pairs,
            "mail_id = v.val::int, state = 'sent', attempt_count = 1, sent_date = now() AT TIME ZONE 'UTC'",
            "int",
        )

    # ------------------------------------------------------------------ actions

    def action_retry(self):
        """Send failed SMS notices again now (a new round of attempts)."""
        todo = self.filtered(lambda n: n.channel == "sms" and n.state in ("failed", "retry") and n.number)
        if todo:
            todo.sudo().write({"state": "retry", "attempt_count": 0, "next_try_date": False})
            for chunk in split_every(SEND_CHUNK, todo.ids):
                self.sudo().with_delay(channel=JOB_CHANNEL)._job_send_sms(list(chunk))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Notices"),
                "message": _("%s SMS will be sent again.", len(todo)),
                "type": "success" if todo else "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------ demo

    @api.model
    def _demo_notices(self, program_id):
        """Demo: the program tells of paid and failed payments; a few notices of its demo payroll are
        logged as if sent (one SMS failed after its attempts, one person opted out). No job, no SMS."""
        program = self.env["g2p.program"].browse(program_id)
        program.write({"notice_payment_paid": True, "notice_payment_failed": True})
        Line = self.env["g2p.payroll.line"]
        paid = Line.search([("program_id", "=", program.id), ("state", "=", "paid")], limit=4, order="id")
        failed = Line.search([("program_id", "=", program.id), ("state", "=", "failed")], limit=1, order="id")
        vals = []
        for index, line in enumerate(paid | failed):
            kind = "payment_paid" if line.state == "paid" else "payment_failed"
            partner = line.notice_partner_id
            phone = partner.phone_number_ids[:1].phone_number
            template = self.env.ref(self._g2p_notice_kinds()[kind]["sms"])
            body = template._render_field("body", line.ids, compute_lang=True)[line.id]
            state, extra = "sent", {"attempt_count": 1, "sent_date": fields.Datetime.now()}
            if index == 1:
                state, extra = "skipped", {"skip_reason": "opted_out"}
                partner.g2p_no_notices = True
            elif line.state == "failed":
                state = "failed"
                extra = {"attempt_count": 3, "failure_type": "sms_server", "error": "Server Error"}
            vals.append(
                {
                    "kind": kind,
                    "channel": "sms",
                    "res_model": line._name,
                    "res_id": line.id,
                    "reference": line.payment_number,
                    "partner_id": partner.id,
                    "program_id": program.id,
                    "company_id": line.company_id.id,
                    "number": phone,
                    "body": body if state != "skipped" else False,
                    "state": state,
                    **extra,
                }
            )
        return self.create(vals)
