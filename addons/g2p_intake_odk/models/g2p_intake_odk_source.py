import json
import logging
from datetime import UTC, datetime
from urllib.parse import quote
from xml.etree import ElementTree as ET

import requests

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_datetime

from odoo.addons.g2p_intake.const import INLINE_RECORDS
from odoo.addons.g2p_intake.exceptions import IntakeError
from odoo.addons.g2p_registry.const import SECRET_GROUPS

_logger = logging.getLogger(__name__)

ADMIN_GROUP = "g2p_registry.group_g2p_admin"
MAX_PAGES = 10000  # a next link that never ends stops here instead of looping
REVIEW_FILTERS = {
    "approved": "__system/reviewState eq 'approved'",
    "not_rejected": "__system/reviewState ne 'rejected'",
}

# The mapping of the household survey of tests/simulators (an XLSForm like most registrations):
# (scope, form path, target, registrant field, value map)
DEFAULT_MAPPING = [
    ("household", "household/household_name", "field", "name", ""),
    ("household", "household/village", "field", "city", ""),
    ("household", "household/phone", "phone", "", ""),
    ("household", "location", "location", "", ""),
    ("household", "consent_photo", "attachment", "", ""),
    ("member", "given_name", "field", "given_name", ""),
    ("member", "family_name", "field", "family_name", ""),
    ("member", "sex", "field", "gender", "male = male\nfemale = female"),
    ("member", "birthdate", "field", "birthdate", ""),
    (
        "member",
        "relationship",
        "role",
        "",
        "head = head\nspouse = spouse\nchild = child\nparent = dependant\nother = other",
    ),
    ("member", "phone", "phone", "", ""),
    (
        "member",
        "id_type",
        "id_type",
        "",
        "national_id = NATIONAL_ID\npassport = PASSPORT\nbirth_certificate = BIRTH_CERTIFICATE\nnone =",
    ),
    ("member", "id_number", "id_number", "", ""),
    ("member", "disability", "field", "disability", "yes = 1\nno = 0"),
]


def odk_datetime(text):
    """Central's timestamps (ISO 8601, Z) as Odoo's naive UTC datetimes."""
    if not text:
        return False
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def value_at(data, path):
    """The value at ``path`` (groups separated by '/') of an OData row, or None."""
    for part in path.strip("/").split("/"):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


class OdkPullInterrupted(Exception):
    """Central failed after the pull started: what was staged stays, the next pull resumes."""


