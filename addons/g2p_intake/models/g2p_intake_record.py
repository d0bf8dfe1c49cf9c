import hashlib
import json
import logging

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import PROCESSABLE_STATES, RECORD_STATES
from ..exceptions import IntakeDuplicate, IntakeError

_logger = logging.getLogger(__name__)


def payload_hash(payload):
    """A stable digest of a JSON payload (key order does not count)."""
    try:
        canonical = json.dumps(json.loads(payload or "null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = payload or ""
    return hashlib.sha256(canonical.encode()).hexdigest()


class G2pIntakeRecord(models.Model):
    """One external record (an ODK submission, a file row…) as it arrived, and what became of it.
    Records are never deleted: a wrong one is rejected, with who and why."""

    _name = "g2p.intake.record"
    _description = "Registry Intake Staging Record"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "received_date desc, id desc"
    _rec_name = "display_label"

    source_id = fields.Many2one(
        "g2p.intake.source", required=True, ondelete="restrict", index=True, readonly=True
    )
    source_code = fields.Selection(related="source_id.code")
    company_id = fields.Many2one(related="source_id.company_id", store=True)
    external_id = fields.Char(
        string="External ID",
        required=True,
        readonly=True,
        help="The record's id at the source (ODK: the submission's first instanceID, kept across edits).",
    )
    instance_id = fields.Char(
        string="Version ID", readonly=True, help="The id of the version received last (ODK: meta/instanceID)."
    )
    deprecated_id = fields.Char(
        string="Replaces Version",
        readonly=True,
        help="The version this one replaced when the record was edited (ODK: meta/deprecatedID).",
    )
    label = fields.Char(readonly=True, help="A short name given by the source (ODK: instanceName).")
    display_label = fields.Char(compute="_compute_display_label")
    form_version = fields.Char(readonly=True)
    submitted_date = fields.Datetime(string="Submitted", readonly=True)
    submitter = fields.Char(readonly=True, help="Who sent the record (ODK: the app user).")
    received_date = fields.Datetime(string="Received", default=fields.Datetime.now, readonly=True, index=True)
    payload = fields.Text(
        string="Raw Payload",
        help="The record as the source sent it (JSON). Correct a wrong value here, then Re-process.",
    )
    payload_hash = fields.Char(readonly=True, index=True)
    payload_history = fields.Text(
        readonly=True,
        help="Earlier versions (JSON list), kept when the record is edited at the source.",
    )
    state = fields.Selection(
        RECORD_STATES, default="new", required=True, readonly=True, index=True, tracking=True
    )
    error_field = fields.Char(readonly=True, index=True, help="The field of the record the error is about.")
    error_message = fields.Text(readonly=True)
    candidate_ids = fields.Many2many(
        "res.partner",
        "g2p_intake_record_candidate_rel",
        "record_id",
        "partner_id",
        string="Matching Registrants",
        readonly=True,
        help="Registrants the record could be: review them, fix the payload or reject the record.",
    )
    household_id = fields.Many2one("res.partner", readonly=True, index="btree_not_null", ondelete="restrict")
    individual_ids = fields.Many2many(
        "res.partner",
        "g2p_intake_record_individual_rel",
        "record_id",
        "partner_id",
        string="Individuals",
        readonly=True,
    )
    member_keys = fields.Json(
        readonly=True, help="Which registrant each member of the record became, by the member's key."
    )
    created_partner_ids = fields.Many2many(
        "res.partner",
        "g2p_intake_record_created_rel",
        "record_id",
        "partner_id",
        string="Created Registrants",
        readonly=True,
    )
    processed_date = fields.Datetime(readonly=True)
    rejected_by_id = fields.Many2one("res.users", readonly=True)
    rejected_date = fields.Datetime(readonly=True)
    reject_reason = fields.Text(
        string="Rejection Reason", help="Why the record is not taken into the registry."
    )
    attachment_ids = fields.One2many(
        "ir.attachment",
        "res_id",
        domain=[("res_model", "=", "g2p.intake.record")],
        string="Files",
        readonly=True,
    )

    _source_external_uniq = models.UniqueIndex(
        "(source_id, external_id)", "This external record is already staged for this source."
    )

    @api.depends("label", "external_id")
    def _compute_display_label(self):
        for record in self:
            record.display_label = record.label or record.external_id or _("New")

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_payload(vals.get("payload"))
            vals["payload_hash"] = payload_hash(vals.get("payload"))
        return super().create(vals_list)

    def write(self, vals):
        if "payload" in vals:
            if self.filtered(lambda r: r.state == "rejected") and not self.env.context.get("intake_edit"):
                raise UserError(_("A rejected record cannot be changed."))
            self._check_payload(vals["payload"])
            vals["payload_hash"] = payload_hash(vals["payload"])
        return super().write(vals)

    @api.model
    def _check_payload(self, payload):
        if payload:
            try:
                json.loads(payload)
            except ValueError as e:
                raise ValidationError(_("The raw payload must be valid JSON: %s", e)) from e

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("Staging records are never deleted: reject the record instead, with a reason."))

    # ------------------------------------------------------------------ staging (used by the sources)

    @api.model
    def _stage(self, source, items):
        """Stage external records of ``source``: ``items`` are dicts with ``external_id``,
        ``payload`` (JSON text) and optionally ``instance_id``, ``deprecated_id``, ``label``,
        ``form_version``, ``submitted_date``, ``submitter``. A record already staged with the
        same version and payload is left alone (re-pulling changes nothing); a new version (an edit
        at the source) replaces the payload, keeps the old one in the history, and goes back to
        ``new``. Returns the records created or changed."""
        if not items:
            return self.browse()
        existing = {
            record.external_id: record
            for record in self.search(
                [("source_id", "=", source.id), ("external_id", "in", [i["external_id"] for i in items])]
            )
        }
        todo = self.browse()
        to_create = []
        for item in items:
            record = existing.get(item["external_id"])
            if not record:
                to_create.append({"source_id": source.id, **item})
                continue
            if (item.get("instance_id") or False) == (record.instance_id or False):
                # The same version: nothing to do, even when its content differs (Central's
                # __system after a review, or a value the registrar corrected here).
                continue
            history = json.loads(record.payload_history or "[]")
            history.append(
                {
                    "instance_id": record.instance_id,
                    "received_date": fields.Datetime.to_string(record.received_date),
                    "payload": json.loads(record.payload or "null"),
                }
            )
            vals = {
                **{k: v for k, v in item.items() if k != "external_id"},
                "payload_history": json.dumps(history),
                "received_date": fields.Datetime.now(),
            }
            was_rejected = record.state == "rejected"
            record.with_context(intake_edit=True).write(vals)
            record._g2p_write_state({"state": "new", "error_field": False, "error_message": False})
            record.message_post(
                body=_(
                    "Edited at the source: version %(new)s replaces %(old)s%(rejected)s.",
                    new=item.get("instance_id") or "?",
                    old=history[-1]["instance_id"] or "?",
                    rejected=_(" (it had been rejected)") if was_rejected else "",
                )
            )
            todo |= record
        if to_create:
            todo |= self.create(to_create)
        return todo

    # ------------------------------------------------------------------ processing

    def _process(self):
        """Apply each record through the intake service, one savepoint each: a record that fails
        becomes ``error`` (or ``duplicate``) with the message, and the others go on. Returns
        {state: count}."""
        Service = self.env["g2p.intake.service"]
        counts = dict.fromkeys(dict(RECORD_STATES), 0)
        for record in self:
            if record.state not in PROCESSABLE_STATES:
                continue
            try:
                with self.env.cr.savepoint():
                    normalised = record.source_id._intake_normalise(record)
                    result = Service._apply(record, normalised)
                    self.env.flush_all()
            except IntakeDuplicate as e:
                self.env.invalidate_all()
                record._set_outcome("duplicate", e.field, e.reason, candidates=e.candidates)
            except IntakeError as e:
                self.env.invalidate_all()
                record._set_outcome("error", e.field, e.reason)
            except (UserError, ValidationError) as e:
                self.env.invalidate_all()
                record._set_outcome("error", False, e.args[0] if e.args else str(e))
            except IntegrityError as e:
                self.env.invalidate_all()
                record._set_outcome("error", False, _("The registry refused the data: %s", e.pgerror or e))
            else:
                record._set_imported(result)
            counts[record.state] += 1
        return counts

    def _set_outcome(self, state, field, message, candidates=None):
        self.ensure_one()
        self._g2p_write_state(
            {
                "state": state,
                "error_field": field or False,
                "error_message": message,
                "candidate_ids": [fields.Command.set(candidates.ids if candidates else [])],
                "processed_date": fields.Datetime.now(),
            }
        )

    def _set_imported(self, result):
        self.ensure_one()
        self._g2p_write_state(
            {
                "state": "imported",
                "error_field": False,
                "error_message": False,
                "candidate_ids": [fields.Command.clear()],
                "household_id": result["household"].id,
                "individual_ids": [fields.Command.set(result["individuals"].ids)],
                "member_keys": result["member_keys"],
                "created_partner_ids": [fields.Command.link(p.id) for p in result["created"]],
                "processed_date": fields.Datetime.now(),
            }
        )

    def _g2p_write_state(self, vals):
        # Staging fields are read-only for people; the service writes them.
        super(G2pIntakeRecord, self.with_context(intake_edit=True)).write(vals)

    # ------------------------------------------------------------------ buttons

    def action_reprocess(self):
        rejected = self.filtered(lambda r: r.state == "rejected")
        if rejected:
            raise UserError(
                _("%s is rejected: rejected records are not processed.", rejected[:1].display_name)
            )
        counts = self._process()
        parts = []
        for state, label in self._fields["state"]._description_selection(self.env):
            if counts.get(state):
                parts.append(_("%(count)s %(state)s", count=counts[state], state=label))
        problem = counts["error"] or counts["duplicate"]
        if len(self) == 1:
            message = {
                "imported": _("Imported into the registry."),
                "error": _("Not imported: %s", self._error_text()),
                "duplicate": _("Not imported, it may be a duplicate: %s", self._error_text()),
            }.get(self.state, _("Processed."))
        else:
            message = _(
                "Re-processed %(total)s records: %(summary)s.", total=len(self), summary=", ".join(parts)
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Re-process"),
                "message": message,
                "type": "warning" if problem else "success",
                "sticky": bool(problem),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _error_text(self):
        self.ensure_one()
        if self.error_field:
            return "%s: %s" % (self.error_field, self.error_message or "")
        return self.error_message or ""

    def action_reject(self):
        for record in self:
            if not (record.reject_reason or "").strip():
                raise UserError(
                    _("Write why %s is rejected in 'Rejection Reason' first.", record.display_name)
                )
        todo = self._g2p_transition(
            "rejected",
            {"new", "duplicate", "error"},
            {"rejected_by_id": self.env.user.id, "rejected_date": fields.Datetime.now()},
            why=_("Only records not imported yet can be rejected."),
        )
        for record in todo:
            record.message_post(body=_("Rejected: %s", record.reject_reason))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Rejected"),
                "message": _("%s record(s) rejected; they stay here with the reason.", len(todo)),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_open_registrants(self):
        """The household the record became, in the registry's household form."""
        self.ensure_one()
        return self._registry_action(self.household_id)

    def action_open_candidates(self):
        """The registrants a possible duplicate matches, in the registry's own views."""
        self.ensure_one()
        return self._registry_action(self.candidate_ids)

    def _registry_action(self, partners):
        groups = partners.filtered("is_group")
        xmlid = "g2p_registry.action_households" if groups == partners else "g2p_registry.action_individuals"
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("id", "in", partners.ids)]
        if len(partners) == 1:
            form = [view for view in action["views"] if view[1] == "form"]
            action.update(res_id=partners.id, view_mode="form", views=form)
        return action
