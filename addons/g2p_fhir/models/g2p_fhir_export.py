import json
import logging
import re
import time
import uuid
from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.fields import Domain

from ..exceptions import FhirError

_logger = logging.getLogger(__name__)

#: Resource types a Group-level export (a program's beneficiaries, a household) can hold.
GROUP_LEVEL_TYPES = ("Patient", "Group")
#: What the whole-registry export holds when the client names no ``_type``.
DEFAULT_TYPES = ("Patient", "Group")
NDJSON_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
DEFAULT_CHUNK_SIZE = 5000
#: A job exports chunk after chunk for this long, then queues the next job (progress shows per job).
DEFAULT_JOB_SECONDS = 10
DEFAULT_RETENTION_DAYS = 7
#: Kick-off parameters of the Bulk Data specification that this server supports.
KICK_OFF_PARAMS = {"_type", "_since", "_outputFormat"}
PROGRAM_GROUP_RE = re.compile(r"program-([1-9][0-9]{0,17})")
ID_RE = re.compile(r"[1-9][0-9]{0,17}")


class G2pFhirExport(models.Model):
    """One FHIR Bulk Data ``$export`` kick-off and its outcome.

    The export runs as a chain of queue jobs, each exporting chunks of records (keyset pagination
    on the id, ``g2p_fhir.export_chunk_size`` records, 5,000 by default) for up to
    ``g2p_fhir.export_job_seconds``, as the user who asked for it: their access rights and record
    rules decide what it holds. Each chunk becomes one NDJSON file (an attachment, a
    ``g2p.fhir.export.file``), so neither the registry nor a whole output file is ever held in
    memory; the Bulk Data manifest lists one output item per file, as the
    specification allows (several files per type).

    Records are included when their ``meta.lastUpdated`` is after ``_since`` and not after the
    export's ``transactionTime`` (the kick-off): a record changed while the export runs comes in the
    next export ``_since`` this one's ``transactionTime``.

    Bookkeeping (state, progress, files) is written with sudo by this model's methods only: users
    read their own exports and cannot change them."""

    _name = "g2p.fhir.export"
    _description = "FHIR Bulk Export"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: str(uuid.uuid4()))
    user_id = fields.Many2one(
        "res.users", string="Requested By", required=True, readonly=True, index=True, ondelete="cascade"
    )
    level = fields.Selection(
        [("system", "Whole Registry"), ("program", "Program Beneficiaries"), ("group", "Household")],
        required=True,
        readonly=True,
    )
    program_id = fields.Many2one("g2p.program", readonly=True, ondelete="cascade")
    group_id = fields.Many2one("res.partner", string="Household", readonly=True, ondelete="cascade")
    resource_types = fields.Char(
        string="Resource Types", required=True, readonly=True, help="FHIR types, comma-separated."
    )
    since = fields.Datetime(
        readonly=True, help="Only resources changed after this instant (the _since parameter)."
    )
    transaction_time = fields.Datetime(
        string="Transaction Time", required=True, readonly=True, help="Resources changed later are left out."
    )
    request_url = fields.Char(string="Request", readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Completed"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="queued",
        required=True,
        readonly=True,
    )
    total_count = fields.Integer(string="Resources to Export", readonly=True)
    done_count = fields.Integer(string="Resources Exported", readonly=True)
    progress = fields.Float(compute="_compute_progress", help="Percentage of the resources exported.")
    # Where the next chunk starts: the type being exported and the last id done.
    cursor_type = fields.Char(readonly=True)
    cursor_id = fields.Integer(readonly=True)
    error_message = fields.Text(readonly=True)
    date_done = fields.Datetime(string="Finished On", readonly=True)
    file_ids = fields.One2many("g2p.fhir.export.file", "export_id", string="Files", readonly=True)

    _name_unique = models.UniqueIndex("(name)")

    @api.depends("total_count", "done_count", "state")
    def _compute_progress(self):
        for export in self:
            if export.state == "done":
                export.progress = 100.0
            else:
                export.progress = (
                    100.0 * export.done_count / export.total_count if export.total_count else 0.0
                )

    # ------------------------------------------------------------------ kick-off

    @api.model
    def _fhir_kick_off(self, params, group_ref=None, request_url=None, lenient=False):
        """Validate a kick-off request and queue the export; return the export.

        ``params``: the query string as (name, value) pairs; ``group_ref``: None for the whole
        registry, ``program-<id>`` for a program's beneficiaries, ``<id>`` for a household;
        ``lenient`` (``Prefer: handling=lenient``): parameters this server does not support are left
        out instead of refused.
        Raises FhirError (400 bad parameter, 403 a type the user may not read, 404 unknown group)."""
        values = {}
        for name, value in params:
            if name not in KICK_OFF_PARAMS:
                if lenient:
                    continue
                raise FhirError(
                    400,
                    self.env._(
                        "Parameter %(param)s is not supported by $export; supported: %(supported)s.",
                        param=name,
                        supported=", ".join(sorted(KICK_OFF_PARAMS)),
                    ),
                    expression=[name],
                    code="not-supported",
                )
            if name in values:
                if name != "_type":
                    raise FhirError(400, self.env._("Parameter %s is repeated.", name), expression=[name])
                value = "%s,%s" % (values[name], value)  # _type=Patient&_type=Group: both
            values[name] = value
        output_format = values.get("_outputFormat")
        if output_format is not None and output_format not in NDJSON_FORMATS:
            raise FhirError(
                400,
                self.env._(
                    "_outputFormat %(format)s is not supported; use %(supported)s.",
                    format=output_format,
                    supported=NDJSON_FORMATS[0],
                ),
                expression=["_outputFormat"],
                code="not-supported",
            )
        vals = self._fhir_group_vals(group_ref)
        types = self._fhir_export_types(values.get("_type"), vals["level"])
        since = None
        if values.get("_since") is not None:
            since = self.env["g2p.fhir.resource"]._fhir_parse_date(values["_since"], "_since")[0]
        vals.update(
            user_id=self.env.uid,
            resource_types=",".join(types),
            since=since,
            transaction_time=self.env.cr.now(),
            request_url=request_url,
            cursor_type=types[0],
            cursor_id=0,
        )
        export = self.sudo().create(vals)
        total = sum(
            self._fhir_type_model(fhir_type)
            ._fhir_records()
            .search_count(export._fhir_export_domain(fhir_type))
            for fhir_type in types
        )
        export.total_count = total
        export._enqueue_chunk()
        return export.with_env(self.env)

    @api.model
    def _fhir_type_model(self, fhir_type):
        return self.env["g2p.fhir.resource"]._fhir_type_model(fhir_type)

    @api.model
    def _fhir_group_vals(self, group_ref):
        """Level and target of the export from the Group id of the URL (see the class doc)."""
        if group_ref is None:
            return {"level": "system"}
        match = PROGRAM_GROUP_RE.fullmatch(group_ref)
        if match:
            program = self.env["g2p.program"].search([("id", "=", int(match.group(1)))], limit=1)
            if not program:
                raise FhirError(404, self.env._("Group/%s does not exist.", group_ref))
            return {"level": "program", "program_id": program.id}
        if not ID_RE.fullmatch(group_ref):
            raise FhirError(404, self.env._("Group/%s does not exist.", group_ref))
        group_type = self._fhir_type_model("Group")
        group_type._fhir_check_access("read")
        household = group_type._fhir_browse(group_ref)
        return {"level": "group", "group_id": household.id}

    @api.model
    def _fhir_export_types(self, type_param, level):
        """The FHIR types to export: ``_type`` (comma-separated) checked against the registered
        types (and the caller's rights), else the default ones."""
        registered = self.env["g2p.fhir.resource"]._fhir_types()
        if type_param is None:
            types = list(DEFAULT_TYPES)
        else:
            types = list(dict.fromkeys(t.strip() for t in type_param.split(",")))
            unknown = [t for t in types if t not in registered]
            if not types or unknown or "" in types:
                raise FhirError(
                    400,
                    self.env._(
                        "_type names unknown resource types (%(unknown)s); supported: %(supported)s.",
                        unknown=", ".join(unknown) or "''",
                        supported=", ".join(registered),
                    ),
                    expression=["_type"],
                    code="not-supported",
                )
            if level != "system":
                outside = [t for t in types if t not in GROUP_LEVEL_TYPES]
                if outside:
                    raise FhirError(
                        400,
                        self.env._(
                            "A Group export holds only %(types)s, not %(outside)s.",
                            types=", ".join(GROUP_LEVEL_TYPES),
                            outside=", ".join(outside),
                        ),
                        expression=["_type"],
                        code="not-supported",
                    )
        for fhir_type in types:
            self._fhir_type_model(fhir_type)._fhir_check_access("read")
        return types

    # ------------------------------------------------------------------ what an export holds

    def _fhir_export_domain(self, fhir_type, with_level=True):
        """The domain of the records of ``fhir_type`` this export holds (the caller's record rules
        apply on top when it is searched); without the program's or household's part when
        ``with_level`` is false."""
        self.ensure_one()
        type_model = self._fhir_type_model(fhir_type)
        domains = [
            Domain(type_model._fhir_domain()),
            Domain("write_date", "<=", self.transaction_time),
        ]
        if self.since:
            domains.append(Domain("write_date", ">", self.since))
        if not with_level:
            pass
        elif self.level == "program":
            domains.append(self._fhir_program_domain())
        elif self.level == "group":
            domains.append(self._fhir_household_domain())
        return Domain.AND(domains)

    def _fhir_program_domain(self):
        """Registrants that are the program's beneficiaries (enrolled), and the current members of
        its enrolled households. Each type's own domain then keeps individuals or households."""
        enrolled = [("program_id", "=", self.program_id.id), ("state", "=", "enrolled")]
        return Domain("g2p_program_membership_ids", "any", enrolled) | Domain(
            "individual_membership_ids",
            "any",
            [("is_current", "=", True), ("group_id.g2p_program_membership_ids", "any", enrolled)],
        )

    def _fhir_household_domain(self):
        """The household and its current members."""
        return Domain("id", "=", self.group_id.id) | Domain(
            "individual_membership_ids",
            "any",
            [("is_current", "=", True), ("group_id", "=", self.group_id.id)],
        )

    # ------------------------------------------------------------------ the job

    def _chunk_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param("g2p_fhir.export_chunk_size")
        return int(value) if value and value.isdigit() and int(value) > 0 else DEFAULT_CHUNK_SIZE

    def _enqueue_chunk(self):
        """Queue the next chunk, as the requesting user (queue_job runs it with the env's user)."""
        self.ensure_one()
        export = self.with_user(self.user_id)
        export.with_delay(
            identity_key="g2p_fhir_export_%s_%s_%s" % (self.id, self.cursor_type, self.cursor_id),
            description=self.env._("FHIR export %(name)s: %(type)s", name=self.name, type=self.cursor_type),
        )._export_chunk_job()

    def _job_seconds(self):
        value = self.env["ir.config_parameter"].sudo().get_param("g2p_fhir.export_job_seconds")
        return int(value) if value and value.isdigit() else DEFAULT_JOB_SECONDS

    def _export_chunk_job(self):
        """Queue job: export chunk after chunk for ``g2p_fhir.export_job_seconds`` (10 by default;
        0: one chunk per job), then queue the next job until the export is complete. Each chunk is
        its own file and leaves the cache, so memory stays bounded by one chunk; a job commits its
        chunks and progress at its end, and a failed job is retried alone."""
        deadline = time.monotonic() + self._job_seconds()
        more = self._export_chunk()
        while more and time.monotonic() < deadline:
            more = self._export_chunk()
        if more:
            self._enqueue_chunk()

    def _export_chunk(self):
        """Export the next chunk of records into a new NDJSON file. Returns True while chunks remain.
        A cancelled or finished export does nothing (a late job is a no-op)."""
        self.ensure_one()
        bookkeeping = self.sudo()
        if self.state not in ("queued", "running"):
            _logger.info("FHIR export %s is %s: chunk skipped", self.id, self.state)
            return False
        types = self.resource_types.split(",")
        fhir_type = self.cursor_type
        type_model = self._fhir_type_model(fhir_type)
        records, next_cursor = self._fhir_next_chunk(fhir_type, self._chunk_size())
        vals = {"state": "running"}
        if records:
            resources = type_model._fhir_to_dicts(records)
            data = "".join(
                json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
                for resource in resources
            ).encode()
            if type_model._fhir_model == "res.partner":
                # Who exported which registrants: one INSERT for the chunk.
                self.env["g2p.registrant.access.log"].sudo()._g2p_log_access(
                    records.ids, "fhir_export", "$export %s" % self.name
                )
            sequence = len(self.file_ids) + 1
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": "%s-%s-%03d.ndjson" % (self.name, fhir_type, sequence),
                        "raw": data,
                        "mimetype": "application/fhir+ndjson",
                        "res_model": self._name,
                        "res_id": self.id,
                    }
                )
            )
            vals["file_ids"] = [
                fields.Command.create(
                    {
                        "resource_type": fhir_type,
                        "sequence": sequence,
                        "attachment_id": attachment.id,
                        "count": len(resources),
                    }
                )
            ]
            vals["done_count"] = self.done_count + len(resources)
        more = next_cursor is not None
        if more:
            vals["cursor_id"] = next_cursor
        else:
            position = types.index(fhir_type)
            if position + 1 < len(types):
                vals.update(cursor_type=types[position + 1], cursor_id=0)
                more = True
            else:
                vals.update(
                    state="done",
                    date_done=fields.Datetime.now(),
                    total_count=vals.get("done_count", self.done_count),
                )
        bookkeeping.write(vals)
        # One chunk's records, read with their related data, leave the cache: a long export in
        # one transaction (the benchmark) keeps a bounded memory.
        self.env.invalidate_all()
        return more

    def _fhir_next_chunk(self, fhir_type, limit):
        """(records, cursor): the next records of ``fhir_type`` after the cursor, in id order, and
        where the chunk after starts (None: this was the last one).

        A program's beneficiaries are found from the membership side: the next ``limit`` enrolled
        registrants (the (program, partner) index) and current members of enrolled households (the
        individual index) after the cursor, both with the memberships' record rules; the
        registrants among them that the export holds are then read with the registrants' rules. A
        walk over the registry's ids would read every registrant of the registry to find the
        beneficiaries, and the last chunk would read them all to find nothing."""
        Records = self._fhir_type_model(fhir_type)._fhir_records()
        if self.level != "program":
            domain = Domain.AND([self._fhir_export_domain(fhir_type), Domain("id", ">", self.cursor_id)])
            records = Records.search(domain, order="id", limit=limit)
            return records, (records[-1].id if len(records) == limit else None)
        enrolled = [("program_id", "=", self.program_id.id), ("state", "=", "enrolled")]
        # (membership model, its registrant field, extra domain): enrolled registrants, then the
        # current members of enrolled households (households are never members: not for Group).
        branches = [("g2p.program.membership", "partner_id", enrolled)]
        if fhir_type != "Group":
            members = [("is_current", "=", True), ("group_id.g2p_program_membership_ids", "any", enrolled)]
            branches.append(("g2p.group.membership", "individual_id", members))
        found, ends = [], []
        for model, fname, branch_domain in branches:
            # (A many2one compared to 0 is compared to NULL: no bound for the first chunk.)
            after = [(fname, ">", self.cursor_id)] if self.cursor_id else [(fname, "!=", False)]
            rows = self.env[model].search_fetch(
                [*branch_domain, *after], [fname], order="%s.id" % fname, limit=limit
            )
            ids = [row[fname].id for row in rows]
            found.extend(ids)
            if len(rows) == limit:
                # A full branch may hide ids beyond its last one: the chunk ends there.
                ends.append(max(ids))
        boundary = min(ends) if ends else None
        candidates = sorted({i for i in found if boundary is None or i <= boundary})
        if len(candidates) > limit:
            candidates = candidates[:limit]
            boundary = candidates[-1]
        if not candidates:
            return Records, boundary
        # The candidates are the program's (membership rules applied): keep those of this type,
        # changed in the export's period, that the caller may read.
        domain = Domain.AND(
            [self._fhir_export_domain(fhir_type, with_level=False), Domain("id", "in", candidates)]
        )
        return Records.search(domain, order="id"), boundary

    def _on_export_failed(self, **failure):
        """queue_job's on-fail hook: the export is failed with the job's error."""
        self.sudo().write(
            {
                "state": "failed",
                "error_message": failure.get("exc_message") or failure.get("exc_name") or "",
            }
        )

    def _fhir_cancel(self):
        """Cancel (or discard, once complete) the export: its files are deleted, its jobs do nothing."""
        bookkeeping = self.sudo()
        attachments = bookkeeping.file_ids.attachment_id
        bookkeeping.file_ids.unlink()
        attachments.unlink()
        bookkeeping.state = "cancelled"

    @api.model
    def _retention_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param("g2p_fhir.export_retention_days")
        return int(value) if value and value.isdigit() and int(value) > 0 else DEFAULT_RETENTION_DAYS

    def _fhir_expires(self):
        """When the files of this (complete) export are deleted."""
        self.ensure_one()
        return (self.date_done or self.create_date) + timedelta(days=self._retention_days())

    @api.model
    def _cron_delete_old_exports(self):
        """Delete the exports (and files) finished, failed or cancelled more than the retention ago."""
        limit = fields.Datetime.now() - timedelta(days=self._retention_days())
        old = self.sudo().search(
            [
                ("state", "in", ("done", "failed", "cancelled")),
                "|",
                ("date_done", "<", limit),
                "&",
                ("date_done", "=", False),
                ("write_date", "<", limit),
            ]
        )
        old.file_ids.attachment_id.unlink()
        old.unlink()
        return len(old)

    # ------------------------------------------------------------------ status and manifest

    def _fhir_progress_text(self):
        self.ensure_one()
        return self.env._(
            "%(percent)s%% (%(done)s of %(total)s resources)",
            percent=int(self.progress),
            done=self.done_count,
            total=self.total_count,
        )

    def _fhir_manifest(self, base_url):
        """The Bulk Data completion manifest; ``base_url`` is the server's root URL (no slash)."""
        self.ensure_one()
        files = self.sudo().file_ids.sorted(
            lambda f: (self.resource_types.split(",").index(f.resource_type), f.sequence)
        )
        return {
            "transactionTime": self.transaction_time.replace(tzinfo=UTC).isoformat(timespec="microseconds"),
            "request": self.request_url or "",
            "requiresAccessToken": True,
            "output": [
                {
                    "type": file.resource_type,
                    "url": "%s/fhir/R4/$export-file/%s/%s" % (base_url, self.name, file.id),
                    "count": file.count,
                }
                for file in files
            ],
            "error": [],
        }
