#!/usr/bin/env python3
"""A standalone stand-in for ODK Central: session login, projects and forms, the OData form service
(service document, EDMX metadata, Submissions and repeat tables with paging, ``$filter``, ``$expand``),
the submission REST API (XML, versions, review state, attachments) and the CSV-zip export.

It follows Central's API documentation (docs.getodk.org/central-api-*, the ``docs/api.yaml`` of
getodk/central-backend) and, where the docs say less than a client needs, what central-backend's
source does (``lib/formats/odata.js``, ``lib/data/odata.js``, ``lib/data/briefcase.js``,
``lib/util/odata.js``); README-odk.md lists each behaviour with its page. It is test equipment: its
own process, real HTTP, one household form, and a ``/simulator/...`` control API to seed and edit
submissions, set review states and inject faults.

Run: python tests/simulators/odk_central.py --host 127.0.0.1 --port 0 [--config f.json|'{...}']
It prints ``ODK_CENTRAL_SIMULATOR_READY http://127.0.0.1:<port>`` on stdout once it listens.

Python 3.11 standard library, and base.py of the payment hub's stand-ins (imported by path).
"""

import base64
import copy
import csv
import datetime
import hashlib
import io
import json
import math
import re
import secrets
import struct
import sys
import threading
import traceback
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

# base.py, shared by the stand-ins, is the payment hub's: its folder goes on the path.
sys.path.append(
    str(Path(__file__).resolve().parents[2] / "addons" / "g2p_payment_hub" / "tests" / "simulators")
)
import base

READY_MARKER = "ODK_CENTRAL_SIMULATOR_READY"

# ------------------------------------------------------------------------------------------------------
# The form: a household registration with a repeat group of members (XLSForm-like names and order).

CHOICES = {
    "admin_area": [("north", "North District"), ("south", "South District"), ("east", "East District")],
    "income_source": [("farming", "Farming"), ("trade", "Trade"), ("wage", "Wage labour"), ("none", "None")],
    "assets": [
        ("radio", "Radio"),
        ("phone", "Mobile phone"),
        ("bicycle", "Bicycle"),
        ("livestock", "Livestock"),
    ],
    "sex": [("male", "Male"), ("female", "Female")],
    "relationship": [
        ("head", "Head"),
        ("spouse", "Spouse"),
        ("child", "Child"),
        ("parent", "Parent"),
        ("other", "Other"),
    ],
    "id_type": [
        ("national_id", "National ID"),
        ("passport", "Passport"),
        ("birth_certificate", "Birth certificate"),
        ("none", "None"),
    ],
    "yes_no": [("yes", "Yes"), ("no", "No")],
}

# (path, type, choice list, select multiple). Types are Central's field types (from the XForm binds).
HOUSEHOLD_FIELDS = [
    ("/start", "dateTime", None, False),
    ("/end", "dateTime", None, False),
    ("/today", "date", None, False),
    ("/household", "structure", None, False),
    ("/household/household_name", "string", None, False),
    ("/household/admin_area", "string", "admin_area", False),
    ("/household/village", "string", None, False),
    ("/household/phone", "string", None, False),
    ("/household/size", "int", None, False),
    ("/household/income_source", "string", "income_source", False),
    ("/household/assets", "string", "assets", True),
    ("/household/monthly_income", "decimal", None, False),
    ("/location", "geopoint", None, False),
    ("/consent_photo", "binary", None, False),
    ("/members", "repeat", None, False),
    ("/members/given_name", "string", None, False),
    ("/members/family_name", "string", None, False),
    ("/members/sex", "string", "sex", False),
    ("/members/birthdate", "date", None, False),
    ("/members/relationship", "string", "relationship", False),
    ("/members/phone", "string", None, False),
    ("/members/id_type", "string", "id_type", False),
    ("/members/id_number", "string", None, False),
    ("/members/disability", "string", "yes_no", False),
    ("/meta", "structure", None, False),
    ("/meta/instanceID", "string", None, False),
    ("/meta/instanceName", "string", None, False),
]

DEFAULT_CONFIG = {
    # Base of the absolute URLs Central writes (its env.domain); null: the Host the request came to.
    "domain": None,
    "project": {"id": 1, "name": "G2P Registry intake", "description": "Household registration"},
    "form": {"xmlFormId": "household_survey", "name": "Household registration", "version": "2024110101"},
    # Web users who can log in (POST /v1/sessions). "projects": null gives access to every project.
    "users": [
        {
            "id": 5,
            "email": "g2p-intake@example.org",
            "password": "intake-pass-2024",
            "displayName": "G2P intake",
            "projects": None,
        }
    ],
    # App users (field keys) who submit from ODK Collect; the first is the default submitter.
    "app_users": [
        {"id": 11, "displayName": "Enumerator Amina"},
        {"id": 12, "displayName": "Enumerator Juma"},
    ],
    # Central's default session lifetime (config sessionLifetime), seconds.
    "session_lifetime": 86400,
}

SYSTEM_FILTER_FIELDS = ("__id", "__system/submissionDate", "__system/updatedAt", "__system/submitterId")
SYSTEM_FILTER_FIELDS += ("__system/reviewState", "__system/deletedAt")
REVIEW_STATES = ("hasIssues", "edited", "approved", "rejected")
EDM_TYPES = {
    "int": "Edm.Int64",
    "decimal": "Edm.Decimal",
    "boolean": "Edm.Boolean",
    "geopoint": "Edm.GeographyPoint",
    "date": "Edm.Date",
    "dateTime": "Edm.DateTimeOffset",
}
BIND_TYPES = {
    "date": "date",
    "dateTime": "dateTime",
    "int": "int",
    "decimal": "decimal",
    "geopoint": "geopoint",
}


@dataclass(frozen=True)
class Field:
    path: str
    type: str
    choices: str | None = None
    select_multiple: bool = False

    @property
    def name(self):
        return self.path.rsplit("/", 1)[1]

    @property
    def oname(self):
        return odata_identifier(self.name)

    @property
    def parent(self):
        return self.path.rsplit("/", 1)[0]

    @property
    def structural(self):
        return self.type in ("structure", "repeat")


def odata_identifier(name):
    """central-backend util.sanitizeOdataIdentifier."""
    return re.sub(r"[^a-z0-9_]+", "_", re.sub(r"^([^a-z_])", r"_\1", name, flags=re.I), flags=re.I)


class Form:
    def __init__(self, spec, fields):
        self.project_id = None
        self.xml_form_id = spec["xmlFormId"]
        self.name = spec["name"]
        self.version = spec["version"]
        self.fields = [Field(*f) for f in fields]
        self.by_path = {f.path: f for f in self.fields}
        self.xform = build_xform(self)
        self.hash = hashlib.md5(self.xform.encode()).hexdigest()
        self.fqdn = f"org.opendatakit.user.{odata_identifier(self.xml_form_id)}"

    def children(self, path):
        return [f for f in self.fields if f.parent == path]

    def repeats(self):
        return [f for f in self.fields if f.type == "repeat"]

    def binary_paths(self):
        return [f.path for f in self.fields if f.type == "binary"]


# ------------------------------------------------------------------------------------------------------
# Time, problems, responses


def now():
    return datetime.datetime.now(datetime.UTC)


def iso(moment):
    """JavaScript's Date.toISOString(): milliseconds and Z."""
    if moment is None:
        return None
    return (
        moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_moment(text):
    """An OData/ISO date or date-time literal as an aware datetime (a date is its UTC midnight)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def problem(status_code, message, details=None):
    """Central's error body: {message, code, details} with the HTTP status the integer part of code."""
    body = {"message": message, "code": status_code}
    if details is not None:
        body["details"] = details
    return base.HttpError(int(status_code), body)


def not_found():
    return problem(404.1, "Could not find the resource you were looking for.")


def auth_failed():
    return problem(401.2, "Could not authenticate with the provided credentials.")


def insufficient_rights():
    return problem(403.1, "The authentication you provided does not have rights to perform that action.")


class Raw:
    """A non-JSON answer (XML, CSV, a zip, an attachment)."""

    def __init__(self, content, content_type, headers=None):
        self.content = content if isinstance(content, bytes) else content.encode()
        self.content_type = content_type
        self.headers = headers or {}


def content_disposition(filename, disposition="attachment"):
    return f"{disposition}; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


# ------------------------------------------------------------------------------------------------------
# Submission XML: building it from seed data, reading it back


def local_name(tag):
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def text_value(field, value):
    if value is None:
        return ""
    if field.type == "geopoint" and isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if field.select_multiple and isinstance(value, list | tuple):
        return " ".join(value)
    return str(value)


def data_to_xml(form, data, extra_meta=None):
    """The submission XML of ``data`` (nested dicts, repeats as lists), in the form's field order."""

    def level(path, values, indent):
        parts = []
        for field in form.children(path):
            value = values.get(field.name) if values else None
            if field.type == "repeat":
                for item in value or []:
                    parts.append(f"<{field.name}>{level(field.path, item, indent)}</{field.name}>")
            elif field.type == "structure":
                inner = level(field.path, value or {}, indent)
                if field.path == "/meta" and extra_meta:
                    inner += "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra_meta.items())
                parts.append(f"<{field.name}>{inner}</{field.name}>")
            else:
                text = escape(text_value(field, value))
                parts.append(f"<{field.name}>{text}</{field.name}>" if text else f"<{field.name}/>")
        return "".join(parts)

    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f"id={quoteattr(form.xml_form_id)} version={quoteattr(form.version)}>{level('', data, 0)}</data>"
    )


