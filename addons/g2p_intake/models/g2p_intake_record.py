import hashlib
import json
import logging

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

from ..const import PROCESS_BATCH_SIZE, PROCESSABLE_STATES, RECORD_STATES
from ..exceptions import IntakeDuplicate, IntakeError

_logger = logging.getLogger(__name__)

# What the registry raises about the data of a record (IntakeError and IntakeDuplicate are UserErrors).
DATA_ERRORS = (UserError, ValidationError, IntegrityError)


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
    error_display = fields.Text(
        string="Problem",
        compute="_compute_error_display",
        help="The error, or what the record may duplicate; a registrant outside the reader's areas is "
        "not named.",
    )
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
    run_id = fields.Many2one(
        "g2p.intake.run",
        string="Run",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        help="The background run that applied the record, for large intakes.",
    )
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

    def init(self):
        super().init()
        # Matching by name and birthdate once used this index; it now goes by the registry's
        # duplicate keys (g2p.duplicate._candidates_for and the registry's index of birthdates).
        self.env.cr.execute(SQL("DROP INDEX IF EXISTS res_partner_g2p_intake_name_index"))

    @api.depends("error_message", "candidate_ids")
    @api.depends_context("uid")
    def _compute_error_display(self):
        # The message names the candidates as the registry found them, in every area; a reader
        # limited to areas who may not see one of them reads that there is one, not who. (The
        # relation is read as stored: the field itself shows only what the reader may see.)
        self.flush_model(["candidate_ids"])
        rows = self.env.execute_query(
            SQL(
                "SELECT record_id, partner_id FROM g2p_intake_record_candidate_rel WHERE record_id = ANY(%s)",
                [record_id for record_id in self._origin._ids if isinstance(record_id, int)],
            )
        )
        stored = {}
        for record_id, partner_id in rows:
            stored.setdefault(record_id, []).append(partner_id)
        Partner = self.env["res.partner"]
        for record in self:
            candidates = Partner.browse(stored.get(record._origin.id, []))
            hidden = len(candidates) - len(candidates._filtered_access("read"))
            if hidden:
                record.error_display = _(
                    "The record may be %s registrant(s) outside your areas: a registrar of their "
                    "area, or one not limited to areas, reviews it.",
                    hidden,
                )
            else:
                record.error_display = record.error_message

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
            # No "created" note on each of thousands of records: the source says what it staged.
            todo |= self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(to_create)
        return todo

    # ------------------------------------------------------------------ processing

    def _process(self):
        """Apply each record through the intake service and return {state: count}. A batch at a
        time: its records are read and checked first; those that are new households for the
        registry are created together (:meth:`g2p.intake.service._apply_new_households`); each
        other one is applied in its own savepoint, so a record that fails becomes ``error`` (or
        ``duplicate``) with the message, and the others go on."""
        counts = dict.fromkeys(dict(RECORD_STATES), 0)
        todo = self.filtered(lambda r: r.state in PROCESSABLE_STATES)
        for batch in split_every(PROCESS_BATCH_SIZE, todo.ids, self.browse):
            for record in batch._process_batch():
                counts[record.state] += 1
        return counts

    def _process_job(self):
        """A queue job of a run (``g2p.intake.run``): the records not processed meanwhile."""
        pending = self.filtered(lambda r: r.state == "new")
        counts = pending._process()
        return (
            ", ".join("%s %s" % (count, state) for state, count in counts.items() if count) or "nothing to do"
        )

    def _process_batch(self):
        Service = self.env["g2p.intake.service"]
        lookups = {}
        prepared = []
        for record in self:
            try:
                data = record.source_id._intake_normalise(record)
                prepared.append((record, Service._prepare_household(record, data, lookups)))
            except DATA_ERRORS as e:
                record._set_failure(e)
        if prepared:
            # Every household and member of the batch against the whole registry, a few queries.
            Service._check_registry(prepared)
        created = {}
        if len(prepared) > 1:
            try:
                with self.env.cr.savepoint():
                    created = Service._apply_new_households(prepared)
                    self.env.flush_all()
            except DATA_ERRORS:
                # One of them is refused: each is applied on its own below, which says which.
                self.env.invalidate_all()
                created = {}
        if created:
            self._set_imported_batch(created)
        results = dict(created)
        for record, household in prepared:
            if record in created:
                continue
            try:
                with self.env.cr.savepoint():
                    result = Service._apply_prepared(record, household)
                    self.env.flush_all()
            except DATA_ERRORS as e:
                record._set_failure(e)
            else:
                record._set_imported(result)
                results[record] = result
        if results:
            Service._record_possible_duplicates(
                {record: (household, results[record]) for record, household in prepared if record in results}
            )
            self.browse([record.id for record in results])._intake_after_import()
        return self

    def _intake_after_import(self):
        """Hook: ``self`` was just applied to the registry (``household_id`` and ``individual_ids``
        are set), a batch at a time. Bridges add what follows an import (e.g. proposing the
        households to a program); nothing by default."""

    def _set_failure(self, error):
        """The outcome of a record the registry refused (one of ``DATA_ERRORS``), in its words."""
        self.ensure_one()
        self.env.invalidate_all()
        if isinstance(error, IntakeDuplicate):
            self._set_outcome("duplicate", error.field, error.reason, candidates=error.candidates)
        elif isinstance(error, IntakeError):
            self._set_outcome("error", error.field, error.reason)
        elif isinstance(error, IntegrityError):
            self._set_outcome("error", False, _("The registry refused the data: %s", error.pgerror or error))
        else:
            self._set_outcome("error", False, error.args[0] if error.args else str(error))

    def _set_imported_batch(self, results):
        """:meth:`_set_imported` of many records ({record: result}) in a few statements."""
        self.flush_model()
        now = fields.Datetime.now()
        rows = [
            (record.id, result["household"].id, json.dumps(result["member_keys"]))
            for record, result in results.items()
        ]
        cr = self.env.cr
        cr.execute(
            SQL(
                """UPDATE g2p_intake_record r
                      SET state = 'imported', error_field = NULL, error_message = NULL,
                          household_id = v.household_id, member_keys = v.member_keys::jsonb,
                          processed_date = %(now)s, write_date = %(now)s, write_uid = %(uid)s
                     FROM (VALUES %(rows)s) AS v(id, household_id, member_keys)
                    WHERE r.id = v.id""",
                now=now,
                uid=self.env.uid,
                rows=SQL(", ").join(SQL("(%s, %s, %s)", *row) for row in rows),
            )
        )
        ids = [record.id for record in results]
        cr.execute(SQL("DELETE FROM g2p_intake_record_candidate_rel WHERE record_id = ANY(%s)", ids))
        cr.execute(SQL("DELETE FROM g2p_intake_record_individual_rel WHERE record_id = ANY(%s)", ids))
        for table, key in (
            ("g2p_intake_record_individual_rel", "individuals"),
            ("g2p_intake_record_created_rel", "created"),
        ):
            pairs = [(record.id, pid) for record, result in results.items() for pid in result[key].ids]
            cr.execute(
                SQL(
                    "INSERT INTO %s (record_id, partner_id) SELECT * FROM unnest(%s::int[], %s::int[]) "
                    "ON CONFLICT DO NOTHING",
                    SQL.identifier(table),
                    [p[0] for p in pairs],
                    [p[1] for p in pairs],
                )
            )
        self.browse(ids).invalidate_recordset()

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
        # What the record changes of approved registrants' key data is proposed, not applied.
        proposed = (result["household"] | result["individuals"])._g2p_requests_proposed_now()
        if proposed:
            self.message_post(
                body=_(
                    "Imported. Its changes to approved registrants await a registry validator: %s.",
                    ", ".join(proposed.mapped("name")),
                )
            )
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
            return "%s: %s" % (self.error_field, self.error_display or "")
        return self.error_display or ""

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
        """The registrants a possible duplicate matches, in the registry's own views (those the
        user may see: the field shows no others)."""
        self.ensure_one()
        return self._registry_action(self.candidate_ids._filtered_access("read"))

    def _registry_action(self, partners):
        groups = partners.filtered("is_group")
        xmlid = "g2p_registry.action_households" if groups == partners else "g2p_registry.action_individuals"
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("id", "in", partners.ids)]
        if len(partners) == 1:
            form = [view for view in action["views"] if view[1] == "form"]
            action.update(res_id=partners.id, view_mode="form", views=form)
        return action
