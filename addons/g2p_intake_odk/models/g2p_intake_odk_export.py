"""ODK Central's CSV export (the zip of the main and repeat CSVs) as the same submission dicts the
OData pull builds, so the same mapping, staging and apply code runs for an offline site."""

import csv
import hashlib
import io
import json
import logging
import mimetypes
import re
import zipfile
from urllib.parse import quote

import requests

from odoo import _, fields, models
from odoo.exceptions import UserError

from .g2p_intake_odk_source import ADMIN_GROUP, OdkPullInterrupted, odk_datetime, value_at

_logger = logging.getLogger(__name__)

# The columns Central appends to the main CSV (lib/data/briefcase.js), after the form's fields.
SYSTEM_COLUMNS = [
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
]
GEO_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
MAX_ZIP_BYTES = 200 * 1024 * 1024  # uncompressed: a zip bomb stops here


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return text or None


def repeat_entry_id(key):
    """The OData ``__id`` of a repeat entry from its CSV ``KEY`` (``uuid:…/members[1]``): Central's
    hashId, sha1 of ``Submissions#<instance>%%<name>#<0-based index>`` (``<group>#`` for a group).
    The same members then keep the same keys whichever way the submission came in."""
    instance_id, _sep, path = key.partition("/")
    parts = ["Submissions#%s" % instance_id]
    for segment in path.split("/"):
        match = re.fullmatch(r"(.+)\[(\d+)\]", segment)
        parts.append("%s#%s" % (match[1], int(match[2]) - 1) if match else "%s#" % segment)
    return hashlib.sha1("%%".join(parts).encode()).hexdigest()


def nest(header, row):
    """One CSV row as an OData-like dict: ``a-b`` columns become ``{"a": {"b": …}}``, the four
    ``-Latitude -Longitude -Altitude -Accuracy`` columns of a geopoint a GeoJSON point, an empty cell
    ``None``. CSV values stay text (the mapping and the intake service read text)."""
    cells = dict(zip(header, row, strict=False))
    data = {}
    done = set()
    for column in header:
        if column in done:
            continue
        base, _sep, part = column.rpartition("-")
        value = cells.get(column) or None
        if part in GEO_PARTS and all("%s-%s" % (base, p) in cells for p in GEO_PARTS[:2]):
            done.update("%s-%s" % (base, p) for p in GEO_PARTS)
            values = [cells.get("%s-%s" % (base, p)) or None for p in GEO_PARTS]
            column, value = base, None
            if values[0] and values[1]:
                try:
                    numbers = [float(v) if v else None for v in values]
                except ValueError:
                    value = " ".join(v or "" for v in values).strip()  # the mapping names the bad point
                else:
                    coordinates = [numbers[1], numbers[0]] + ([numbers[2]] if numbers[2] is not None else [])
                    value = {"type": "Point", "coordinates": coordinates}
                    if numbers[3] is not None:
                        value["properties"] = {"accuracy": numbers[3]}
        done.add(column)
        *groups, name = column.split("-")
        target = data
        for group in groups:
            target = target.setdefault(group, {})
            if not isinstance(target, dict):
                break
        else:
            target[name] = value
    return data