def xml_to_data(form, xml):
    """The schema fields of a submission XML as nested dicts of raw text (repeats as lists)."""
    root = ET.fromstring(xml)

    def level(element, path):
        values = {}
        for child in element:
            field = form.by_path.get(f"{path}/{local_name(child.tag)}")
            if field is None:
                continue
            if field.type == "repeat":
                values.setdefault(field.name, []).append(level(child, field.path))
            elif field.type == "structure":
                values[field.name] = level(child, field.path)
            else:
                values[field.name] = child.text or ""
        return values

    return level(root, "")


def xml_meta(xml):
    """(form id, version, instanceID, deprecatedID, instanceName) of a submission XML."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise problem(400.1, f"Could not parse the given data ({len(xml)} chars) as xml.") from exc
    meta = {}
    for child in root:
        if local_name(child.tag) == "meta":
            meta = {local_name(m.tag): (m.text or "").strip() for m in child}
    return (
        root.get("id"),
        root.get("version", ""),
        meta.get("instanceID"),
        meta.get("deprecatedID"),
        meta.get("instanceName"),
    )


def deep_merge(target, changes):
    """Dicts merged key by key; lists (repeats) and values replaced."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def png(seed):
    """A small valid PNG (8x8, one colour from ``seed``): a stand-in for a consent-form photo."""
    colour = hashlib.sha1(str(seed).encode()).digest()[:3]
    raw = b"".join(b"\x00" + colour * 8 for _ in range(8))

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def guess_type(name):
    lower = name.lower()
    for ext, mime in (
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".gif", "image/gif"),
    ):
        if lower.endswith(ext):
            return mime
    return "application/octet-stream"


GIVEN = ["Amina", "Juma", "Wanjiru", "Otieno", "Fatuma", "Baraka", "Zawadi", "Kamau", "Neema", "Said"]
FAMILY = ["Mwangi", "Odhiambo", "Hassan", "Njoroge", "Achieng", "Kiprop", "Mutua", "Abdi"]


def household(n, members=None):
    """Deterministic seed data for the n-th household (n >= 1): a head and up to three more members."""
    family = FAMILY[(n - 1) % len(FAMILY)]
    count = members if members is not None else 1 + (n % 4)
    people = []
    for i in range(count):
        relationship = "head" if i == 0 else ("spouse" if i == 1 else "child")
        year = 1975 + (n * 3 + i * 11) % 30 if i < 2 else 2008 + (n + i) % 12
        people.append(
            {
                "given_name": GIVEN[(n + i * 3) % len(GIVEN)],
                "family_name": family,
                "sex": "female" if (n + i) % 2 else "male",
                "birthdate": f"{year}-{1 + (n + i) % 12:02d}-{1 + (n * 7 + i) % 28:02d}",
                "relationship": relationship,
                "phone": f"+2547{n:04d}{i:04d}" if i < 2 else "",
                "id_type": "national_id" if i < 2 else "birth_certificate",
                "id_number": f"NID-{n:05d}-{i}" if i < 2 else f"BC-{n:05d}-{i}",
                "disability": "yes" if (n + i) % 7 == 0 else "no",
            }
        )
    return {
        "start": f"2024-11-20T08:{n % 60:02d}:00.000+03:00",
        "end": f"2024-11-20T09:{n % 60:02d}:00.000+03:00",
        "today": "2024-11-20",
        "household": {
            "household_name": f"{family} household {n}",
            "admin_area": CHOICES["admin_area"][n % 3][0],
            "village": f"Village {1 + n % 5}",
            "phone": f"+2547{n:04d}0000",
            "size": count,
            "income_source": CHOICES["income_source"][n % 4][0],
            "assets": ["radio", "phone"] if n % 2 else ["bicycle"],
            "monthly_income": round(1500 + n * 12.5, 2),
        },
        "location": [round(-1.28 - n / 1000, 6), round(36.81 + n / 1000, 6), 1650.0, 5.0],
        "consent_photo": f"consent_{n:04d}.png",
        "members": people,
    }


def build_xform(form):
    """A compact XForm for the form (what GET .../forms/{f}.xml serves): instance, binds, body."""

    def instance(path):
        parts = []
        for field in form.children(path):
            inner = instance(field.path) if field.structural else ""
            if field.type == "repeat":
                parts.append(f'<{field.name} jr:template="">{inner}</{field.name}>')
            parts.append(f"<{field.name}>{inner}</{field.name}>" if inner else f"<{field.name}/>")
        return "".join(parts)

    binds = []
    for field in form.fields:
        if field.structural:
            continue
        kind = BIND_TYPES.get(field.type, "string")
        if field.type == "binary":
            kind = "binary"
        if field.choices:
            kind = "string"
        extra = ' readonly="true()" jr:preload="uid"' if field.path == "/meta/instanceID" else ""
        binds.append(f'<bind nodeset="/data{field.path}" type="{kind}"{extra}/>')

    def body(path):
        parts = []
        for field in form.children(path):
            ref = f"/data{field.path}"
            label = f"<label>{escape(field.name.replace('_', ' ').capitalize())}</label>"
            if field.path == "/meta":
                continue
            if field.type == "repeat":
                parts.append(
                    f'<group ref="{ref}">{label}<repeat nodeset="{ref}">{body(field.path)}</repeat></group>'
                )
            elif field.type == "structure":
                parts.append(f'<group ref="{ref}">{label}{body(field.path)}</group>')
            elif field.choices:
                tag = "select" if field.select_multiple else "select1"
                items = "".join(
                    f"<item><label>{escape(text)}</label><value>{value}</value></item>"
                    for value, text in CHOICES[field.choices]
                )
                parts.append(f'<{tag} ref="{ref}">{label}{items}</{tag}>')
            elif field.type == "binary":
                parts.append(f'<upload mediatype="image/*" ref="{ref}">{label}</upload>')
            elif field.path not in ("/start", "/end", "/today"):  # metadata: no question
                parts.append(f'<input ref="{ref}">{label}</input>')
        return "".join(parts)

    return (
        '<?xml version="1.0"?>\n<h:html xmlns="http://www.w3.org/2002/xforms" '
        'xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa" '
        'xmlns:orx="http://openrosa.org/xforms" xmlns:odk="http://www.opendatakit.org/xforms">'
        f'<h:head><h:title>{escape(form.name)}</h:title><model odk:xforms-version="1.0.0">'
        f"<instance><data id={quoteattr(form.xml_form_id)} version={quoteattr(form.version)}>"
        f"{instance('')}</data></instance>{''.join(binds)}</model></h:head>"
        f"<h:body>{body('')}</h:body></h:html>\n"
    )


# ------------------------------------------------------------------------------------------------------
# State


class Submission:
    """A logical submission: its root instanceId and one version per edit (the last is current)."""

    def __init__(self, seq, instance_id, created_at, submitter_id, device_id, user_agent):
        self.seq = seq
        self.instance_id = instance_id
        self.created_at = created_at
        self.updated_at = None
        self.deleted_at = None
        self.submitter_id = submitter_id
        self.device_id = device_id
        self.user_agent = user_agent
        self.review_state = None
        self.versions = []

    @property
    def current(self):
        return self.versions[-1]


