import base64
import csv
import hashlib
import io
import json
import logging
from datetime import date, datetime

import chardet
import openpyxl

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import (
    COLUMN_NAMES,
    DATE_FORMATS,
    GENDER_ALIASES,
    NO,
    REQUIRED_COLUMNS,
    TRUSTED_ENCODINGS,
    YES,
)
from odoo.addons.g2p_intake.const import INLINE_RECORDS
from odoo.addons.g2p_registry.models.g2p_group_membership import MEMBERSHIP_ROLES
from odoo.addons.g2p_registry.models.res_partner import GENDERS
from odoo.addons.g2p_registry.tools.notify import notification

_logger = logging.getLogger(__name__)

XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(Exception):
    """The file as a whole cannot be read (empty, wrong header, not a CSV/XLSX)."""

    def __init__(self, column, message):
        self.column = column
        self.message = message
        super().__init__(message)


def decode_csv(raw):
    """The text of a CSV file and the encoding it was read with: UTF-8 with or without BOM, else
    what chardet recognises among common encodings, else Windows-1252 / Latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "UTF-8 (BOM)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    guess = chardet.detect(raw[:200000]) or {}
    encoding = (guess.get("encoding") or "").lower()
    if encoding in TRUSTED_ENCODINGS and encoding != "utf-8":
        try:
            return raw.decode(encoding), encoding.upper()
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return raw.decode("cp1252"), "WINDOWS-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "ISO-8859-1"


def cell_text(value):
    """A cell as text: XLSX numbers without a trailing .0, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class G2pIntakeFileImport(models.TransientModel):
    """Upload a CSV or XLSX file of household members, check it (dry run), then stage one record
    per household and apply them with the registry intake service."""

    _name = "g2p.intake.file.import"
    _description = "Registry Intake: Import a File"

    source_id = fields.Many2one(
        "g2p.intake.source",
        string="Source",
        required=True,
        domain=[("code", "=", "file")],
        default=lambda self: self._default_source(),
        help="The intake source the households are staged under (its country reads local phone numbers).",
    )
    file = fields.Binary(string="File", required=True, help="A CSV (UTF-8 or Latin-1) or XLSX file.")
    filename = fields.Char()
    state = fields.Selection(
        [("upload", "Upload"), ("checked", "Checked"), ("done", "Imported")], default="upload", required=True
    )
    checksum = fields.Char(readonly=True)
    encoding = fields.Char(readonly=True, help="How the file was read.")
    row_count = fields.Integer(string="Rows", readonly=True)
    household_count = fields.Integer(string="Households", readonly=True)
    valid_household_count = fields.Integer(string="Valid Households", readonly=True)
    already_count = fields.Integer(
        string="Already Imported",
        readonly=True,
        help="Households of this very file staged before: importing it again changes nothing.",
    )
    error_count = fields.Integer(string="Errors", readonly=True)
    line_ids = fields.One2many(
        "g2p.intake.file.import.line", "wizard_id", string="Problems Found", readonly=True
    )
    summary = fields.Text(readonly=True)

    @api.model
    def _default_source(self):
        source = self.env.ref("g2p_intake_file.source_files", raise_if_not_found=False)
        if source and source.active and source.company_id == self.env.company:
            return source
        return self.env["g2p.intake.source"].search([("code", "=", "file")], limit=1)

    @api.onchange("file")
    def _onchange_file(self):
        self.state = "upload"
        self.line_ids = [fields.Command.clear()]
        self.summary = False

    # ------------------------------------------------------------------ reading

    def _read_rows(self):
        """[(row number, {column: text})] of the file, and the encoding; FileRefused otherwise."""
        self.ensure_one()
        raw = base64.b64decode(self.file or b"")
        if not raw.strip():
            raise FileRefused("", _("The file is empty."))
        name = (self.filename or "").lower()
        if raw.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
            rows, encoding = self._read_xlsx(raw), "XLSX"
        else:
            if name.endswith(".xls"):
                raise FileRefused(
                    "", _("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV.")
                )
            text, encoding = decode_csv(raw)
            rows = self._read_csv(text)
        rows = [[cell_text(v) for v in row] for row in rows]
        while rows and not any(rows[-1]):
            rows.pop()
        if not rows or not any(rows[0]):
            raise FileRefused("", _("The file is empty."))
        header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        unknown = [h for h in header if h and h not in COLUMN_NAMES]
        doubled = sorted({h for h in header if h and header.count(h) > 1})
        if missing or unknown or doubled:
            parts = []
            if missing:
                parts.append(_("missing column(s): %s", ", ".join(missing)))
            if unknown:
                parts.append(_("unknown column(s): %s", ", ".join(unknown)))
            if doubled:
                parts.append(_("column(s) given twice: %s", ", ".join(doubled)))
            raise FileRefused(
                (missing + unknown + doubled)[0],
                _(
                    "Wrong header in row 1 (%(problems)s). The columns are: %(columns)s — "
                    "download the template.",
                    problems="; ".join(parts),
                    columns=", ".join(COLUMN_NAMES),
                ),
            )
        data = []
        for number, row in enumerate(rows[1:], 2):
            if not any(row):
                continue
            data.append((number, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}))
        if not data:
            raise FileRefused("", _("The file has a header but no rows."))
        return data, encoding

    def _read_csv(self, text):
        sample = text[:5000]
        try:
            dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return list(csv.reader(io.StringIO(text), dialect))

    def _read_xlsx(self, raw):
        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as e:
            raise FileRefused("", _("The file is not a readable XLSX workbook: %s", e)) from e
        try:
            sheet = book.worksheets[0]
            return [list(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()

    # ------------------------------------------------------------------ checking

    def _check_file(self):
        """Read and validate every row. Returns (errors, households, rows, encoding): errors are
        (row, column, household key, message); households {key: normalised household}, only those
        without errors."""
        self.ensure_one()
        try:
            rows, encoding = self._read_rows()
        except FileRefused as e:
            return [(0 if not e.column else 1, e.column, "", e.message)], {}, [], ""
        country = self.source_id._intake_country()
        Phone = self.env["g2p.phone.number"]
        RegId = self.env["g2p.registrant.id"]
        # One query for the ID types, none per cell.
        id_types = {}
        for id_type in self.env["g2p.id.type"].search([]):
            id_types[id_type.code.casefold()] = id_type
            id_types.setdefault(id_type.name.casefold(), id_type)
        roles = {}
        for value, label in MEMBERSHIP_ROLES:
            roles[value] = roles[label.casefold()] = value
        genders = dict(GENDER_ALIASES)
        for value, label in GENDERS:
            genders[value] = genders[label.casefold()] = value
        today = fields.Date.context_today(self)

        errors = []
        members_by_key = {}
        seen_rows = {}
        seen_ids = {}
        for number, row in rows:
            row_errors = []

            def error(column, message, number=number, row=row, row_errors=row_errors):
                row_errors.append((number, column, row.get("household_key", ""), message))

            key = row.get("household_key", "")
            if not key:
                error(
                    "household_key",
                    _("The household key is missing: give every member of a household the same key."),
                )
            signature = tuple(v.casefold() for v in row.values())
            if signature in seen_rows:
                error("", _("Duplicate row: the same as row %s.", seen_rows[signature]))
            else:
                seen_rows[signature] = number
            head_text = row.get("head", "").casefold()
            if head_text in YES:
                is_head = True
            elif head_text in NO:
                is_head = False
            else:
                is_head = False
                error("head", _("'%s' is not yes or no.", row["head"]))
            role = "head" if is_head else "other"
            relationship = row.get("relationship", "")
            if not is_head and relationship:
                role = roles.get(relationship.casefold())
                if not role or role == "head":
                    error(
                        "relationship",
                        _(
                            "'%(value)s' is not a relationship (one of: %(roles)s; mark the head in the "
                            "column 'head').",
                            value=relationship,
                            roles=", ".join(r for r, _label in MEMBERSHIP_ROLES if r != "head"),
                        ),
                    )
                    role = "other"
            given, family = row.get("given_name", ""), row.get("family_name", "")
            if not given:
                error("given_name", _("The given name is missing."))
            vals = {"given_name": given}
            where = {"given_name": "row %s/given_name" % number}
            if family:
                vals["family_name"] = family
                where["family_name"] = "row %s/family_name" % number
            gender = row.get("gender", "")
            if gender:
                if gender.casefold() in genders:
                    vals["gender"] = genders[gender.casefold()]
                    where["gender"] = "row %s/gender" % number
                else:
                    error(
                        "gender",
                        _(
                            "'%(value)s' is not a gender this registry knows (one of: %(known)s).",
                            value=gender,
                            known=", ".join(v for v, _label in GENDERS),
                        ),
                    )
            birthdate_text = row.get("birthdate", "")
            if birthdate_text:
                birthdate = self._parse_date(birthdate_text)
                if not birthdate:
                    error(
                        "birthdate",
                        _("'%s' is not a date: write it as YYYY-MM-DD or DD/MM/YYYY.", birthdate_text),
                    )
                elif birthdate > today:
                    error("birthdate", _("The date of birth %s is in the future.", birthdate_text))
                else:
                    vals["birthdate"] = birthdate.isoformat()
                    where["birthdate"] = "row %s/birthdate" % number
            phones = []
            if row.get("phone"):
                try:
                    normalised = Phone._normalize(row["phone"], country)
                    phones.append({"number": normalised, "field": "row %s/phone" % number})
                except ValidationError as e:
                    error("phone", e.args[0])
            ids = []
            type_text, id_value = row.get("id_type", ""), row.get("id_number", "")
            if type_text or id_value:
                id_type = id_types.get(type_text.casefold()) if type_text else None
                if not type_text:
                    error("id_type", _("The ID number %s has no ID type.", id_value))
                elif not id_type:
                    error(
                        "id_type",
                        _(
                            "Unknown ID type '%(value)s' (known: %(known)s).",
                            value=type_text,
                            known=", ".join(sorted({t.code for t in id_types.values()})) or "-",
                        ),
                    )
                elif not id_value:
                    error("id_number", _("The %s has no number.", id_type.name))
                else:
                    value = RegId._normalize_value(id_value)
                    try:
                        id_type._validate_value(value)
                    except ValidationError as e:
                        error("id_number", e.args[0])
                    else:
                        other = seen_ids.setdefault((id_type.id, value), number)
                        if other != number:
                            error(
                                "id_number",
                                _("Row %(row)s has the same %(type)s.", row=other, type=id_type.name),
                            )
                        ids.append(
                            {
                                "type": id_type.code,
                                "value": value,
                                "field": "row %s/id_number" % number,
                                "type_field": "row %s/id_type" % number,
                            }
                        )
            errors += row_errors
            if key:
                members_by_key.setdefault(key, []).append(
                    {
                        "row": number,
                        "household_name": row.get("household_name", ""),
                        "village": row.get("village", ""),
                        "member": {
                            "key": "row %s" % number,
                            "field": "row %s" % number,
                            "role": role,
                            "role_field": "row %s/head" % number,
                            "vals": vals,
                            "fields": where,
                            "phones": phones,
                            "ids": ids,
                        },
                    }
                )

        households = {}
        invalid_keys = {e[2] for e in errors if e[2]}
        for key, members in members_by_key.items():
            heads = [m["row"] for m in members if m["member"]["role"] == "head"]
            if not heads:
                errors.append(
                    (
                        members[0]["row"],
                        "head",
                        key,
                        _("Household %s has no head: write yes in 'head' on one row.", key),
                    )
                )
                continue
            if len(heads) > 1:
                errors.append(
                    (
                        heads[1],
                        "head",
                        key,
                        _(
                            "Household %(key)s has %(count)s heads (rows %(rows)s): a household has "
                            "one head.",
                            key=key,
                            count=len(heads),
                            rows=", ".join(map(str, heads)),
                        ),
                    )
                )
                continue
            if key in invalid_keys:
                continue
            head = next(m for m in members if m["member"]["role"] == "head")
            household_vals, household_where = {}, {}
            name = next((m["household_name"] for m in [head, *members] if m["household_name"]), "")
            village = next((m["village"] for m in [head, *members] if m["village"]), "")
            if name:
                household_vals["name"] = name
                household_where["name"] = "row %s/household_name" % head["row"]
            if village:
                household_vals["city"] = village
                household_where["city"] = "row %s/village" % head["row"]
            households[key] = {
                "household": {"vals": household_vals, "fields": household_where},
                "members": [m["member"] for m in members],
                "rows": [m["row"] for m in members],
            }
        errors.sort(key=lambda e: (e[0], e[1]))
        return errors, households, rows, encoding

    @api.model
    def _parse_date(self, text):
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text.strip(), fmt).date()
            except ValueError:
                continue
        return None

    def _checksum(self):
        return hashlib.sha256(base64.b64decode(self.file or b"")).hexdigest()

    def _external_id(self, key):
        return "%s/%s" % (self.checksum[:16], key)

    def _already_staged(self, keys):
        if not keys:
            return set()
        records = self.env["g2p.intake.record"].search(
            [
                ("source_id", "=", self.source_id.id),
                ("external_id", "in", [self._external_id(k) for k in keys]),
            ]
        )
        return set(records.mapped("external_id"))

    # ------------------------------------------------------------------ buttons

    def action_check(self):
        """Dry run: validate every row, write nothing to the registry."""
        self.ensure_one()
        result = self._run_check()
        return self._notify(_("Dry run"), result["message"], "warning" if self.error_count else "success")

    def _run_check(self):
        self.ensure_one()
        if not self.file and not self.filename:  # a file of 0 bytes has a name: "empty" below
            raise UserError(_("Choose a CSV or XLSX file first."))
        self.checksum = self._checksum()
        errors, households, rows, encoding = self._check_file()
        keys = {r.get("household_key") for _n, r in rows if r.get("household_key")}
        staged = self._already_staged(list(households))
        self.write(
            {
                "state": "checked",
                "encoding": encoding,
                "row_count": len(rows),
                "household_count": len(keys),
                "valid_household_count": len(households),
                "already_count": len(staged),
                "error_count": len(errors),
                "line_ids": [fields.Command.clear()]
                + [
                    fields.Command.create(
                        {"row": row, "column": column, "household_key": key, "message": message}
                    )
                    for row, column, key, message in errors
                ],
            }
        )
        if not rows:
            message = _("The file cannot be imported: %s", errors[0][3])
        else:
            message = _(
                "%(rows)s rows, %(households)s households: %(valid)s can be imported, %(errors)s error(s)"
                "%(already)s.",
                rows=len(rows),
                households=len(keys),
                valid=len(households) - len(staged),
                errors=len(errors),
                already=_(", %s already imported from this file", len(staged)) if staged else "",
            )
        self.summary = message
        return {"errors": errors, "households": households, "staged": staged, "message": message}

    def action_import(self):
        """Stage one record per valid household (external id: file checksum + household key) and
        apply them through the intake service. Households with errors are left out."""
        self.ensure_one()
        check = self._run_check()
        households = check["households"]
        if not households:
            raise UserError(
                _(
                    "Nothing can be imported: %s",
                    check["errors"][0][3] if check["errors"] else check["message"],
                )
            )
        Record = self.env["g2p.intake.record"]
        now = fields.Datetime.now()
        items = [
            {
                "external_id": self._external_id(key),
                "label": "%s: %s" % (self.filename or _("file"), key),
                "payload": json.dumps({k: v for k, v in data.items() if k != "rows"}, ensure_ascii=False),
                "submitted_date": now,
                "submitter": self.env.user.name,
                "form_version": self.filename or False,
            }
            for key, data in households.items()
            if self._external_id(key) not in check["staged"]
        ]
        records = Record._stage(self.source_id, items)
        if len(records) > INLINE_RECORDS:
            return self._import_in_background(records)
        records._process()
        # A household created by this import is "created", one that was in the registry "updated".
        imported = records.filtered(lambda r: r.state == "imported")
        created = imported.filtered(lambda r: r.household_id in r.created_partner_ids)
        updated = imported - created
        duplicates = records.filtered(lambda r: r.state == "duplicate")
        failed = records.filtered(lambda r: r.state == "error")
        outcomes = [
            (created, _("%s created")),
            (updated, _("%s updated")),
            (duplicates, _("%s possible duplicate(s) to review")),
            (failed, _("%s refused by the registry, to review")),
        ]
        done = ", ".join(label % len(recs) for recs, label in outcomes if recs)
        if records:
            message = _("%(count)s household(s) staged: %(done)s.", count=len(records), done=done)
        else:
            message = _("No household staged.")
        skipped = self.household_count - self.valid_household_count
        left_out = [
            label % count
            for count, label in (
                (skipped, _("%s household(s) with errors in the file")),
                (len(check["staged"]), _("%s already imported from this file")),
            )
            if count
        ]
        if left_out:
            message += " " + _("Left out: %s.", ", ".join(left_out))
        _logger.info(
            "File import %s: %s households staged (%s created, %s updated, %s duplicates, %s errors)",
            self.checksum[:16],
            len(records),
            len(created),
            len(updated),
            len(duplicates),
            len(failed),
        )
        self.write({"state": "done", "summary": message})
        problem = duplicates or failed or self.error_count
        return self._notify(_("Import"), message, "warning" if problem else "success")

    def _import_in_background(self, records):
        """A large file: its households are staged; jobs apply them, and its run shows how far."""
        run = self.env["g2p.intake.run"]._start(self.source_id, self.filename or _("File import"), records)
        skipped = self.household_count - self.valid_household_count
        message = _(
            "%(count)s households staged; %(jobs)s background jobs apply them. Follow them on this run.",
            count=len(records),
            jobs=run.job_count,
        )
        if skipped:
            message += " " + _("Left out: %s household(s) with errors in the file.", skipped)
        _logger.info(
            "File import %s: %s households staged for run %s", self.checksum[:16], len(records), run.id
        )
        self.write({"state": "done", "summary": message})
        return notification(
            _("Import"),
            message,
            "info",
            next_action={
                "type": "ir.actions.act_window",
                "res_model": "g2p.intake.run",
                "res_id": run.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            },
        )

    def action_open_records(self):
        """The staging records of this file (review duplicates and errors there)."""
        self.ensure_one()
        action = self.source_id.action_open_records()
        action["domain"] = [
            ("source_id", "=", self.source_id.id),
            ("external_id", "=like", "%s/%%" % self.checksum[:16]),
        ]
        action["display_name"] = _("Staging: %s", self.filename or self.source_id.name)
        action["context"] = {}
        return action

    def action_download_template(self):
        fmt = self.env.context.get("template_format") or "csv"
        url = "/g2p_intake_file/template.%s" % ("xlsx" if fmt == "xlsx" else "csv")
        return {"type": "ir.actions.act_url", "url": url, "target": "download"}

    def _notify(self, title, message, kind):
        """The registry's notification, then this wizard again with its results."""
        reopen = {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": _("Import a File"),
        }
        return notification(title, message, kind, next_action=reopen, sticky=kind != "success")