class G2pIntakeOdkSource(models.Model):
    _inherit = "g2p.intake.odk.source"

    # ------------------------------------------------------------------ reading the zip

    def _odk_export_names(self):
        form = self.odk_form_id
        repeat = (self.odk_repeat_path or "").strip("/").rsplit("/", 1)[-1]
        return "%s.csv" % form, "%s-%s.csv" % (form, repeat), repeat

    def _odk_read_csv(self, archive, name):
        raw = archive.read(name)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise UserError(_("%(file)s is not UTF-8 text as Central writes it.", file=name)) from e
        rows = list(csv.reader(io.StringIO(text, newline="")))
        if not rows:
            raise UserError(_("%(file)s is empty: Central always writes a header row.", file=name))
        return rows[0], rows[1:]

    def _odk_parse_export(self, content):
        """The submissions of a Central CSV export ``content`` (bytes of the zip) as OData-like rows,
        and its media files ``{name: bytes}``. Raises a UserError naming what does not fit this
        source's form; nothing is staged then."""
        self.ensure_one()
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except (zipfile.BadZipFile, ValueError) as e:
            raise UserError(
                _("The file is not a zip. Upload the .zip that Central's Download button gives.")
            ) from e
        if sum(i.file_size for i in archive.infolist()) > MAX_ZIP_BYTES:
            raise UserError(_("The zip is larger than %s MB once unpacked.", MAX_ZIP_BYTES // 2**20))
        names = [n for n in archive.namelist() if not n.endswith("/")]
        main_name, repeat_name, repeat = self._odk_export_names()
        if main_name not in names:
            found = ", ".join(sorted(n for n in names if n.lower().endswith(".csv"))) or _("no CSV file")
            raise UserError(
                _(
                    "This zip is not Central's CSV export of the form %(form)s: it has no %(main)s "
                    "(found: %(found)s). Download the export of %(form)s from Central, or check the "
                    "form ID of %(source)s.",
                    form=self.odk_form_id,
                    main=main_name,
                    found=found,
                    source=self.name,
                )
            )
        header, rows = self._odk_read_csv(archive, main_name)
        missing = [c for c in ["SubmissionDate", *SYSTEM_COLUMNS] if c not in header]
        if missing:
            raise UserError(
                _(
                    "%(file)s lacks the columns Central always writes: %(missing)s. Upload the export "
                    "as downloaded from Central, without editing it.",
                    file=main_name,
                    missing=", ".join(missing),
                )
            )
        mapping = self.mapping_ids
        member_lines = mapping.filtered(lambda m: m.scope == "member")
        known = self._odk_export_paths(header)
        unknown = [
            m.form_path
            for m in mapping.filtered(lambda m: m.scope == "household")
            if m.form_path.strip("/") not in known
        ]
        for path in (self.odk_instance_path, self.odk_label_path):
            if path and path.strip("/") not in known:
                unknown.append(path)
        members_by_parent = {}
        if member_lines:
            candidates = [
                n
                for n in names
                if n == repeat_name or re.fullmatch(re.escape(repeat_name[:-4]) + r"~\d+\.csv", n)
            ]
            if not candidates:
                raise UserError(
                    _(
                        "The zip has no %(file)s, the CSV of the repeat %(repeat)s that the member mapping "
                        "reads (found: %(found)s).",
                        file=repeat_name,
                        repeat=self.odk_repeat_path,
                        found=", ".join(sorted(n for n in names if n.lower().endswith(".csv"))),
                    )
                )
            sub_header, sub_rows = self._odk_read_csv(archive, candidates[0])
            if sub_header[-2:] != ["PARENT_KEY", "KEY"]:
                raise UserError(
                    _("%(file)s does not end with Central's PARENT_KEY and KEY columns.", file=candidates[0])
                )
            sub_known = self._odk_export_paths(sub_header[:-2])
            unknown += [
                "%s/%s" % (self.odk_repeat_path, m.form_path)
                for m in member_lines
                if m.form_path.strip("/") not in sub_known
            ]
            for sub_row in sub_rows:
                entry = nest(sub_header[:-2], sub_row)
                entry["__id"] = repeat_entry_id(sub_row[-1])
                members_by_parent.setdefault(sub_row[-2], []).append(entry)
        if unknown:
            raise UserError(
                _(
                    "The export has no column for %(paths)s, which the mapping of %(source)s reads (a "
                    "group path becomes a column joined with '-', e.g. household-phone). Is it the "
                    "export of another form or version, or downloaded without group paths?",
                    paths=", ".join(unknown),
                    source=self.name,
                )
            )
        submissions = []
        for row in rows:
            if len(row) != len(header):
                raise UserError(
                    _(
                        "A row of %(file)s has %(n)s cells, the header %(h)s.",
                        file=main_name,
                        n=len(row),
                        h=len(header),
                    )
                )
            cells = dict(zip(header, row, strict=True))
            fields_header = header[1 : -len(SYSTEM_COLUMNS)]
            data = nest(fields_header, row[1 : -len(SYSTEM_COLUMNS)])
            key = cells["KEY"]
            data["__id"] = key
            data["__system"] = {
                "submissionDate": cells["SubmissionDate"] or None,
                "updatedAt": None,
                "submitterId": cells["SubmitterID"] or None,
                "submitterName": cells["SubmitterName"] or None,
                "attachmentsPresent": _int(cells["AttachmentsPresent"]),
                "attachmentsExpected": _int(cells["AttachmentsExpected"]),
                "status": cells["Status"] or None,
                "reviewState": cells["ReviewState"] or None,
                "deviceId": cells["DeviceID"] or None,
                "edits": _int(cells["Edits"]),
                "formVersion": cells["FormVersion"] or None,
                "deletedAt": None,
            }
            if member_lines:
                parts = self.odk_repeat_path.strip("/").split("/")
                target = data
                for part in parts[:-1]:
                    target = target.setdefault(part, {})
                target[parts[-1]] = members_by_parent.get(key, [])
            submissions.append(data)
        media = {n.split("/", 1)[1]: archive.read(n) for n in names if n.startswith("media/")}
        return submissions, media

    def _odk_export_paths(self, header):
        """The form paths (``a/b``) the CSV columns give, geopoints once."""
        paths = set()
        for column in header:
            base, _sep, part = column.rpartition("-")
            if part in GEO_PARTS and "%s-Latitude" % base in header:
                column = base
            paths.add(column.replace("-", "/"))
        return paths

    # ------------------------------------------------------------------ importing

    def _odk_import_export(self, content):
        """Stage and apply the submissions of a Central CSV export (bytes of the zip). A submission
        already staged with the same version (through OData or an earlier zip) is left alone; a new
        version of it is an edit. Returns the counts."""
        self.ensure_one()
        if not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(_("Only G2P administrators import ODK Central exports."))
        submissions, media = self._odk_parse_export(content)
        review = self.odk_review_filter
        stats = dict.fromkeys(("fetched", "new", "edited", "imported", "error", "duplicate", "skipped"), 0)
        stats["fetched"] = len(submissions)
        kept = []
        for row in submissions:
            state = row["__system"]["reviewState"]
            if (review == "approved" and state != "approved") or (
                review == "not_rejected" and state == "rejected"
            ):
                stats["skipped"] += 1
            else:
                kept.append(row)
        Record = self.env["g2p.intake.record"]
        existing = {
            r.external_id: r
            for r in Record.search(
                [("source_id", "=", self.source_id.id), ("external_id", "in", [r["__id"] for r in kept])]
            )
        }
        items, todo = [], Record.browse()
        for row in kept:
            system = row["__system"]
            external_id = row["__id"]
            instance_id = value_at(row, self.odk_instance_path) or external_id
            before = existing.get(external_id)
            if before and before.instance_id == instance_id:
                if self._odk_attach_media(before, row, media):
                    todo |= before.filtered(lambda r: r.state == "error")
                todo |= before.filtered(lambda r: r.state == "new")
                continue
            item = {
                "external_id": external_id,
                "instance_id": instance_id,
                "label": (value_at(row, self.odk_label_path) if self.odk_label_path else None) or external_id,
                "form_version": system["formVersion"] or False,
                "submitted_date": odk_datetime(system["submissionDate"]),
                "submitter": system["submitterName"] or system["submitterId"] or False,
                "payload": json.dumps(row, indent=2, ensure_ascii=False),
            }
            if before:
                stats["edited"] += 1
                # The export has no deprecatedID: the version it replaces is the one staged here.
                item["deprecated_id"] = before.instance_id
            else:
                stats["new"] += 1
            items.append((item, row))
        staged = self._odk_stage(items, lambda record, row: self._odk_attach_media(record, row, media))
        counts = (staged.filtered(lambda r: r.state == "new") | todo)._process()
        for state in ("imported", "error", "duplicate"):
            stats[state] += counts.get(state, 0)
        return stats

    def _odk_attach_media(self, record, row, media):
        """Store on ``record`` the zip's media files its row names; True when one was added."""
        names = set()

        def collect(value):
            if isinstance(value, dict):
                for v in value.values():
                    collect(v)
            elif isinstance(value, list):
                for v in value:
                    collect(v)
            elif isinstance(value, str) and value in media:
                names.add(value)

        collect({k: v for k, v in row.items() if k != "__system"})
        added = False
        for name in sorted(names):
            if any(a.name == name and a.raw == media[name] for a in record.attachment_ids):
                continue
            self.env["ir.attachment"].create(
                {
                    "name": name,
                    "raw": media[name],
                    "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "res_model": "g2p.intake.record",
                    "res_id": record.id,
                }
            )
            added = True
        record.invalidate_recordset(["attachment_ids"])
        return added

    def _odk_import_message(self, stats, origin):
        return _(
            "CSV export %(origin)s: %(fetched)s submission(s) read, %(new)s new, %(edited)s edited, "
            "%(skipped)s "
            "left out by their review state; %(imported)s imported, %(error)s in error, %(duplicate)s "
            "possible duplicate(s).",
            origin=origin,
            **stats,
        )

    def _odk_download_export(self):
        """The CSV export zip (with media) of the form, through pyodk's session."""
        self.ensure_one()
        client = self._odk_client()
        try:
            path = "projects/%s/forms/%s/submissions.csv.zip" % (
                self.odk_project_id,
                quote(self.odk_form_id, safe=""),
            )
            return self._odk_get(client, path).content
        except OdkPullInterrupted as e:
            raise UserError(
                _("Central did not give the export of %(source)s: %(why)s.", source=self.name, why=e.args[0])
            ) from None
        except requests.RequestException as e:
            raise UserError(_("Central could not be reached (%s).", type(e).__name__)) from None
        finally:
            client.close()

    def _odk_import_done(self, stats, origin):
        message = self._odk_import_message(stats, origin)
        self.write({"last_pull_date": fields.Datetime.now()})
        self.message_post(body=message)
        _logger.info("ODK source %s: %s submission(s) read from a CSV export", self.id, stats["fetched"])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("CSV export imported"),
                "message": message,
                "type": "warning" if stats["error"] or stats["duplicate"] else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_download_export(self):
        """Pull the same zip from Central and import it (for a site that has the server)."""
        self.ensure_one()
        if not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(_("Only G2P administrators import ODK Central exports."))
        stats = self._odk_import_export(self._odk_download_export())
        return self._odk_import_done(stats, _("downloaded from Central"))

    def action_open_import_export(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Import CSV export"),
            "res_model": "g2p.intake.odk.import",
            "view_mode": "form",
            "target": "new",
            "context": {"default_odk_source_id": self.id},
        }