class OdkState(base.State):
    default_config = DEFAULT_CONFIG

    def reset(self):
        with self.lock:
            super().reset()
            project = self.config["project"]
            self.form = Form(self.config["form"], HOUSEHOLD_FIELDS)
            self.form.project_id = project["id"]
            self.created_at = now()
            self.submissions = {}  # root instanceId -> Submission
            self.sessions = {}  # token -> {actor_id, createdAt, expiresAt}
            self.seq = 0
            self.last_moment = None

    def add_fault(self, spec):
        """base.State faults plus ``skip``: let that many matching requests through first (a 500 on the
        Nth OData page is ``skip: N-1``)."""
        super().add_fault(spec)
        with self.lock:
            self.faults[-1]["skip"] = int(spec.get("skip", 0))

    def take_fault(self, path):
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.get("path_prefix", "/")) and fault["remaining"] > 0:
                    if fault.get("skip", 0) > 0:
                        fault["skip"] -= 1
                        return None
                    fault["remaining"] -= 1
                    return dict(fault)
        return None

    def tick(self):
        """A server timestamp in milliseconds, strictly after the previous one (clock_timestamp())."""
        moment = now()
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        if self.last_moment and moment <= self.last_moment:
            moment = self.last_moment + datetime.timedelta(milliseconds=1)
        self.last_moment = moment
        return moment

    def actor(self, actor_id):
        for actor in self.config["users"] + self.config["app_users"]:
            if actor["id"] == actor_id:
                return actor
        return None

    # -- submissions ---------------------------------------------------------------------------------

    def add_version(
        self, sub, xml, instance_id, submitter_id, device_id, user_agent, attachments, previous=None
    ):
        form = self.form
        expected = sorted(set(binary_values(form, xml)))
        files = {}
        for name in expected:
            if name in attachments:
                files[name] = attachments[name]
            elif previous and previous["files"].get(name):
                files[name] = previous["files"][name]  # carried over from the version it replaces
            else:
                files[name] = None
        sub.versions.append(
            {
                "instanceId": instance_id,
                "xml": xml,
                "createdAt": self.tick(),
                "submitterId": submitter_id,
                "deviceId": device_id,
                "userAgent": user_agent,
                "instanceName": xml_meta(xml)[4] or None,
                "files": files,
                "formVersion": form.version,
            }
        )

    def create(self, xml, submitter_id, device_id=None, user_agent=None, attachments=None, created_at=None):
        form_id, version, instance_id, _deprecated, _name = xml_meta(xml)
        if form_id != self.form.xml_form_id:
            raise problem(
                400.8,
                f"Unexpected form id value {form_id}; did not match the form ID in the URL",
                {"field": "form id", "value": form_id, "reason": "did not match the form ID in the URL"},
            )
        if version != self.form.version:
            raise problem(404.6, f"The form version specified in this submission '{version}' does not exist.")
        instance_id = instance_id or f"uuid:{uuid.uuid4()}"
        if instance_id in self.submissions or self.root_of(instance_id):
            raise problem(409.3, f"A resource already exists with instanceId value(s) of {instance_id}.")
        self.seq += 1
        moment = parse_moment(created_at) if created_at else self.tick()
        sub = Submission(self.seq, instance_id, moment, submitter_id, device_id, user_agent)
        self.add_version(sub, xml, instance_id, submitter_id, device_id, user_agent, attachments or {})
        sub.versions[0]["createdAt"] = moment
        self.submissions[instance_id] = sub
        return sub

    def update(self, sub, xml, submitter_id, device_id=None, user_agent=None, attachments=None):
        """A new version (Central's createVersion): reviewState becomes edited, updatedAt now."""
        form_id, _version, instance_id, deprecated_id, _name = xml_meta(xml)
        if form_id != self.form.xml_form_id:
            raise problem(400.8, f"Unexpected form id value {form_id}; did not match the form ID in the URL")
        if not deprecated_id:
            raise problem(
                400.19,
                "This PUT endpoint expects a deprecatedID metadata tag pointing at the current version "
                "instanceID. I cannot find that tag in your request.",
            )
        if deprecated_id != sub.current["instanceId"]:
            raise problem(
                409.9,
                f"You tried to update a submission, but the copy you were editing ({deprecated_id}) is now "
                "out of date. Please get the new version that has been submitted, and make your edits again.",
            )
        instance_id = instance_id or f"uuid:{uuid.uuid4()}"
        if self.root_of(instance_id):
            raise problem(409.3, f"A resource already exists with instanceId value(s) of {instance_id}.")
        previous = sub.current
        self.add_version(
            sub, xml, instance_id, submitter_id, device_id, user_agent, attachments or {}, previous
        )
        sub.review_state = "edited"
        sub.updated_at = sub.current["createdAt"]
        return sub

    def root_of(self, instance_id):
        for sub in self.submissions.values():
            if any(v["instanceId"] == instance_id for v in sub.versions):
                return sub
        return None

    def live(self, instance_id):
        sub = self.submissions.get(instance_id)
        if sub is None or sub.deleted_at is not None:
            raise not_found()
        return sub

    def set_review_state(self, sub, state):
        if state not in (*REVIEW_STATES, None):
            raise problem(
                400.8,
                f"Unexpected reviewState value {state}; not a valid review state",
                {"field": "reviewState", "value": state},
            )
        sub.review_state = state
        sub.updated_at = self.tick()


def binary_values(form, xml):
    """The file names the XML's binary fields reference (Central's expected attachments)."""
    names = []

    def walk(values, path):
        for field in form.children(path):
            value = values.get(field.name)
            if field.type == "repeat":
                for item in value or []:
                    walk(item, field.path)
            elif field.type == "structure":
                walk(value or {}, field.path)
            elif field.type == "binary" and value:
                names.append(value.strip())

    walk(xml_to_data(form, xml), "")
    return names


# ------------------------------------------------------------------------------------------------------
# OData: rows of a table (lib/data/odata.js submissionToOData)


def repeat_hash(instance_id, stack):
    """central-backend hashId: sha1 of the path of structures and repeat iterations down to here."""
    if not stack:
        return instance_id
    parts = [f"Submissions#{instance_id}"]
    for field, iteration in stack:
        parts.append(f"{field.name}#" if field.type == "structure" else f"{field.name}#{iteration}")
    return hashlib.sha1("%%".join(parts).encode()).hexdigest()


def navigation_link(instance_id, stack):
    parts = [f"Submissions('{quote(instance_id, safe='')}')"]
    for i, (field, _iteration) in enumerate(stack):
        if field.type == "repeat" and i < len(stack) - 1:
            parts.append(f"{field.oname}('{repeat_hash(instance_id, stack[: i + 1])}')")
        else:
            parts.append(field.oname)
    return "/".join(parts)


def table_name(stack):
    return ".".join(["Submissions"] + [field.oname for field, _ in stack])


def data_frame(form, path):
    frame = {}
    for child in form.children(path):
        if child.type == "structure":
            frame[child.oname] = data_frame(form, child.path)
        elif child.type != "repeat":
            frame[child.oname] = None
    return frame


def typed(field, text, wkt):
    if field.type == "int":
        try:
            return int(re.match(r"\s*[-+]?\d+", text).group())
        except (AttributeError, ValueError):
            return None
    if field.type == "decimal":
        try:
            return _js(float(text))
        except ValueError:
            return None
    if field.type == "geopoint":
        parts = [float(p) if re.fullmatch(r"[-+]?[\d.eE+-]+", p) else float("nan") for p in text.split()]
        if len(parts) < 2 or parts[0] != parts[0] or parts[1] != parts[1]:
            return None
        parts = [_js(p) for p in parts]
        lat, lon = parts[0], parts[1]
        coordinates = [lon, lat]
        if len(parts) > 2 and parts[2] == parts[2]:
            coordinates.append(parts[2])
        if wkt:
            return f"POINT ({' '.join(_js_number(c) for c in coordinates)})"
        point = {"type": "Point", "coordinates": coordinates}
        if len(parts) > 3 and parts[3] == parts[3]:
            point["properties"] = {"accuracy": parts[3]}
        return point
    if field.type == "dateTime":
        trimmed = text.strip()
        return f"{trimmed}:00" if re.search(r"[+-]\d\d$", trimmed) else trimmed
    return text


def _js(value):
    """A float as JSON.stringify writes it: 1650.0 is 1650."""
    return int(value) if math.isfinite(value) and value.is_integer() else value


def _js_number(value):
    return str(int(value)) if float(value).is_integer() else repr(value)


def system_of(state, sub):
    submitter = state.actor(sub.submitter_id) or {}
    files = sub.current["files"]
    return {
        "submissionDate": iso(sub.created_at),
        "updatedAt": iso(sub.updated_at),
        "submitterId": None if sub.submitter_id is None else str(sub.submitter_id),
        "submitterName": submitter.get("displayName"),
        "attachmentsPresent": sum(1 for f in files.values() if f is not None),
        "attachmentsExpected": len(files),
        "status": None,
        "reviewState": sub.review_state,
        "deviceId": sub.device_id,
        "edits": len(sub.versions) - 1,
        "formVersion": sub.versions[0]["formVersion"],
        "deletedAt": iso(sub.deleted_at),
    }


