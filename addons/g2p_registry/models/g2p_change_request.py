import logging

from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date, format_datetime

from ..tools.change_request import CHANGE_REQUEST_APPLY
from ..tools.notify import notification
from .res_partner import VALIDATOR_GROUP

_logger = logging.getLogger(__name__)

CHANGE_REQUEST_STATES = [
    ("pending", "To Approve"),
    ("applied", "Applied"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]

#: What a line of a related record says about it (an ID, a phone…): these fields, when set.
SUMMARY_FIELDS = {
    "g2p.registrant.id": ["id_type_id", "value", "expiry_date"],
    "g2p.phone.number": ["phone_number", "is_primary", "disabled"],
    "g2p.payment.account": [
        "account_type",
        "provider_id",
        "msisdn",
        "iban",
        "account_number",
        "pay_point_id",
        "is_default",
    ],
    "g2p.group.membership": ["individual_id", "group_id", "role", "end_date"],
}


def display_value(record, fname):
    """The value of ``record.fname`` as a person reads it (names, labels, dates), '' when unset."""
    field = record._fields[fname]
    value = record[fname]
    if field.type == "boolean":
        return record.env._("Yes") if value else record.env._("No")
    if not value:
        return ""
    if field.type in ("many2one", "one2many", "many2many"):
        return ", ".join(value.mapped("display_name"))
    if field.type == "selection":
        return dict(field._description_selection(record.env)).get(value, value)
    if field.type == "date":
        return format_date(record.env, value)
    if field.type == "datetime":
        return format_datetime(record.env, value)
    return str(value)


def compare_key(record, fname):
    """A stable text of ``record.fname`` (ids, ISO dates) to tell whether it changed since."""
    value = record[fname]
    if isinstance(value, models.BaseModel):
        return ",".join(str(i) for i in sorted(value.ids))
    return "" if value is False or value is None else str(value)


class _TrialApplied(Exception):
    """Rolls back the trial application of a change request (see ``_describe``)."""


class G2pChangeRequest(models.Model):
    """A change to an active registrant's key data (names, date of birth, IDs, phones, payment
    accounts, household members and head), proposed by one person and applied only when a
    registry validator who did not propose it approves it (maker-checker).

    Saving such a change on an active registrant proposes it instead of writing it; ``changes``
    holds the values exactly as they were to be written, ``line_ids`` what they change (old →
    new, read when proposed). Approval re-checks that nothing changed since and writes the
    values in one transaction; a rejection keeps its reason. Nothing is ever deleted."""

    _name = "g2p.change.request"
    _description = "Registrant Change Request"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _mail_post_access = "read"

    name = fields.Char(string="Reference", readonly=True, copy=False, default=lambda self: _("New"))
    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        domain=[("is_registrant", "=", True)],
    )
    registrant_number = fields.Char(related="partner_id.registrant_number")
    area_id = fields.Many2one(related="partner_id.area_id")
    company_id = fields.Many2one(related="partner_id.company_id", store=True)
    state = fields.Selection(
        CHANGE_REQUEST_STATES, default="pending", required=True, readonly=True, tracking=True, index=True
    )
    changes = fields.Json(
        string="Proposed Values",
        readonly=True,
        copy=False,
        help="The values to write, as they were proposed.",
    )
    line_ids = fields.One2many("g2p.change.request.line", "request_id", string="Changes", readonly=True)
    summary = fields.Char(compute="_compute_summary", help="What the request changes, in short.")
    proposed_by_id = fields.Many2one("res.users", string="Proposed By", readonly=True, index=True)
    proposed_date = fields.Datetime(readonly=True)
    decided_by_id = fields.Many2one("res.users", string="Decided By", readonly=True)
    decided_date = fields.Datetime(string="Decided On", readonly=True)
    rejection_reason = fields.Text(readonly=True)
    can_withdraw = fields.Boolean(
        compute="_compute_can_decide", help="The current user proposed this pending request."
    )
    can_decide = fields.Boolean(
        compute="_compute_can_decide", help="The current user may approve or reject this request."
    )

    @api.depends("line_ids.label", "line_ids.section", "line_ids.target_model")
    def _compute_summary(self):
        # The registrant's own fields by name (Family Name), its lists by section (Phone Numbers).
        for request in self:
            labels = [
                line.label if line.target_model == "res.partner" else line.section
                for line in request.line_ids
            ]
            request.summary = ", ".join(dict.fromkeys(labels))

    @api.depends_context("uid")
    @api.depends("state", "proposed_by_id")
    def _compute_can_decide(self):
        is_validator = self.env.user.has_group(VALIDATOR_GROUP)
        for request in self:
            mine = request.proposed_by_id == self.env.user
            request.can_decide = is_validator and request.state == "pending" and not mine
            request.can_withdraw = request.state == "pending" and mine

    # ------------------------------------------------------------------ proposing

    @api.model_create_multi
    def create(self, vals_list):
        """Whoever creates a request (by saving a registrant or over RPC) proposes it: the state,
        the author and the lines are always set here, never taken from the caller."""
        for vals in vals_list:
            partner = self.env["res.partner"].browse(vals.get("partner_id"))
            if not partner.is_registrant:
                raise ValidationError(_("A change request is for a registrant."))
            changes = partner._g2p_key_changes(vals.get("changes") or {})
            if not changes:
                raise ValidationError(
                    _("%s: the request changes nothing of the registrant's key data.", partner.display_name)
                )
            vals.update(
                changes=changes,
                state="pending",
                proposed_by_id=self.env.user.id,
                proposed_date=fields.Datetime.now(),
                decided_by_id=False,
                decided_date=False,
                rejection_reason=False,
                name=self.env["ir.sequence"].sudo().next_by_code("g2p.change.request") or _("New"),
            )
            vals.pop("line_ids", None)
        requests = super().create(vals_list)
        for request in requests:
            request._check_no_duplicate_ids()
            lines = request._describe()
            if not lines:
                raise ValidationError(_("%s: the request changes nothing.", request.partner_id.display_name))
            self.env["g2p.change.request.line"].sudo().create(
                [{**line, "request_id": request.id, "sequence": i} for i, line in enumerate(lines)]
            )
            request.partner_id.message_post(
                body=_(
                    "Change request %(name)s proposed: %(summary)s. A registry validator applies it "
                    "when approving it.",
                    name=request.name,
                    summary=request.summary,
                )
            )
        return requests

    def write(self, vals):
        # The workflow fields change only through the buttons (which check who may).
        protected = {"state", "changes", "partner_id", "proposed_by_id", "decided_by_id", "decided_date"}
        if not self.env.su and protected & vals.keys():
            raise AccessError(_("A change request is approved, rejected or cancelled with its buttons."))
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            raise UserError(
                _("Change requests are kept as the registry's history: cancel or reject one instead.")
            )
        return super().unlink()

    # ------------------------------------------------------------------ describing

    def _describe(self):
        """The lines of this request (section, kind, label, old → new, what they target),
        found by applying the changes in a savepoint that is then rolled back: the new values are
        what the registry would store (numbers normalised, names composed), and a value the
        registry refuses (an ID not of its type's form, a second head) is refused now, with the
        registry's own message, not at approval. As superuser: this reads the data; the
        approver's rights are checked when it is applied."""
        self.ensure_one()
        partner = self.partner_id.sudo().with_context(
            **{CHANGE_REQUEST_APPLY: True, "tracking_disable": True}
        )
        commands = {f: v for f, v in self.changes.items() if partner._fields[f].type == "one2many"}
        self._check_commands(partner, commands)
        scalars = [f for f in self.changes if f not in commands]
        before = self._snapshot(partner, scalars, commands)
        try:
            with self.env.cr.savepoint():
                partner.write(self.changes)
                self.env.flush_all()
                after = self._snapshot(partner, scalars, commands)
                raise _TrialApplied
        except _TrialApplied:
            pass
        return self._compare(partner, before, after)

    def _check_commands(self, partner, commands):
        """Only additions, changes and removals of the registrant's own lines are proposed."""
        for fname, field_commands in commands.items():
            field = partner._fields[fname]
            mine = partner[fname]
            for command in field_commands:
                if command[0] not in (Command.CREATE, Command.UPDATE, Command.DELETE, Command.UNLINK) or (
                    command[0] != Command.CREATE and command[1] not in mine.ids
                ):
                    raise ValidationError(
                        _(
                            "%(section)s: only lines of %(name)s are added, changed or removed by a change "
                            "request.",
                            section=field._description_string(self.env),
                            name=partner.display_name,
                        )
                    )

    def _snapshot(self, partner, scalars, commands):
        """What the lines compare: each scalar's (display, key), and for each one2many each
        line's summary and the (display, key) of the fields the commands write."""
        snapshot = {fname: (display_value(partner, fname), compare_key(partner, fname)) for fname in scalars}
        for fname, field_commands in commands.items():
            written = {f for command in field_commands if command[0] == Command.UPDATE for f in command[2]}
            inverse = partner._fields[fname].inverse_name
            snapshot[fname] = {
                record.id: (
                    self._summary(record, inverse),
                    {f: (display_value(record, f), compare_key(record, f)) for f in written},
                )
                for record in partner[fname]
            }
        return snapshot

    def _compare(self, partner, before, after):
        lines = []
        for fname, old in before.items():
            field = partner._fields[fname]
            label = field._description_string(self.env)
            new = after[fname]
            if field.type != "one2many":
                if old[0] != new[0] and not (fname == "name" and not partner.is_group):
                    section = _("Household") if partner.is_group else _("Person")
                    lines.append(self._line(section, label, old[0], new[0], partner, fname, old[1]))
                continue
            model = field.comodel_name
            for record_id, (summary, values) in old.items():
                if record_id not in new:
                    lines.append(
                        {
                            "section": label,
                            "kind": "removed",
                            "label": _("Removed"),
                            "old_value": summary,
                            "target_model": model,
                            "target_id": record_id,
                        }
                    )
                    continue
                for f, (old_display, old_key) in values.items():
                    new_display = new[record_id][1][f][0]
                    if old_display != new_display:
                        what = "%s (%s)" % (self.env[model]._fields[f]._description_string(self.env), summary)
                        lines.append(
                            self._line(
                                label,
                                what,
                                old_display,
                                new_display,
                                self.env[model].browse(record_id),
                                f,
                                old_key,
                            )
                        )
            for record_id, (summary, _values) in new.items():
                if record_id not in old:
                    lines.append(
                        {"section": label, "kind": "added", "label": _("Added"), "new_value": summary}
                    )
        return lines

    def _line(self, section, label, old_value, new_value, record, fname, old_key):
        return {
            "section": section,
            "kind": "changed",
            "label": label,
            "old_value": old_value,
            "new_value": new_value,
            "target_model": record._name,
            "target_id": record.id,
            "field_name": fname,
            "old_key": old_key,
        }

    def _summary(self, record, skip=None):
        """A related record (an ID, a phone…) in a few words: its summary fields that are set."""
        parts = []
        for fname in SUMMARY_FIELDS.get(record._name, ["display_name"]):
            field = record._fields[fname]
            if fname == skip or not record[fname]:
                continue
            parts.append(
                field._description_string(self.env)
                if field.type == "boolean"
                else display_value(record, fname)
            )
        return ", ".join(parts)

    def _check_no_duplicate_ids(self):
        """An ID number proposed for this registrant must not be another registrant's: the
        request is refused naming who has it."""
        self.ensure_one()
        partner = self.partner_id
        RegistrantId = self.env["g2p.registrant.id"]
        for command in self.changes.get("reg_id_ids") or []:
            if command[0] not in (0, 1):
                continue
            current = RegistrantId.browse(command[1]) if command[0] == 1 else RegistrantId
            vals = command[2]
            id_type_id = vals.get("id_type_id", current.id_type_id.id)
            value = RegistrantId._normalize_value(vals.get("value", current.value))
            if not id_type_id or not value:
                continue
            taken = RegistrantId.sudo().search(
                [("id_type_id", "=", id_type_id), ("value", "=", value), ("partner_id", "!=", partner.id)],
                limit=1,
            )
            if taken:
                other = taken.partner_id
                raise ValidationError(
                    _(
                        "%(type)s %(value)s is already recorded for %(other)s (%(number)s): the change "
                        "to %(name)s would make them duplicates. Check the number, or report the "
                        "duplicate.",
                        type=taken.id_type_id.name,
                        value=value,
                        other=other.display_name,
                        number=other.registrant_number or other.id,
                        name=partner.display_name,
                    )
                )

    # ------------------------------------------------------------------ deciding

    def _check_can_decide(self):
        if self.env.su:
            return
        if not self.env.user.has_group(VALIDATOR_GROUP):
            raise AccessError(_("Only registry validators approve or reject change requests."))
        own = self.filtered(lambda r: r.proposed_by_id == self.env.user)
        if own:
            raise AccessError(
                _(
                    "%s: you proposed this change; another registry validator must approve or reject it.",
                    ", ".join(own.mapped("name")),
                )
            )

    def _check_pending(self):
        done = self.filtered(lambda r: r.state != "pending")
        if done:
            raise UserError(_("%s is no longer awaiting approval.", ", ".join(done.mapped("name"))))

    def _check_unchanged_since(self):
        """Refuse to apply over a value that changed since the request was proposed (another
        request applied first, or the registrant was edited while in draft)."""
        for line in self.line_ids.filtered("target_id"):
            record = self.env[line.target_model].browse(line.target_id).exists()
            if not record:
                raise UserError(
                    _(
                        "%(name)s: %(what)s no longer exists. Reject this request and propose the "
                        "change again.",
                        name=self.name,
                        what=line.old_value if line.kind == "removed" else line.label,
                    )
                )
            if line.field_name and compare_key(record, line.field_name) != (line.old_key or ""):
                raise UserError(
                    _(
                        "%(name)s: %(what)s changed since the request was proposed (now “%(now)s”). "
                        "Reject this request and propose the change again.",
                        name=self.name,
                        what=line.label,
                        now=display_value(record, line.field_name),
                    )
                )

    def action_approve(self):
        """Apply each request in full (or not at all), then record who approved."""
        self._check_can_decide()
        self._check_pending()
        for request in self:
            request._check_unchanged_since()
            request._check_no_duplicate_ids()
            partner = request.partner_id.with_context(**{CHANGE_REQUEST_APPLY: True})
            partner.write(request.changes)
            request.sudo().write(
                {"state": "applied", "decided_by_id": self.env.user.id, "decided_date": fields.Datetime.now()}
            )
            partner.message_post(body=request._history_body())
        _logger.info("g2p.change.request: %s applied (ids %s)", len(self), self.ids)
        if len(self) == 1:
            message = _("%(name)s is applied to %(who)s.", name=self.name, who=self.partner_id.display_name)
        else:
            message = _("%s change requests are applied.", len(self))
        return notification(_("Applied"), message)

    def _line_texts(self):
        """Each change in words: "Given Name: Achieng → Akinyi", "Phone Numbers, added: …"."""
        texts = []
        for line in self.line_ids:
            if line.kind == "changed":
                texts.append("%s: %s → %s" % (line.label, line.old_value or "—", line.new_value or "—"))
            else:
                kind = dict(line._fields["kind"]._description_selection(self.env))[line.kind]
                texts.append("%s, %s: %s" % (line.section, kind.lower(), line.old_value or line.new_value))
        return texts

    def _history_body(self):
        """The registrant's history entry of an applied request: who proposed, who approved,
        when, and each old → new."""
        self.ensure_one()
        header = _(
            "Change request %(name)s applied: proposed by %(maker)s on %(proposed)s, approved by "
            "%(checker)s on %(approved)s.",
            name=self.name,
            maker=self.proposed_by_id.name,
            proposed=format_datetime(self.env, self.proposed_date),
            checker=self.decided_by_id.name,
            approved=format_datetime(self.env, self.decided_date),
        )
        items = Markup("").join(Markup("<li>%s</li>") % text for text in self._line_texts())
        return Markup("<p>%s</p><ul>%s</ul>") % (header, items)

    def _reject(self, reason):
        self._check_can_decide()
        self._check_pending()
        if not reason or not reason.strip():
            raise UserError(_("Give the reason of the rejection: the proposer reads it."))
        self.sudo().write(
            {
                "state": "rejected",
                "rejection_reason": reason.strip(),
                "decided_by_id": self.env.user.id,
                "decided_date": fields.Datetime.now(),
            }
        )
        for request in self:
            request.message_post(body=_("Rejected: %s", reason.strip()))
            request.partner_id.message_post(
                body=_(
                    "Change request %(name)s rejected: %(reason)s", name=request.name, reason=reason.strip()
                )
            )
        return self

    def action_open_reject_wizard(self):
        self._check_can_decide()
        self._check_pending()
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject Change Request"),
            "res_model": "g2p.change.request.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_ids": self.ids},
        }

    def action_cancel(self):
        """The proposer withdraws a pending request (a validator rejects it, with a reason)."""
        self._check_pending()
        if not self.env.su and self.filtered(lambda r: r.proposed_by_id != self.env.user):
            raise AccessError(
                _(
                    "Only the proposer withdraws a change request; a registry validator rejects it "
                    "with a reason."
                )
            )
        self.sudo().write(
            {"state": "cancelled", "decided_by_id": self.env.user.id, "decided_date": fields.Datetime.now()}
        )
        return True