class G2pIntakeOdkSource(models.Model):
    """An ODK Central form whose submissions are pulled into the registry intake."""

    _name = "g2p.intake.odk.source"
    _description = "ODK Central Intake Source"
    _inherits = {"g2p.intake.source": "source_id"}
    _inherit = ["mail.thread"]
    _order = "name, id"

    source_id = fields.Many2one("g2p.intake.source", required=True, ondelete="cascade", index=True)
    odk_base_url = fields.Char(
        string="Central URL",
        required=True,
        help="The address of the ODK Central server, e.g. https://central.example.org.",
    )
    odk_project_id = fields.Integer(
        string="Project ID", required=True, help="The number in the project's URL in Central."
    )
    odk_form_id = fields.Char(
        string="Form ID",
        required=True,
        help="The form's ID (xmlFormId), e.g. household_survey, as Central shows it.",
    )
    odk_email = fields.Char(
        string="Web User E-mail",
        groups=SECRET_GROUPS,
        copy=False,
        help="A Central web user with the Project Viewer or Data Collector role on the project.",
    )
    odk_password = fields.Char(string="Web User Password", groups=SECRET_GROUPS, copy=False)
    odk_review_filter = fields.Selection(
        [("approved", "Approved submissions only"), ("not_rejected", "All but rejected submissions")],
        string="Pull",
        required=True,
        default="not_rejected",
        help="Which submissions to take, by their review state in Central.",
    )
    odk_repeat_path = fields.Char(
        string="Members Repeat",
        required=True,
        default="members",
        help="The repeat group with one entry per member.",
    )
    odk_instance_path = fields.Char(string="Version ID Field", required=True, default="meta/instanceID")
    odk_label_path = fields.Char(string="Name Field", default="meta/instanceName")
    odk_page_size = fields.Integer(string="Page Size", default=100, required=True)
    odk_timeout = fields.Integer(string="Timeout (s)", default=60, required=True)
    auto_pull = fields.Boolean(
        string="Pull on Schedule", default=True, help="The hourly job pulls this source."
    )
    mapping_ids = fields.One2many(
        "g2p.intake.odk.mapping", "odk_source_id", string="Field Mapping", copy=True
    )
    last_pull_date = fields.Datetime(readonly=True, copy=False)
    last_pull_watermark = fields.Char(
        string="Pulled Up To",
        readonly=True,
        copy=False,
        help="The latest submission or update time of the last complete pull (Central's clock); the next "
        "pull asks for what came after it.",
    )
    last_pull_status = fields.Selection(
        [("done", "Complete"), ("interrupted", "Interrupted")], readonly=True, copy=False
    )
    last_pull_message = fields.Text(readonly=True, copy=False)

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["code"] = "odk"
            if "mapping_ids" not in vals:
                vals["mapping_ids"] = [
                    fields.Command.create(
                        {
                            "scope": scope,
                            "form_path": path,
                            "target": target,
                            "field_name": field or False,
                            "value_map": value_map or False,
                            "sequence": 10 * i,
                        }
                    )
                    for i, (scope, path, target, field, value_map) in enumerate(DEFAULT_MAPPING, 1)
                ]
        return super().create(vals_list)

    def action_open_records(self):
        return self.source_id.action_open_records()

    # ------------------------------------------------------------------ normalising a submission

    def _odk_normalise(self, record):
        """The normalised household (g2p.intake.service) of a staged OData row, through the mapping."""
        self.ensure_one()
        try:
            row = json.loads(record.payload or "{}")
        except ValueError as e:
            raise IntakeError("payload", _("The payload is not valid JSON: %s", e)) from e
        household = {
            "vals": {},
            "fields": {},
            "phones": [],
            "ids": [],
            "attachments": [],
            "payment_accounts": [],
        }
        for line in self.mapping_ids.filtered(lambda m: m.scope == "household"):
            self._odk_read_line(line, row, "", household, record)
        self._odk_close_ids(household)
        members = value_at(row, self.odk_repeat_path)
        if members is not None and not isinstance(members, list):
            raise IntakeError(self.odk_repeat_path, _("Expected the members repeat (a list)."))
        result = []
        for index, entry in enumerate(members or [], 1):
            where = "%s[%s]" % (self.odk_repeat_path, index)
            member = {
                "key": entry.get("__id") or str(index),
                "field": where,
                "vals": {},
                "fields": {},
                "phones": [],
                "ids": [],
                "attachments": [],
                "payment_accounts": [],
            }
            for line in self.mapping_ids.filtered(lambda m: m.scope == "member"):
                self._odk_read_line(line, entry, where + "/", member, record)
            self._odk_close_ids(member)
            result.append(member)
        return {"household": household, "members": result}

    def _odk_read_line(self, line, data, prefix, party, record):
        where = prefix + line.form_path
        value = value_at(data, line.form_path)
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            if line.required:
                raise IntakeError(where, _("This field is required and the submission has no value."))
            return
        value_map = line._value_map()
        if value_map is not None and line.target not in ("location", "attachment"):
            if str(value) not in value_map:
                raise IntakeError(
                    where,
                    _(
                        "'%(value)s' is not in this field's value map (mapped: %(known)s). Add it to the "
                        "mapping of %(source)s, or correct the submission.",
                        value=value,
                        known=", ".join(value_map) or "-",
                        source=self.name,
                    ),
                )
            value = value_map[str(value)]
            if value is None:
                return
        target = line.target
        if target == "field":
            party["vals"][line.field_name] = value
            party["fields"][line.field_name] = where
        elif target == "phone":
            party["phones"].append({"number": str(value), "field": where})
        elif target == "id_type":
            party.setdefault("_id", {}).update(type=value, type_field=where)
        elif target == "id_number":
            party.setdefault("_id", {}).update(value=str(value), field=where)
        elif target == "role":
            party["role"] = value
            party["role_field"] = where
        elif target == "wallet":
            party["payment_accounts"].append(
                {
                    "account_type": "mobile_wallet",
                    "provider": line.wallet_provider_id.id,
                    "msisdn": str(value),
                    "field": where,
                }
            )
        elif target == "location":
            party["latitude"], party["longitude"] = self._odk_point(value, where)
        elif target == "attachment":
            files = record.attachment_ids.filtered(lambda a: a.name == value)
            if not files:
                raise IntakeError(
                    where,
                    _(
                        "The file %s was not received from Central yet; pull again once it is uploaded.",
                        value,
                    ),
                )
            party["attachments"].append(
                {
                    "name": value,
                    "datas": files[-1].datas.decode(),
                    "mimetype": files[-1].mimetype,
                    "field": where,
                }
            )

    @api.model
    def _odk_close_ids(self, party):
        entry = party.pop("_id", None)
        if entry and (entry.get("type") or entry.get("value")):
            party["ids"].append(entry)

    @api.model
    def _odk_point(self, value, where):
        """(latitude, longitude) of a GeoJSON point (Central's default) or of WKT ``POINT (lon lat alt)``."""
        try:
            if isinstance(value, dict):
                lon, lat = value["coordinates"][:2]
            else:
                inner = str(value).strip().removeprefix("POINT").strip().strip("()")
                lon, lat = inner.split()[:2]
            return float(lat), float(lon)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise IntakeError(where, _("'%s' is not a geopoint.", value)) from e

    # ------------------------------------------------------------------ talking to Central (pyodk)

    def _odk_client(self):
        """An authenticated pyodk client; the token stays in memory (no cache file). Raises a clear
        UserError when Central cannot be reached or refuses the credentials; nothing is changed then."""
        self.ensure_one()
        from pyodk._utils.config import CentralConfig, Config
        from pyodk._utils.session import Adapter
        from pyodk.client import Client
        from pyodk.errors import PyODKError

        source = self.sudo()
        if not (source.odk_email and source.odk_password):
            raise UserError(_("Set the web user's e-mail and password of %s first.", self.name))
        config = Config(
            central=CentralConfig(
                base_url=self.odk_base_url.rstrip("/"),
                username=source.odk_email,
                password=source.odk_password,
                default_project_id=self.odk_project_id,
            )
        )
        client = Client(config=config, project_id=self.odk_project_id)
        client.session.auth.service.cache_path = None  # pyodk would write ~/.pyodk_cache.toml
        # pyodk mounts its adapter (timeout, retries) for https:// only: give http:// a timeout too.
        client.session.mount("http://", Adapter(timeout=self.odk_timeout, max_retries=0))
        try:
            client.open()
        except PyODKError as e:
            client.close()
            response = e.args[1] if len(e.args) > 1 else None
            if response is not None and response.status_code == 401:
                raise UserError(
                    _(
                        "ODK Central refused the e-mail or password of %(source)s. Check the web user's "
                        "credentials in Central and on the source.",
                        source=self.name,
                    )
                ) from None
            raise UserError(
                _(
                    "ODK Central did not open a session for %(source)s (HTTP %(status)s).",
                    source=self.name,
                    status=response.status_code if response is not None else "?",
                )
            ) from None
        except requests.RequestException as e:
            client.close()
            raise UserError(
                _(
                    "ODK Central at %(url)s cannot be reached: %(error)s",
                    url=self.odk_base_url,
                    error=type(e).__name__,
                )
            ) from None
        return client

    def _odk_get(self, client, url):
        """GET through pyodk's session (relative to the API root, or absolute); JSON or raw response."""
        try:
            response = client.get(url)
        except requests.RequestException as e:
            raise OdkPullInterrupted(_("Central could not be reached (%s)", type(e).__name__)) from e
        if response.status_code != 200:
            raise OdkPullInterrupted(_("Central answered HTTP %s", response.status_code))
        return response

    def _odk_filter(self):
        parts = []
        if self.last_pull_watermark:
            mark = self.last_pull_watermark
            parts.append("(__system/submissionDate gt %s or __system/updatedAt gt %s)" % (mark, mark))
        parts.append(REVIEW_FILTERS[self.odk_review_filter])
        return " and ".join(parts)

    # ------------------------------------------------------------------ pulling

    def action_pull(self):
        self.ensure_one()
        if not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(_("Only G2P administrators pull from ODK Central."))
        stats = self._pull()
        interrupted = self.last_pull_status == "interrupted"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Pull interrupted") if interrupted else _("Pull complete"),
                "message": self.last_pull_message,
                "type": "warning" if interrupted or stats["error"] or stats["duplicate"] else "success",
                "sticky": interrupted,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _pull(self):
        """Pull new and changed submissions page by page, stage each page, then apply what is new
        (in queue jobs when there is much of it, see :meth:`_odk_apply`).
        A failure after the session opened stops the pull: what was staged stays, the watermark
        does not move, and the next pull asks again from the same point (staged versions are not
        staged twice). Returns the counts."""
        self.ensure_one()
        from pyodk.errors import PyODKError

        stats = dict.fromkeys(
            ("fetched", "new", "edited", "imported", "error", "duplicate", "pages", "queued"), 0
        )
        client = self._odk_client()
        watermark = self.last_pull_watermark or ""
        interrupted = None
        to_process = self.env["g2p.intake.record"]
        try:
            page = client.submissions.get_table(
                form_id=self.odk_form_id,
                project_id=self.odk_project_id,
                top=self.odk_page_size,
                expand="*",
                filter=self._odk_filter(),
            )
            while True:
                stats["pages"] += 1
                rows = page.get("value") or []
                stats["fetched"] += len(rows)
                to_process |= self._odk_stage_page(client, rows, stats)
                for row in rows:
                    system = row.get("__system") or {}
                    watermark = max(
                        watermark, system.get("submissionDate") or "", system.get("updatedAt") or ""
                    )
                link = page.get("@odata.nextLink")
                if not link or stats["pages"] >= MAX_PAGES:
                    break
                page = self._odk_get(client, link).json()
        except PyODKError as e:
            response = e.args[1] if len(e.args) > 1 else None
            interrupted = _("Central answered HTTP %s", response.status_code if response is not None else "?")
        except OdkPullInterrupted as e:
            interrupted = e.args[0]
        except requests.RequestException as e:
            interrupted = _("Central could not be reached (%s)", type(e).__name__)
        finally:
            client.close()
        # What was staged is applied even when the pull stopped: staged versions are never staged
        # twice, so the next pull would not bring them back.
        run = self._odk_apply(to_process, stats)
        summary = _(
            "%(fetched)s submission(s) read, %(new)s new, %(edited)s edited; %(imported)s imported, "
            "%(error)s in error, %(duplicate)s possible duplicate(s).",
            **stats,
        )
        if run:
            summary = _(
                "%(fetched)s submission(s) read, %(new)s new, %(edited)s edited; %(queued)s records are "
                "applied in the background by %(run)s (Intake > Import Runs).",
                run=run.name,
                **stats,
            )
        vals = {"last_pull_date": fields.Datetime.now()}
        if interrupted:
            message = _(
                "Interrupted on page %(page)s: %(why)s. %(summary)s What was read is kept; the next pull "
                "resumes from the last complete pull.",
                page=stats["pages"] + 1,
                why=interrupted,
                summary=summary,
            )
            vals.update(last_pull_status="interrupted", last_pull_message=message)
            _logger.warning("ODK source %s: pull interrupted: %s", self.id, interrupted)
        else:
            vals.update(
                last_pull_status="done", last_pull_message=summary, last_pull_watermark=watermark or False
            )
            _logger.info("ODK source %s: pull complete, %s submission(s) read", self.id, stats["fetched"])
        self.write(vals)
        self.message_post(body=vals["last_pull_message"])
        return stats

    def _odk_stage_page(self, client, rows, stats):
        Record = self.env["g2p.intake.record"]
        existing = {
            r.external_id: r
            for r in Record.search(
                [
                    ("source_id", "=", self.source_id.id),
                    ("external_id", "in", [row.get("__id") for row in rows]),
                ]
            )
        }
        items = []
        refetched = Record.browse()
        for row in rows:
            external_id = row.get("__id")
            if not external_id:
                continue
            system = row.get("__system") or {}
            instance_id = value_at(row, self.odk_instance_path) or external_id
            before = existing.get(external_id)
            item = {
                "external_id": external_id,
                "instance_id": instance_id,
                "label": (value_at(row, self.odk_label_path) if self.odk_label_path else None) or external_id,
                "form_version": system.get("formVersion") or False,
                "submitted_date": odk_datetime(system.get("submissionDate")),
                "submitter": system.get("submitterName") or system.get("submitterId") or False,
                "payload": json.dumps(row, indent=2, ensure_ascii=False),
            }
            if before and before.instance_id == instance_id:
                if system.get("attachmentsPresent") and not before.attachment_ids:
                    # Uploaded after the first pull, or that pull stopped before the files.
                    self._odk_fetch_attachments(client, before)
                    refetched |= before.filtered(lambda r: r.state == "error")
                # Staged by a pull that stopped before applying it.
                refetched |= before.filtered(lambda r: r.state == "new")
                continue
            if before:
                stats["edited"] += 1
                item["deprecated_id"] = self._odk_deprecated_id(client, external_id) or before.instance_id
            else:
                stats["new"] += 1
            items.append((item, system))
        staged = self._odk_stage(
            items,
            lambda record, system: system.get("attachmentsPresent")
            and self._odk_fetch_attachments(client, record),
        )
        return staged.filtered(lambda r: r.state == "new") | refetched

    def _odk_apply(self, records, stats):
        """Apply the records a pull staged: here when they are few, else by an intake run's queue
        jobs (a large first pull would otherwise hold the request or the cron for minutes).
        Returns the run, if one was started."""
        records = records.sorted("id")  # an edit is staged after its original: apply in that order
        if len(records) > INLINE_RECORDS:
            stats["queued"] = len(records)
            return self.env["g2p.intake.run"]._start(
                self.source_id,
                _(
                    "%(source)s: pull of %(date)s",
                    source=self.name,
                    date=format_datetime(self.env, fields.Datetime.now()),
                ),
                records,
            )
        counts = records._process() if records else {}
        for state in ("imported", "error", "duplicate"):
            stats[state] += counts.get(state, 0)
        return None

    def _odk_submission_path(self, external_id):
        return "projects/%s/forms/%s/submissions/%s" % (
            self.odk_project_id,
            quote(self.odk_form_id, safe=""),
            quote(external_id, safe=":"),
        )

    def _odk_deprecated_id(self, client, external_id):
        """meta/deprecatedID of the current version: only the submission XML has it (OData leaves
        out what the form does not declare)."""
        xml = self._odk_get(client, self._odk_submission_path(external_id) + ".xml").content
        try:
            root = ET.fromstring(xml)
        except ET.ParseError:
            return None
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == "deprecatedID" and element.text:
                return element.text.strip()
        return None

    def _odk_stage(self, items, attach):
        """Stage ``items`` ((record values, source row) pairs) in one call, then ``attach(record,
        row)`` for each record staged; returns the staged records. The OData pull and the CSV
        export share it."""
        staged = self.env["g2p.intake.record"]._stage(self.source_id, [item for item, _row in items])
        by_id = {record.external_id: record for record in staged}
        for item, row in items:
            record = by_id.get(item["external_id"])
            if record:
                attach(record, row)
        return staged

    def _odk_fetch_attachments(self, client, record):
        """The submission's files, stored on the staging record (the apply copies them to registrants)."""
        from pyodk._endpoints.submission_attachments import SubmissionAttachmentService

        service = SubmissionAttachmentService(
            session=client.session, default_project_id=self.odk_project_id, default_form_id=self.odk_form_id
        )
        Attachment = self.env["ir.attachment"]
        for listed in service.list(instance_id=record.external_id):
            if not listed.exists:
                continue
            path = "%s/attachments/%s" % (
                self._odk_submission_path(record.external_id),
                quote(listed.name, safe=""),
            )
            response = self._odk_get(client, path)
            present = record.attachment_ids.filtered(lambda a, n=listed.name: a.name == n)
            if any(a.raw == response.content for a in present):
                continue
            Attachment.create(
                {
                    "name": listed.name,
                    "raw": response.content,
                    "mimetype": (response.headers.get("Content-Type") or "").split(";")[0] or False,
                    "res_model": "g2p.intake.record",
                    "res_id": record.id,
                }
            )
        record.invalidate_recordset(["attachment_ids"])

    @api.model
    def _cron_pull(self):
        for source in self.search([("auto_pull", "=", True), ("active", "=", True)]):
            try:
                with self.env.cr.savepoint():
                    source._pull()
            except UserError as e:
                # The reason (wrong password, unreachable server) names no beneficiary.
                _logger.warning("ODK source %s: pull refused: %s", source.id, e.args[0])
                source.write({"last_pull_message": e.args[0], "last_pull_date": fields.Datetime.now()})