def submission_rows(state, sub, table, expand=None, wkt=False):
    """The rows of ``table`` one submission gives: [root] for Submissions, else its repeat entries."""
    form = state.form
    instance_id = sub.instance_id
    result = []
    root = data_frame(form, "")
    root["__id"] = instance_id
    if table == "Submissions":
        root["__system"] = system_of(state, sub)
        result.append(root)

    def walk(element, path, data, stack, counters):
        for child in element:
            field = form.by_path.get(f"{path}/{local_name(child.tag)}")
            if field is None:
                continue
            if field.type == "structure":
                inner = data.get(field.oname) if data is not None else None
                walk(child, field.path, inner, [*stack, (field, None)], counters)
            elif field.type == "repeat":
                iteration = counters.get(field.path, -1) + 1
                counters[field.path] = iteration
                here = [*stack, (field, iteration)]
                if data is None:
                    walk(child, field.path, None, here, {})
                    continue
                data[f"{field.oname}@odata.navigationLink"] = navigation_link(instance_id, here)
                implied = table_name(here)
                branch = 0 if implied == table else (1 if implied.startswith(table) else -1)
                if branch < 1 or expand == "*":
                    bag = data_frame(form, field.path)
                    bag["__id"] = repeat_hash(instance_id, here)
                    data.setdefault(field.oname, []).append(bag)
                    if branch == 0:
                        parent = []
                        for i in range(len(here) - 2, -1, -1):
                            if here[i][0].type == "repeat":
                                parent = here[: i + 1]
                                break
                        key = "-".join(["Submissions"] + [f.oname for f, _ in parent])
                        bag[f"__{key}-id"] = repeat_hash(instance_id, parent)
                        result.append(bag)
                    walk(child, field.path, bag, here, {})
                else:
                    walk(child, field.path, None, here, {})
            else:
                implied = table_name([*stack, (field, None)])
                if data is not None and implied.startswith(table) and implied != table and child.text:
                    data[field.oname] = typed(field, child.text, wkt)

    walk(ET.fromstring(sub.current["xml"]), "", root, [], {})
    return result


def verify_table(form, table):
    parts = table.split(".")
    if parts[0] != "Submissions":
        return False
    path = ""
    field = None
    for part in parts[1:]:
        field = next((f for f in form.children(path) if f.oname == part), None)
        if field is None:
            return False
        path = field.path
    return field is None or field.type == "repeat"


# ------------------------------------------------------------------------------------------------------
# $filter (lib/data/odata-filter.js: lt le eq ne gt ge, and or not, now year month day hour minute second)

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))")
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
FUNCTIONS = ("now", "year", "month", "day", "hour", "minute", "second")


class FilterError(Exception):
    pass


class UnsupportedField(Exception):
    pass


def parse_filter(text, allowed):
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FilterError(f"unexpected character at {position}")
        position = match.end()
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
    tokens.append(("end", None))
    index = 0

    def peek():
        return tokens[index]

    def take(expected=None):
        nonlocal index
        token = tokens[index]
        if expected and token[1] != expected:
            raise FilterError(f"expected {expected!r}, got {token[1]!r}")
        index += 1
        return token

    def or_expr():
        node = and_expr()
        while peek() == ("word", "or"):
            take()
            node = ("or", node, and_expr())
        return node

    def and_expr():
        node = not_expr()
        while peek() == ("word", "and"):
            take()
            node = ("and", node, not_expr())
        return node

    def not_expr():
        if peek() == ("word", "not"):
            take()
            return ("not", not_expr())
        return comparison()

    def comparison():
        left = operand()
        if peek()[0] == "word" and peek()[1] in COMPARISONS:
            op = take()[1]
            return (op, left, operand())
        return left

    def operand():
        kind, value = take()
        if kind == "punct" and value == "(":
            node = or_expr()
            take(")")
            return node
        if kind == "str":
            return ("lit", value[1:-1].replace("''", "'"))
        if kind != "word":
            raise FilterError(f"unexpected {value!r}")
        if value in FUNCTIONS and peek() == ("punct", "("):
            take("(")
            args = [] if peek() == ("punct", ")") else [or_expr()]
            take(")")
            if (value == "now") != (not args):
                raise FilterError(f"wrong arguments for {value}()")
            return ("call", value, *args)
        if value == "null":
            return ("lit", None)
        if value in ("true", "false"):
            return ("lit", value == "true")
        if re.fullmatch(r"[-+]?\d+", value):
            return ("lit", int(value))
        if re.fullmatch(r"[-+]?\d*\.\d+", value):
            return ("lit", float(value))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?", value):
            return ("lit", value)
        if re.fullmatch(r"[A-Za-z_$][\w/$]*", value):  # a member expression: only the metadata fields
            if value not in allowed:
                raise UnsupportedField(value)
            return ("field", value.removeprefix("$root/Submissions/"))
        raise FilterError(f"unexpected {value!r}")

    node = or_expr()
    if peek()[0] != "end":
        raise FilterError(f"unexpected {peek()[1]!r}")
    return node


def filter_references_deleted(node):
    if node[0] == "field":
        return node[1] == "__system/deletedAt"
    return any(filter_references_deleted(n) for n in node[1:] if isinstance(n, tuple))


def field_value(sub, name):
    return {
        "__id": sub.instance_id,
        "__system/submissionDate": sub.created_at,
        "__system/updatedAt": sub.updated_at,
        "__system/submitterId": sub.submitter_id,
        "__system/reviewState": sub.review_state,
        "__system/deletedAt": sub.deleted_at,
    }[name]


def evaluate(node, sub):
    """SQL semantics: null compared with < > is unknown (None); eq/ne are IS [NOT] DISTINCT FROM."""
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        return field_value(sub, node[1])
    if kind == "call":
        if node[1] == "now":
            return now()
        value = evaluate(node[2], sub)
        if isinstance(value, str):
            value = parse_moment(value)
        return None if value is None else getattr(value, node[1])
    if kind == "and":
        left, right = evaluate(node[1], sub), evaluate(node[2], sub)
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if kind == "or":
        left, right = evaluate(node[1], sub), evaluate(node[2], sub)
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    if kind == "not":
        value = evaluate(node[1], sub)
        return None if value is None else not value
    left, right = evaluate(node[1], sub), evaluate(node[2], sub)
    left, right = coerce(left, right)
    if kind in ("eq", "ne"):
        return (left == right) == (kind == "eq")
    if left is None or right is None:
        return None
    try:
        return {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[kind]
    except TypeError:
        return False


def coerce(left, right):
    if isinstance(left, datetime.datetime) and isinstance(right, str):
        right = parse_moment(right)
    elif isinstance(right, datetime.datetime) and isinstance(left, str):
        left = parse_moment(left)
    elif isinstance(left, int) and isinstance(right, str) and right.lstrip("-").isdigit():
        right = int(right)
    elif isinstance(right, int) and isinstance(left, str) and left.lstrip("-").isdigit():
        left = int(left)
    return left, right


def compile_filter(expression, subtable=False):
    """A predicate on submissions; deleted ones are excluded unless the filter names deletedAt."""
    root_names = tuple(f"$root/Submissions/{name}" for name in SYSTEM_FILTER_FIELDS)
    allowed = root_names if subtable else SYSTEM_FILTER_FIELDS + root_names
    if expression is None:
        return lambda sub: sub.deleted_at is None
    try:
        node = parse_filter(expression, allowed)
    except UnsupportedField as exc:
        raise problem(
            501.5,
            f"The given OData filter expression references fields not supported by this server: {exc}",
        ) from exc
    except (FilterError, ValueError) as exc:
        raise problem(400.18, f"The OData filter expression you provided could not be parsed: {exc}") from exc
    keep_deleted = filter_references_deleted(node)

    def predicate(sub):
        try:
            matched = evaluate(node, sub) is True
        except ValueError as exc:
            raise problem(
                400.18, f"The OData filter expression you provided could not be parsed: {exc}"
            ) from exc
        return matched and (keep_deleted or sub.deleted_at is None)

    return predicate


def ordered(subs, orderby=None):
    """Central's default order is newest first (createdAt DESC, id DESC); $orderby sorts on the filter
    fields, NULLS FIRST ascending and LAST descending, then by id in the first key's direction."""
    subs = sorted(subs, key=lambda s: (s.created_at, s.seq), reverse=True)
    if not orderby:
        return subs
    clauses = []
    for part in orderby.split(","):
        words = part.split()
        if (
            not words
            or words[0] not in SYSTEM_FILTER_FIELDS
            or (len(words) > 1 and words[1].lower() not in ("asc", "desc"))
        ):
            raise problem(
                501.5,
                "The given OData filter expression references fields not supported by this server: "
                + part.strip(),
            )
        clauses.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    subs = sorted(subs, key=lambda s: s.seq, reverse=clauses[0][1])
    for name, desc in reversed(clauses):
        present = [s for s in subs if field_value(s, name) is not None]
        missing = [s for s in subs if field_value(s, name) is None]
        present.sort(key=lambda s, n=name: field_value(s, n), reverse=desc)
        subs = present + missing if desc else missing + present
    return subs


def skiptoken_encode(data):
    return "01" + base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def skiptoken_decode(token):
    invalid = problem(400.35, "Invalid $skiptoken")
    if not token.startswith("01"):
        raise invalid
    try:
        data = json.loads(base64.b64decode(token[2:]).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not isinstance(data, dict):
        raise invalid
    return data


def url_with_params(original, changes):
    """JavaScript URLSearchParams: set or delete keys in place, form-encode the query again."""
    split = urlsplit(original)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    for key, value in changes.items():
        index = next((i for i, (k, _) in enumerate(pairs) if k == key), None)
        pairs = [(k, v) for k, v in pairs if k != key]
        if value is not None:
            pairs.insert(len(pairs) if index is None else index, (key, value))
    query = "&".join(f"{quote_plus(k, safe='*')}={quote_plus(v, safe='*')}" for k, v in pairs)
    return split.path + (f"?{query}" if query else "")


def is_true(value):
    return isinstance(value, str) and value.lower() == "true"


def int_param(query, name):
    value = query.get(name)
    if value is None:
        return None
    match = re.match(r"\s*[-+]?\d+", value)
    return int(match.group()) if match else None


# ------------------------------------------------------------------------------------------------------
# HTTP


class Handler(base.Handler):
    state: OdkState

    def dispatch(self, method):
        # pyodk uploads attachments with Transfer-Encoding: chunked; base.Handler reads Content-Length.
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            return super().dispatch(method)
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
        body, real = b"".join(chunks), self.rfile
        del self.headers["Transfer-Encoding"]
        self.headers["Content-Length"] = str(len(body))
        self.rfile = io.BytesIO(body)
        try:
            return super().dispatch(method)
        finally:
            self.rfile = real

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def send_json(self, status, body, headers=None):
        if not isinstance(body, Raw):
            return super().send_json(status, body, headers)
        self.send_response(status)
        self.send_header("Content-Type", body.content_type)
        self.send_header("Content-Length", str(len(body.content)))
        for key, value in {**body.headers, **(headers or {})}.items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(body.content)

    def fault_body(self):
        return {"message": "An unknown internal problem has occurred. Please try again later.", "code": 500.1}

    @property
    def domain(self):
        return self.state.config.get("domain") or f"http://{self.headers.get('Host', 'localhost')}"

    # -- routing ---------------------------------------------------------------------------------------

    def route(self, method, path, raw):
        try:
            with self.state.lock:
                return self._route(method, path, raw)
        except base.HttpError:
            raise
        except Exception:  # noqa: BLE001 - a bug here must answer 500 and be seen, not hang the client
            traceback.print_exc()
            return 500, self.fault_body(), {}

    def _route(self, method, path, raw):
        if not path.startswith("/v1/"):
            raise not_found()
        rest = path.removeprefix("/v1")
        if rest == "/sessions" and method == "POST":
            return self.login(raw)
        actor = self.authenticate()
        if rest == "/sessions/current" and method == "DELETE":
            self.state.sessions.pop(self.token, None)
            return 200, {"success": True}, {}
        if rest == "/users/current" and method == "GET":
            return 200, self.user_json(actor), {}
        if rest == "/projects" and method == "GET":
            return 200, [self.project_json()] if self.can_see(actor) else [], {}
        match = re.fullmatch(r"/projects/(\d+)(/.*)?", rest)
        if not match:
            raise not_found()
        if int(match.group(1)) != self.state.form.project_id:
            raise not_found()
        if not self.can_see(actor):
            raise insufficient_rights()
        rest = match.group(2) or ""
        if rest == "" and method == "GET":
            return 200, self.project_json(), {}
        if rest == "/forms" and method == "GET":
            return 200, [self.form_json()], {}
        form = self.state.form
        base_path = quote(f"/forms/{form.xml_form_id}")
        tail = rest[len(base_path) :]
        if not rest.startswith(base_path) or tail[:1] not in ("", "/", "."):
            raise not_found()
        return self.form_route(method, tail, raw, actor)

    def form_route(self, method, tail, raw, actor):
        form = self.state.form
        if tail == "" and method == "GET":
            return 200, self.form_json(), {}
        if tail == ".xml" and method == "GET":
            return 200, Raw(form.xform, "application/xml"), {}
        if tail == "/fields" and method == "GET":
            return 200, self.fields_json(), {}
        if tail == ".svc" and method == "GET":
            return 200, self.service_document(), {}
        if tail == ".svc/$metadata" and method == "GET":
            return 200, Raw(edmx(form), "application/xml"), {}
        if tail.startswith(".svc/") and method == "GET":
            # Split before decoding, like Express: an encoded "/" (%2F) stays inside its segment.
            return 200, self.odata(tail.removeprefix(".svc/")), {}
        tail = unquote(tail)
        if tail == "/submissions" and method == "GET":
            subs = ordered(s for s in self.state.submissions.values() if s.deleted_at is None)
            return 200, [self.submission_json(s) for s in subs], {}
        if tail == "/submissions" and method == "POST":
            sub = self.state.create(
                raw.decode(), actor["id"], self.query.get("deviceID"), self.headers.get("User-Agent")
            )
            return 200, self.submission_json(sub), {}
        if tail in ("/submissions.csv.zip", "/submissions.csv") and method == "GET":
            return 200, self.csv_export(root_only=tail.endswith(".csv")), {}
        match = re.fullmatch(r"/submissions/([^/]+?)(\.xml|/attachments(?:/([^/]+))?|/versions)?", tail)
        if not match:
            raise not_found()
        instance_id, suffix, filename = unquote(match.group(1)), match.group(2), match.group(3)
        sub = self.state.live(instance_id)
        if suffix is None and method == "GET":
            return 200, self.submission_json(sub), {}
        if suffix is None and method == "PATCH":
            body = self.json_body(raw)
            if "reviewState" in body:
                self.state.set_review_state(sub, body["reviewState"])
            return 200, self.submission_json(sub), {}
        if suffix is None and method == "PUT":
            self.state.update(
                sub, raw.decode(), actor["id"], self.query.get("deviceID"), self.headers.get("User-Agent")
            )
            return 200, self.submission_json(sub), {}
        if suffix == ".xml" and method == "GET":
            return 200, Raw(sub.current["xml"], "application/xml"), {}
        if suffix == "/versions" and method == "GET":
            return 200, [self.version_json(v, v is sub.current) for v in reversed(sub.versions)], {}
        if suffix == "/attachments" and method == "GET":
            files = sub.current["files"]
            return 200, [{"name": n, "exists": files[n] is not None} for n in sorted(files)], {}
        if suffix and filename is not None:
            name = unquote(filename)
            files = sub.current["files"]
            if method == "GET":
                if files.get(name) is None:
                    raise not_found()
                content, mime = files[name]["content"], files[name]["type"]
                inline = "inline" if mime in ("image/jpeg", "image/png", "image/gif") else "attachment"
                etag = hashlib.md5(content).hexdigest()
                headers = {"Content-Disposition": content_disposition(name, inline), "ETag": f'"{etag}"'}
                return 200, Raw(content, mime, headers), {}
            if method == "POST":
                if name not in files:
                    raise not_found()
                files[name] = {"content": raw, "type": self.headers.get("Content-Type") or guess_type(name)}
                return 200, {"success": True}, {}
        raise not_found()

    # -- auth -------------------------------------------------------------------------------------------

    def json_body(self, raw):
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise problem(400.1, f"Could not parse the given data ({len(raw)} chars) as json.") from exc
        return body if isinstance(body, dict) else {}

    def login(self, raw):
        body = self.json_body(raw)
        email, password = body.get("email"), body.get("password")
        if not email or not password:
            raise problem(
                400.3,
                f"Required parameters missing. Expected (email, password), got (email: {email!r}, password: "
                f"{'***' if password else password!r}).",
                {"expected": ["email", "password"], "got": {"email": email, "password": password}},
            )
        user = next((u for u in self.state.config["users"] if u["email"] == email), None)
        if user is None or not secrets.compare_digest(str(user["password"]), str(password)):
            raise auth_failed()
        created = now()
        expires = created + datetime.timedelta(seconds=self.state.config["session_lifetime"])
        token = secrets.token_urlsafe(48)
        self.state.sessions[token] = {"actor": user["id"], "createdAt": created, "expiresAt": expires}
        return (
            200,
            {
                "createdAt": iso(created),
                "expiresAt": iso(expires),
                "token": token,
                "csrf": secrets.token_urlsafe(24),
            },
            {},
        )

    def authenticate(self):
        header = self.headers.get("Authorization") or ""
        self.token = None
        if header.startswith("Bearer "):
            session = self.state.sessions.get(header[7:])
            if session is None or session["expiresAt"] <= now():
                raise auth_failed()
            self.token = header[7:]
            actor = self.state.actor(session["actor"])
            if actor is None:
                raise auth_failed()
            return actor
        if header.startswith("Basic "):
            raise problem(401.3, "This authentication method is only available over HTTPS")
        if header:
            raise auth_failed()
        raise insufficient_rights()

    def can_see(self, actor):
        projects = actor.get("projects")
        return projects is None or self.state.form.project_id in projects

    # -- JSON shapes ------------------------------------------------------------------------------------

    def user_json(self, actor):
        created = iso(self.state.created_at)
        return {
            "id": actor["id"],
            "type": "user",
            "displayName": actor["displayName"],
            "email": actor["email"],
            "createdAt": created,
            "updatedAt": None,
            "deletedAt": None,
        }

    def project_json(self):
        project = self.state.config["project"]
        return {
            "id": project["id"],
            "name": project["name"],
            "description": project.get("description"),
            "archived": None,
            "keyId": None,
            "createdAt": iso(self.state.created_at),
            "updatedAt": None,
            "deletedAt": None,
        }

    def form_json(self):
        form = self.state.form
        created = iso(self.state.created_at)
        return {
            "projectId": form.project_id,
            "xmlFormId": form.xml_form_id,
            "name": form.name,
            "version": form.version,
            "enketoId": None,
            "enketoOnceId": None,
            "hash": form.hash,
            "keyId": None,
            "state": "open",
            "publishedAt": created,
            "createdAt": created,
            "updatedAt": None,
            "webformsEnabled": False,
        }

    def fields_json(self):
        """GET .../fields (Form Schema Fields): name, path, type, binary, selectMultiple."""
        return [
            {
                "name": f.name,
                "path": f.path,
                "type": f.type,
                "binary": f.type == "binary" or None,
                "selectMultiple": f.select_multiple or None,
            }
            for f in self.state.form.fields
        ]

    def submission_json(self, sub):
        current = sub.current
        return {
            "instanceId": sub.instance_id,
            "submitterId": sub.submitter_id,
            "deviceId": sub.device_id,
            "userAgent": sub.user_agent,
            "reviewState": sub.review_state,
            "createdAt": iso(sub.created_at),
            "updatedAt": iso(sub.updated_at),
            "deletedAt": iso(sub.deleted_at),
            "currentVersion": self.version_json(current, True),
        }

    def version_json(self, version, current):
        return {
            "instanceId": version["instanceId"],
            "instanceName": version["instanceName"],
            "submitterId": version["submitterId"],
            "deviceId": version["deviceId"],
            "userAgent": version["userAgent"],
            "createdAt": iso(version["createdAt"]),
            "current": current,
        }

    # -- OData ------------------------------------------------------------------------------------------

    def service_root(self):
        form = self.state.form
        return f"/v1/projects/{form.project_id}/forms/{quote(form.xml_form_id)}.svc"

    def service_document(self):
        tables = ["Submissions"] + [
            ".".join(["Submissions"] + [odata_identifier(p) for p in f.path[1:].split("/")])
            for f in self.state.form.repeats()
        ]
        return Raw(
            json.dumps(
                {
                    "@odata.context": f"{self.domain}{self.service_root()}/$metadata",
                    "value": [{"name": t, "kind": "EntitySet", "url": t} for t in tables],
                }
            ),
            "application/json; odata.metadata=minimal",
        )

    def footer(self, table, next_url=None, count=None):
        body = {"@odata.context": f"{self.domain}{self.service_root()}/$metadata#{table}"}
        if next_url:
            body["@odata.nextLink"] = f"{self.domain}{next_url}"
        if count is not None:
            body["@odata.count"] = count
        return body

    def odata(self, subpath):
        """A data document: ``Submissions``, a repeat table (``Submissions.members``) or a single record
        (``Submissions('uuid:…')``, ``Submissions('uuid:…')/members``)."""
        query = self.query
        if query.get("$select") not in (None, "*"):
            raise problem(501.1, "The requested feature $select is not supported by this server.")
        if query.get("$expand") not in (None, "*"):
            raise problem(
                501.1, f"The requested feature $expand={query['$expand']} is not supported by this server."
            )
        context = []
        for part in map(unquote, subpath.split("/")):
            match = re.fullmatch(r"([^(]+)\('((?:uuid:)?[a-z0-9-]+)'\)", part, flags=re.I)
            if match is None and "(" in part:
                raise not_found()
            context.append((match.group(1), match.group(2)) if match else (part, None))
        if context[0][1] is not None:
            return self.single_record(context)
        if len(context) != 1:
            raise not_found()
        return self.table(context[0][0])

    def table(self, table):
        state, query = self.state, self.query
        form = state.form
        if not verify_table(form, table):
            raise not_found()
        subtable = table != "Submissions"
        top, skip = int_param(query, "$top"), int_param(query, "$skip")
        token = skiptoken_decode(query["$skiptoken"]) if query.get("$skiptoken") else None
        orderby = query.get("$orderby")
        if orderby and token and not subtable:
            raise problem(
                501.1,
                "The requested feature using $orderby and $skiptoken together is not supported by this "
                "server.",
            )
        should_count = is_true(query.get("$count"))
        limit = max(0, top) if top is not None else None
        offset = 0 if token else max(0, skip or 0)
        if limit == 0 and not should_count:
            return self.footer(table) | {"value": []}
        predicate = compile_filter(query.get("$filter"), subtable)
        subs = [s for s in ordered(state.submissions.values(), orderby) if predicate(s)]
        expand, wkt = query.get("$expand"), is_true(query.get("$wkt"))

        if not subtable:
            matched = len(subs)
            if token:
                cursor = state.submissions.get(token.get("instanceId"))
                if cursor is None:
                    subs = []
                else:
                    subs = [s for s in subs if (s.created_at, s.seq) < (cursor.created_at, cursor.seq)]
            paging = top is not None or skip is not None or token is not None
            after_cursor = len(subs)
            page = subs[offset : offset + limit if limit is not None else None]
            if limit == 0 and should_count:
                return self.footer(table, count=matched) | {"value": []}
            rows = [submission_rows(state, s, table, expand, wkt)[0] for s in page]
            remaining = (after_cursor - len(rows)) if paging else 0
            next_url = None
            if remaining > 0:
                last = page[-1].instance_id if page else None
                next_url = url_with_params(
                    self.path, {"$skip": None, "$skiptoken": skiptoken_encode({"instanceId": last})}
                )
            count = (matched if paging else len(rows)) if should_count else None
            return {"value": rows} | self.footer(table, next_url, count)

        # A repeat table: every submission is read, paging happens on the rows.
        rows = [row for s in subs for row in submission_rows(state, s, table, expand, wkt)]
        start = offset
        if token:
            repeat_id = token.get("repeatId")
            index = next((i for i, r in enumerate(rows) if r["__id"] == repeat_id), None)
            if index is None:
                raise problem(400.34, "Record associated with the provided $skiptoken not found.")
            start = index + 1
        page = rows[start : start + limit if limit is not None else None]
        remaining = len(rows) - start - len(page) if limit is not None else 0
        next_url = None
        if remaining > 0:
            last = page[-1]["__id"] if page else None
            next_url = url_with_params(
                self.path, {"$skip": None, "$skiptoken": skiptoken_encode({"repeatId": last})}
            )
        return {"value": page} | self.footer(table, next_url, len(rows) if should_count else None)

    def single_record(self, context):
        state, query = self.state, self.query
        table = ".".join(name for name, _ in context)
        if not verify_table(state.form, table):
            raise not_found()
        sub = state.live(context[0][1])
        rows = submission_rows(state, sub, table, query.get("$expand"), is_true(query.get("$wkt")))
        last_idx = max(i for i, (_, ident) in enumerate(context) if ident is not None)
        if last_idx > 0:
            key = "__" + "-".join(name for name, _ in context[: last_idx + 1]) + "-id"
            rows = [r for r in rows if r.get(key) == context[last_idx][1]]
        count = len(rows)
        top = int_param(query, "$top")
        limit = max(0, top) if top is not None else len(rows)
        offset = 0 if query.get("$skiptoken") else max(0, int_param(query, "$skip") or 0)
        if query.get("$skiptoken"):
            repeat_id = skiptoken_decode(query["$skiptoken"]).get("repeatId")
            if not repeat_id:
                raise problem(400.35, "Invalid $skiptoken")
            offset = next((i + 1 for i, r in enumerate(rows) if r["__id"] == repeat_id), 0)
            if offset == 0:
                raise problem(400.34, "Record associated with the provided $skiptoken not found.")
        page = rows[offset : offset + limit]
        next_url = None
        if page and count - (offset + limit) > 0:
            data = (
                {"repeatId": page[-1]["__id"]} if table != "Submissions" else {"instanceId": sub.instance_id}
            )
            next_url = url_with_params(self.path, {"$skip": None, "$skiptoken": skiptoken_encode(data)})
        return {"value": page} | self.footer(table, next_url, count if is_true(query.get("$count")) else None)

    # -- CSV export (lib/data/briefcase.js) -------------------------------------------------------------

    def csv_export(self, root_only=False):
        state, query = self.state, self.query
        form = state.form
        group_paths = query.get("groupPaths", "true").lower() != "false"
        predicate = compile_filter(query.get("$filter"))
        subs = [s for s in ordered(state.submissions.values()) if predicate(s)]
        tables = {"": {"header": ["SubmissionDate"], "fields": {}, "rows": []}}
        repeats = []

        def columns(path, table_path):
            for field in form.children(path):
                if field.type == "repeat":
                    if root_only:
                        continue
                    tables[field.path] = {"header": [], "fields": {}, "rows": [], "field": field}
                    repeats.append(field)
                    columns(field.path, field.path)
                    tables[field.path]["header"] += ["PARENT_KEY", "KEY"]
                elif field.type == "structure":
                    columns(field.path, table_path)
                else:
                    table = tables[table_path]
                    name = field.path[len(table_path) + 1 :].replace("/", "-") if group_paths else field.name
                    table["fields"][field.path] = len(table["header"])
                    if field.type == "geopoint":
                        table["header"] += [
                            f"{name}-{p}" for p in ("Latitude", "Longitude", "Altitude", "Accuracy")
                        ]
                    else:
                        table["header"].append(name)

        columns("", "")
        root = tables[""]
        root["header"] += ["KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected"]
        root["header"] += ["Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]

        def key_for(instance_id, stack):
            parts = [instance_id]
            for field, iteration in stack:
                parts.append(field.name if field.type == "structure" else f"{field.name}[{iteration + 1}]")
            return "/".join(parts)

        def fill(element, path, row, table_path, stack, counters):
            for child in element:
                field = form.by_path.get(f"{path}/{local_name(child.tag)}")
                if field is None:
                    continue
                if field.type == "structure":
                    fill(child, field.path, row, table_path, [*stack, (field, None)], counters)
                elif field.type == "repeat":
                    iteration = counters.get(field.path, -1) + 1
                    counters[field.path] = iteration
                    here = [*stack, (field, iteration)]
                    if root_only:
                        continue
                    table = tables[field.path]
                    subrow = [""] * len(table["header"])
                    parent = []
                    for i in range(len(here) - 2, -1, -1):
                        if here[i][0].type == "repeat":
                            parent = here[: i + 1]
                            break
                    subrow[-2], subrow[-1] = key_for(instance_id, parent), key_for(instance_id, here)
                    fill(child, field.path, subrow, field.path, here, {})
                    table["rows"].append(subrow)
                elif field.path in tables[table_path]["fields"] and child.text:
                    idx = tables[table_path]["fields"][field.path]
                    if field.type == "geopoint":
                        for offset, part in enumerate(child.text.split()[:4]):
                            row[idx + offset] = part
                    else:
                        row[idx] = child.text

        media = []
        for sub in subs:
            instance_id = sub.instance_id
            row = [""] * len(root["header"])
            fill(ET.fromstring(sub.current["xml"]), "", row, "", [], {})
            system = system_of(state, sub)
            row[0] = system["submissionDate"]
            tail = [
                instance_id,
                sub.submitter_id,
                system["submitterName"],
                system["attachmentsPresent"],
                system["attachmentsExpected"],
                "",
                sub.review_state or "",
                sub.device_id or "",
                system["edits"],
                system["formVersion"],
            ]
            row[-len(tail) :] = tail
            root["rows"].append(row)
            media += [(n, f["content"]) for n, f in sorted(sub.current["files"].items()) if f is not None]

        def render(table):
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(table["header"])
            writer.writerows(table["rows"])
            return out.getvalue().encode()

        form_id = form.xml_form_id
        if root_only:
            headers = {"Content-Disposition": content_disposition(f"{form_id}.csv")}
            return Raw(render(root), "text/csv", headers)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{form_id}.csv", render(root))
            names = [f.name for f in repeats]
            seen = {}
            for field in repeats:
                if names.count(field.name) > 1:
                    seen[field.name] = seen.get(field.name, 0) + 1
                    archive.writestr(
                        f"{form_id}-{field.name}~{seen[field.name]}.csv", render(tables[field.path])
                    )
                else:
                    archive.writestr(f"{form_id}-{field.name}.csv", render(tables[field.path]))
            with_media = query.get("attachments", "true").lower() != "false"
            if with_media:
                for name, content in media:
                    archive.writestr(f"media/{name}", content)
        # Central names the full export <form>.zip and the one without media <form>.csv.zip.
        filename = f"{form_id}.zip" if with_media else f"{form_id}.csv.zip"
        return Raw(
            buffer.getvalue(), "application/zip", {"Content-Disposition": content_disposition(filename)}
        )

    # -- control API ------------------------------------------------------------------------------------

    def control(self, method, name, raw):
        state = self.state
        if method == "POST" and name in ("submissions", "edit", "review", "delete", "expire_sessions"):
            try:
                payload = json.loads(raw or b"{}")
                with state.lock:
                    return 200, getattr(self, f"control_{name}")(payload)
            except base.HttpError as exc:
                return exc.status, exc.body
            except (KeyError, ValueError, TypeError) as exc:
                return 400, {"error": f"{type(exc).__name__}: {exc}"}
        if method == "GET" and name == "submissions":
            with state.lock:
                return 200, [
                    {
                        "instanceId": s.instance_id,
                        "currentInstanceId": s.current["instanceId"],
                        "versions": [v["instanceId"] for v in s.versions],
                        "reviewState": s.review_state,
                        "submissionDate": iso(s.created_at),
                        "updatedAt": iso(s.updated_at),
                        "deletedAt": iso(s.deleted_at),
                    }
                    for s in ordered(state.submissions.values())
                ]
        return super().control(method, name, raw)

    def control_submissions(self, payload):
        """Seed submissions: ``{"households": n, "start": 1}`` (generated households) and/or
        ``{"submissions": [spec, ...]}``; spec: ``data`` (nested field values), optional ``instanceId``,
        ``submissionDate``, ``submitterId``, ``deviceId``, ``reviewState``, ``attachments`` ({name:
        base64}, default: a generated PNG for every referenced file, unless ``withoutAttachments``)."""
        specs = list(payload.get("submissions", []))
        start = int(payload.get("start", len(self.state.submissions) + 1))
        specs += [{"data": household(n)} for n in range(start, start + int(payload.get("households", 0)))]
        created = [self.seed(spec).instance_id for spec in specs]
        return {"instanceIds": created}

    def seed(self, spec):
        state = self.state
        form = state.form
        data = copy.deepcopy(spec.get("data") or {})
        instance_id = spec.get("instanceId") or f"uuid:{uuid.uuid4()}"
        meta = data.setdefault("meta", {})
        meta["instanceID"] = instance_id
        meta.setdefault("instanceName", (data.get("household") or {}).get("household_name"))
        xml = data_to_xml(form, data)
        attachments = self.seed_attachments(spec, xml)
        submitter = spec.get("submitterId", state.config["app_users"][0]["id"])
        device = spec.get("deviceId", f"collect:{hashlib.sha1(str(submitter).encode()).hexdigest()[:16]}")
        sub = state.create(
            xml, submitter, device, "ODK Collect/v2024.2.4", attachments, spec.get("submissionDate")
        )
        if spec.get("reviewState"):
            state.set_review_state(sub, spec["reviewState"])
        return sub

    def seed_attachments(self, spec, xml):
        given = spec.get("attachments")
        if given is not None:
            return {n: {"content": base64.b64decode(c), "type": guess_type(n)} for n, c in given.items()}
        if spec.get("withoutAttachments"):
            return {}
        return {n: {"content": png(n), "type": guess_type(n)} for n in binary_values(self.state.form, xml)}

    def control_edit(self, payload):
        """An edit as Central's web editor makes it: a new version with a new meta/instanceID and
        meta/deprecatedID = the replaced version's; ``data`` is deep-merged (repeats replaced)."""
        state = self.state
        sub = state.live(payload["instanceId"])
        data = deep_merge(xml_to_data(state.form, sub.current["xml"]), payload.get("data") or {})
        new_id = payload.get("newInstanceId") or f"uuid:{uuid.uuid4()}"
        data.setdefault("meta", {})["instanceID"] = new_id
        xml = data_to_xml(state.form, data, extra_meta={"deprecatedID": sub.current["instanceId"]})
        attachments = self.seed_attachments({"attachments": payload.get("attachments") or {}}, xml)
        state.update(
            sub,
            xml,
            payload.get("submitterId", state.config["users"][0]["id"]),
            None,
            "Enketo/7.2.1",
            attachments,
        )
        return {"instanceId": sub.instance_id, "currentInstanceId": new_id, "edits": len(sub.versions) - 1}

    def control_review(self, payload):
        sub = self.state.live(payload["instanceId"])
        self.state.set_review_state(sub, payload.get("reviewState"))
        return {"instanceId": sub.instance_id, "reviewState": sub.review_state}

    def control_delete(self, payload):
        sub = self.state.live(payload["instanceId"])
        sub.deleted_at = self.state.tick()
        return {"instanceId": sub.instance_id, "deletedAt": iso(sub.deleted_at)}

    def control_expire_sessions(self, payload):
        expired = now() - datetime.timedelta(seconds=1)
        for session in self.state.sessions.values():
            session["expiresAt"] = expired
        return {"expired": len(self.state.sessions)}


# The capability annotations Central puts on the Submissions entity set (lib/formats/odata.js).
EDMX_CAPABILITIES = """
<Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel"
  EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>
<Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>
<Annotation Term="Org.OData.Capabilities.V1.CountRestrictions">
  <Record><PropertyValue Property="Countable" Bool="true"/></Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
  <Record><PropertyValue Property="NonCountableProperties">
    <Collection><String>eq</String></Collection>
  </PropertyValue></Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
  <Record>
    <PropertyValue Property="Filterable" Bool="true"/>
    <PropertyValue Property="RequiresFilter" Bool="false"/>
    <PropertyValue Property="NonFilterableProperties">
      <Collection>{non_filterable}</Collection>
    </PropertyValue>
  </Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">
  <Record><PropertyValue Property="Sortable" Bool="false"/></Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">
  <Record><PropertyValue Property="Expandable" Bool="false"/></Record>
</Annotation>
"""


def edmx(form):
    """The Metadata Document (lib/formats/odata.js edmxFor)."""
    fqdn = form.fqdn
    primary = {"name": "Submissions", "primary": True, "properties": [], "path": None}
    entity_types, complex_types, stack = [primary], [], [primary]
    for field in form.fields:
        out = stack[-1]
        while out["path"] is not None and not field.path.startswith(out["path"] + "/"):
            stack.pop()
            out = stack[-1]
        name = field.oname
        type_name = ".".join(odata_identifier(p) for p in field.path[1:].split("/"))
        if field.type == "structure":
            complex_type = {"name": type_name, "path": field.path, "properties": []}
            complex_types.append(complex_type)
            stack.append(complex_type)
            out["properties"].append((name, f"{fqdn}.{type_name}", False))
        elif field.type == "repeat":
            context = next((o for o in reversed(stack) if o.get("repeat")), None)
            id_parts = ["Submissions"]
            if context is not None:
                id_parts += [odata_identifier(p) for p in context["path"][1:].split("/")]
            entity = {
                "name": f"Submissions.{type_name}",
                "path": field.path,
                "repeat": True,
                "properties": [(f"__{'-'.join(id_parts)}-id", "Edm.String", False)],
            }
            entity_types.append(entity)
            stack.append(entity)
            out["properties"].append((name, f"Collection({fqdn}.Submissions.{type_name})", True))
        else:
            out["properties"].append((name, EDM_TYPES.get(field.type, "Edm.String"), False))

    def props(items):
        return "".join(
            f'<NavigationProperty Name="{n}" Type="{t}"/>' if nav else f'<Property Name="{n}" Type="{t}"/>'
            for n, t, nav in items
        )

    entities = "".join(
        f'<EntityType Name="{e["name"]}"><Key><PropertyRef Name="__id"/></Key>'
        '<Property Name="__id" Type="Edm.String"/>'
        + (
            '<Property Name="__system" Type="org.opendatakit.submission.metadata"/>'
            if e.get("primary")
            else ""
        )
        + props(e["properties"])
        + "</EntityType>"
        for e in entity_types
    )
    complexes = "".join(
        f'<ComplexType Name="{c["name"]}">{props(c["properties"])}</ComplexType>' for c in complex_types
    )
    non_filterable = "".join(f"<PropertyPath>{n}</PropertyPath>" for n, _, _ in primary["properties"])
    capabilities = EDMX_CAPABILITIES.replace("{non_filterable}", non_filterable)
    sets = "".join(
        f'<EntitySet Name="{e["name"]}" EntityType="{fqdn}.{e["name"]}">'
        f"{capabilities if e.get('primary') else ''}</EntitySet>"
        for e in entity_types
    )
    system = "".join(
        f'<Property Name="{n}" Type="{t}"/>'
        for n, t in (
            ("submissionDate", "Edm.DateTimeOffset"),
            ("updatedAt", "Edm.DateTimeOffset"),
            ("deletedAt", "Edm.DateTimeOffset"),
            ("submitterId", "Edm.String"),
            ("submitterName", "Edm.String"),
            ("attachmentsPresent", "Edm.Int64"),
            ("attachmentsExpected", "Edm.Int64"),
            ("status", "org.opendatakit.submission.Status"),
            ("reviewState", "org.opendatakit.submission.ReviewState"),
            ("deviceId", "Edm.String"),
            ("edits", "Edm.Int64"),
            ("formVersion", "Edm.String"),
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>'
        '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.submission">'
        f'<ComplexType Name="metadata">{system}</ComplexType>'
        '<EnumType Name="Status"><Member Name="notDecrypted"/>'
        '<Member Name="missingEncryptedFormData"/></EnumType>'
        '<EnumType Name="ReviewState"><Member Name="hasIssues"/><Member Name="edited"/>'
        '<Member Name="rejected"/><Member Name="approved"/></EnumType></Schema>'
        f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="{fqdn}">{entities}{complexes}'
        f'<EntityContainer Name="{escape(form.xml_form_id)}">{sets}</EntityContainer></Schema>'
        "</edmx:DataServices></edmx:Edmx>\n"
    )


# ------------------------------------------------------------------------------------------------------
# Running it


class OdkCentralProcess(base.SimulatorProcess):
    """The stand-in as a subprocess (``run_odk_central``): ``url``, ``control(...)`` and shortcuts."""

    @property
    def config(self):
        return self.control("config")

    @property
    def user(self):
        return self.config["users"][0]

    @property
    def odata_path(self):
        config = self.config
        return f"/v1/projects/{config['project']['id']}/forms/{config['form']['xmlFormId']}.svc"

    def seed_households(self, count, start=None):
        payload = {"households": count} | ({"start": start} if start is not None else {})
        return self.control("submissions", payload)["instanceIds"]

    def seed(self, *specs):
        return self.control("submissions", {"submissions": list(specs)})["instanceIds"]

    def edit(self, instance_id, data=None, **extra):
        return self.control("edit", {"instanceId": instance_id, "data": data or {}, **extra})

    def set_review_state(self, instance_id, review_state):
        return self.control("review", {"instanceId": instance_id, "reviewState": review_state})

    def fail_odata_page(self, page, status=500, count=1, table="Submissions"):
        """Answer ``status`` to the ``page``-th request (1-based, from now) on an OData table."""
        prefix = f"{self.odata_path}/{table}"
        return self.control(
            "faults",
            {"kind": "error", "status": status, "skip": page - 1, "count": count, "path_prefix": prefix},
        )

    def set_password(self, email, password):
        """Change a web user's password (the source's stored one becomes wrong)."""
        users = [u | {"password": password} if u["email"] == email else u for u in self.config["users"]]
        return self.control("config", {"users": users})

    def slow(self, seconds, path_prefix="/v1/", count=1):
        return self.control(
            "faults", {"kind": "delay", "seconds": seconds, "count": count, "path_prefix": path_prefix}
        )

    def write_pyodk_config(self, path, email=None, password=None):
        """A pyodk config file (TOML) for this stand-in; returns its path."""
        user = self.user
        project_id = self.config["project"]["id"]
        text = (
            "[central]\n"
            f"base_url = {json.dumps(self.url)}\n"
            f"username = {json.dumps(email or user['email'])}\n"
            f"password = {json.dumps(password if password is not None else user['password'])}\n"
            f"default_project_id = {project_id}\n"
        )
        Path(path).write_text(text)
        return Path(path)


def run_odk_central(startup_timeout=20, **config):
    """Start the stand-in as its own process with ``config``; a context manager yielding an
    ``OdkCentralProcess``."""
    return base.run_simulator(
        __file__, READY_MARKER, config, process_class=OdkCentralProcess, startup_timeout=startup_timeout
    )


class OdkCentralSimulator:
    """In-process use: ``url = OdkCentralSimulator(config).start()`` ... ``.stop()``. Tests should prefer
    ``run_odk_central`` (a separate process, like the real server)."""

    def __init__(self, config=None, host="127.0.0.1", port=0):
        self.httpd = base.make_server(host, port, Handler, OdkState(config or {}))
        self.thread = None

    @property
    def url(self):
        return base.server_url(self.httpd)

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="odk-central-http", daemon=True)
        self.thread.start()
        return self.url

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv=None):
    args = base.argument_parser(__doc__.split("\n\n")[0], default_port=8383).parse_args(argv)
    base.serve(base.make_server(args.host, args.port, Handler, OdkState(args.config)), READY_MARKER)


if __name__ == "__main__":
    main()
