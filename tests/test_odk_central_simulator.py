"""The ODK Central stand-in over real HTTP, run as its own process, driven with pyodk (ODK's Python
client) and, where pyodk has no call, with requests. Plain pytest: nothing from Odoo."""

import base64
import io
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import requests

# The stand-in lives in tests/simulators (a folder, not an addon): put tests/ on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulators.odk_central import Field, household, repeat_hash, run_odk_central

pyodk_client = pytest.importorskip("pyodk.client", reason="pyodk is pinned in requirements.txt")
from pyodk.errors import PyODKError  # noqa: E402

FORM = "household_survey"
EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@pytest.fixture(scope="module")
def simulator():
    with run_odk_central() as sim:
        yield sim


@pytest.fixture
def sim(simulator):
    simulator.control("reset")
    return simulator


def make_client(config, cache=None):
    """A pyodk Client from a config file; without ``cache`` the token stays in memory (pyodk would
    otherwise default to ~/.pyodk_cache.toml)."""
    odk = pyodk_client.Client(config_path=config, cache_path=cache)
    if cache is None:
        odk.session.auth.service.cache_path = None
    return odk


@pytest.fixture
def client(sim, tmp_path):
    """A pyodk Client configured by file, as the addon will be."""
    with make_client(sim.write_pyodk_config(tmp_path / "pyodk_config.toml")) as odk:
        yield odk


def svc(sim, table=""):
    return f"{sim.url}{sim.odata_path}{'/' + table if table else ''}"


def token(sim, password=None):
    user = sim.user
    answer = requests.post(
        f"{sim.url}/v1/sessions",
        json={"email": user["email"], "password": password or user["password"]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def follow(odk, page, max_pages=50):
    """The rows of ``page`` and of every page after it, following @odata.nextLink as the intake will;
    (rows, pages). A link that never ends fails instead of looping."""
    rows, pages = list(page["value"]), 1
    while page.get("@odata.nextLink"):
        assert pages < max_pages, "@odata.nextLink never ends"
        answer = odk.get(page["@odata.nextLink"])
        answer.raise_for_status()
        page = answer.json()
        rows += page["value"]
        pages += 1
    return rows, pages


def pull_all(odk, **params):
    return follow(odk, odk.submissions.get_table(form_id=FORM, **params))


# --- sessions and auth ---------------------------------------------------------------------------------


def test_login_gives_a_token_that_expires(sim):
    user = sim.user
    answer = requests.post(
        f"{sim.url}/v1/sessions", json={"email": user["email"], "password": user["password"]}, timeout=10
    )
    body = answer.json()
    assert answer.status_code == 200
    assert set(body) >= {"createdAt", "expiresAt", "token"}
    lifetime = datetime.fromisoformat(body["expiresAt"]) - datetime.fromisoformat(body["createdAt"])
    assert lifetime.total_seconds() == 86400
    me = requests.get(
        f"{sim.url}/v1/users/current", headers={"Authorization": f"Bearer {body['token']}"}, timeout=10
    )
    assert me.json()["email"] == user["email"]


def test_wrong_password_is_central_401(sim, tmp_path):
    answer = requests.post(
        f"{sim.url}/v1/sessions", json={"email": sim.user["email"], "password": "not-it"}, timeout=10
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "message": "Could not authenticate with the provided credentials.",
        "code": 401.2,
    }
    unknown = requests.post(
        f"{sim.url}/v1/sessions", json={"email": "nobody@example.org", "password": "x"}, timeout=10
    )
    assert unknown.status_code == 401  # no hint whether the e-mail exists
    missing = requests.post(f"{sim.url}/v1/sessions", json={"email": sim.user["email"]}, timeout=10)
    assert missing.status_code == 400 and missing.json()["code"] == 400.3

    config = sim.write_pyodk_config(tmp_path / "bad.toml", password="not-it")
    with pytest.raises(PyODKError) as caught:
        make_client(config).open()
    assert caught.value.is_central_error(401.2)


def test_changed_password_refuses_the_old_one(sim, tmp_path):
    old = sim.user["password"]
    sim.set_password(sim.user["email"], "rotated-password")
    config = sim.write_pyodk_config(tmp_path / "old.toml", password=old)
    with pytest.raises(PyODKError) as caught:
        make_client(config).open()
    assert caught.value.is_central_error(401.2)
    assert token(sim, "rotated-password")


def test_bearer_auth_on_everything_else(sim):
    none = requests.get(svc(sim, "Submissions"), timeout=10)
    assert none.status_code == 403 and none.json()["code"] == 403.1
    bogus = requests.get(svc(sim, "Submissions"), headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bogus.status_code == 401 and bogus.json()["code"] == 401.2
    basic = requests.get(svc(sim, "Submissions"), auth=(sim.user["email"], sim.user["password"]), timeout=10)
    assert basic.status_code == 401 and basic.json()["code"] == 401.3  # Basic only over HTTPS
    headers = token(sim)
    assert requests.get(svc(sim, "Submissions"), headers=headers, timeout=10).status_code == 200
    sim.control("expire_sessions", {})
    expired = requests.get(svc(sim, "Submissions"), headers=headers, timeout=10)
    assert expired.status_code == 401


def test_expired_token_in_pyodk_cache_is_replaced(sim, tmp_path):
    """With a cache file, pyodk checks the cached token on /users/current and logs in again."""
    config = sim.write_pyodk_config(tmp_path / "c.toml")
    cache = tmp_path / "cache.toml"
    with make_client(config, cache) as odk:
        first = odk.session.headers["Authorization"]
    sim.control("expire_sessions", {})
    with make_client(config, cache) as odk:
        assert odk.session.headers["Authorization"] != first
        assert odk.submissions.get_table(form_id=FORM)["value"] == []


def test_user_without_the_project_is_refused(sim, tmp_path):
    user = sim.user | {"projects": [99]}
    sim.control("config", {"users": [user]})
    headers = token(sim)
    assert requests.get(f"{sim.url}/v1/projects", headers=headers, timeout=10).json() == []
    refused = requests.get(svc(sim, "Submissions"), headers=headers, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == 403.1


# --- projects, forms, service and metadata documents -----------------------------------------------


def test_projects_and_forms_through_pyodk(client):
    projects = client.projects.list()
    assert [p.id for p in projects] == [1]
    forms = client.forms.list()
    assert [(f.xmlFormId, f.state) for f in forms] == [(FORM, "open")]
    xform = client.forms.get_xml(FORM)
    assert 'id="household_survey"' in xform and "<repeat" in xform and "<value>national_id</value>" in xform
    assert client.forms.get(FORM).version == forms[0].version


def test_service_and_metadata_documents(sim):
    headers = token(sim)
    service = requests.get(svc(sim), headers=headers, timeout=10)
    assert service.headers["Content-Type"].startswith("application/json; odata.metadata=minimal")
    assert service.json() == {
        "@odata.context": f"{sim.url}{sim.odata_path}/$metadata",
        "value": [
            {"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
            {"name": "Submissions.members", "kind": "EntitySet", "url": "Submissions.members"},
        ],
    }
    metadata = requests.get(svc(sim, "$metadata"), headers=headers, timeout=10)
    assert metadata.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(metadata.content)
    namespace = f"org.opendatakit.user.{FORM}"
    schema = next(s for s in root.iter(f"{EDM}Schema") if s.get("Namespace") == namespace)
    types = {e.get("Name"): e for e in schema.findall(f"{EDM}EntityType")}
    assert set(types) == {"Submissions", "Submissions.members"}
    props = {p.get("Name"): p.get("Type") for p in types["Submissions"].findall(f"{EDM}Property")}
    assert props["location"] == "Edm.GeographyPoint"
    assert props["__system"] == "org.opendatakit.submission.metadata"
    assert props["household"] == f"org.opendatakit.user.{FORM}.household"
    nav = types["Submissions"].find(f"{EDM}NavigationProperty")
    assert (nav.get("Name"), nav.get("Type")) == (
        "members",
        f"Collection(org.opendatakit.user.{FORM}.Submissions.members)",
    )
    member_props = {
        p.get("Name"): p.get("Type") for p in types["Submissions.members"].findall(f"{EDM}Property")
    }
    assert member_props["__Submissions-id"] == "Edm.String" and member_props["birthdate"] == "Edm.Date"
    complex_types = {c.get("Name") for c in schema.findall(f"{EDM}ComplexType")}
    assert {"household", "meta"} <= complex_types
    assert root.tag == f"{EDMX}Edmx"


# --- the Submissions table --------------------------------------------------------------------------


def test_submission_row_shape(sim, client):
    [instance_id] = sim.seed_households(1)
    page = client.submissions.get_table(form_id=FORM)
    [row] = page["value"]
    assert page["@odata.context"] == f"{sim.url}{sim.odata_path}/$metadata#Submissions"
    assert row["__id"] == instance_id == row["meta"]["instanceID"]
    system = row["__system"]
    assert set(system) == {
        "submissionDate", "updatedAt", "submitterId", "submitterName", "attachmentsPresent",
        "attachmentsExpected", "status", "reviewState", "deviceId", "edits", "formVersion", "deletedAt",
    }  # fmt: skip
    assert system["submitterId"] == "11" and system["submitterName"] == "Enumerator Amina"
    assert (system["attachmentsPresent"], system["attachmentsExpected"], system["edits"]) == (1, 1, 0)
    assert system["reviewState"] is None and system["updatedAt"] is None
    expected = household(1)
    assert row["household"]["size"] == expected["household"]["size"]  # int fields come typed
    assert row["household"]["assets"] == "radio phone"  # select_multiple: space-separated
    lat, lon, alt, accuracy = expected["location"]
    assert row["location"] == {
        "type": "Point",
        "coordinates": [lon, lat, alt],
        "properties": {"accuracy": accuracy},
    }
    assert isinstance(row["location"]["coordinates"][2], int)  # JSON.stringify: 1650.0 is 1650
    assert "members" not in row  # repeats are a navigation link unless expanded
    assert row["members@odata.navigationLink"] == f"Submissions('{instance_id.replace(':', '%3A')}')/members"
    wkt = client.submissions.get_table(form_id=FORM, wkt=True)["value"][0]["location"]
    assert wkt == f"POINT ({lon} {lat} {int(alt)})"


def test_paging_follows_next_link_with_a_stable_skiptoken(sim, client):
    ids = sim.seed_households(7)
    first = client.submissions.get_table(form_id=FORM, top=3, count=True)
    assert first["@odata.count"] == 7
    assert [r["__id"] for r in first["value"]] == ids[::-1][:3]  # newest first
    assert "%24skiptoken=01" in first["@odata.nextLink"]
    sim.seed_households(1, start=50)  # arrives mid-pull: the cursor keeps the remaining pages in place
    rows, pages = follow(client, first)
    assert pages == 3
    assert [r["__id"] for r in rows] == ids[::-1]
    assert client.submissions.get_table(form_id=FORM, top=0, count=True) | {"@odata.context": None} == {
        "value": [],
        "@odata.context": None,
        "@odata.count": 8,
    }
    skipped = client.submissions.get_table(form_id=FORM, skip=6, top=10)
    assert [r["__id"] for r in skipped["value"]] == ids[::-1][5:]


def test_incremental_pull_by_submission_date_and_updated_at(sim, client):
    old = sim.seed_households(3)
    rows, _ = pull_all(client)
    watermark = max(r["__system"]["submissionDate"] for r in rows)
    time.sleep(0.01)
    new = sim.seed_households(2, start=10)
    fresh = client.submissions.get_table(form_id=FORM, filter=f"__system/submissionDate gt {watermark}")
    assert sorted(r["__id"] for r in fresh["value"]) == sorted(new)
    # An edit keeps submissionDate: only updatedAt shows it.
    sim.edit(old[0], {"household": {"village": "Moved"}})
    by_date = client.submissions.get_table(form_id=FORM, filter=f"__system/submissionDate gt {watermark}")
    assert old[0] not in {r["__id"] for r in by_date["value"]}
    changed = client.submissions.get_table(
        form_id=FORM,
        filter=f"__system/submissionDate gt {watermark} or __system/updatedAt gt {watermark}",
    )
    assert sorted(r["__id"] for r in changed["value"]) == sorted([old[0], *new])
    assert (
        client.submissions.get_table(form_id=FORM, filter="__system/submissionDate lt 2000-01-01")["value"]
        == []
    )
    this_year = client.submissions.get_table(
        form_id=FORM, filter="year(__system/submissionDate) eq year(now())"
    )
    assert len(this_year["value"]) == 5


def test_review_state_filters(sim, client):
    approved, rejected, pending, issues = sim.seed_households(4)
    sim.set_review_state(approved, "approved")
    sim.set_review_state(rejected, "rejected")
    client.submissions.review(issues, "hasIssues", form_id=FORM)  # REST PATCH through pyodk
    assert client.submissions.get(issues, form_id=FORM).reviewState == "hasIssues"

    def ids(expression):
        return {r["__id"] for r in client.submissions.get_table(form_id=FORM, filter=expression)["value"]}

    assert ids("__system/reviewState eq 'approved'") == {approved}
    assert ids("__system/reviewState ne 'rejected'") == {approved, pending, issues}  # null is not 'rejected'
    assert ids("__system/reviewState eq null") == {pending}
    assert ids("not (__system/reviewState eq 'rejected' or __system/reviewState eq 'hasIssues')") == {
        approved,
        pending,
    }
    bad = requests.patch(
        f"{sim.url}/v1/projects/1/forms/{FORM}/submissions/{pending}",
        json={"reviewState": "done"},
        headers=token(sim),
        timeout=10,
    )
    assert bad.status_code == 400


def test_filter_and_orderby_errors_are_centrals(sim, client):
    sim.seed_households(3)
    headers = token(sim)
    field = requests.get(
        svc(sim, "Submissions"), params={"$filter": "household/size gt 2"}, headers=headers, timeout=10
    )
    assert field.status_code == 501 and field.json()["code"] == 501.5
    garbled = requests.get(
        svc(sim, "Submissions"), params={"$filter": "__id eq"}, headers=headers, timeout=10
    )
    assert garbled.status_code == 400 and garbled.json()["code"] == 400.18
    ordered = client.submissions.get_table(form_id=FORM)["value"]
    ascending = requests.get(
        svc(sim, "Submissions"),
        params={"$orderby": "__system/submissionDate asc"},
        headers=headers,
        timeout=10,
    ).json()["value"]
    assert [r["__id"] for r in ascending] == [r["__id"] for r in ordered][::-1]
    page = requests.get(
        svc(sim, "Submissions"),
        params={"$orderby": "__system/submissionDate asc", "$top": 1},
        headers=headers,
        timeout=10,
    ).json()
    refused = requests.get(page["@odata.nextLink"], headers=headers, timeout=10)
    assert refused.status_code == 501  # Central: "using $orderby and $skiptoken together"


def test_deleted_submissions_leave_the_feed(sim, client):
    keep, gone = sim.seed_households(2)
    sim.control("delete", {"instanceId": gone})
    assert [r["__id"] for r in client.submissions.get_table(form_id=FORM)["value"]] == [keep]
    deleted = client.submissions.get_table(form_id=FORM, filter="__system/deletedAt ne null")["value"]
    assert [r["__id"] for r in deleted] == [gone]


# --- repeats ------------------------------------------------------------------------------------------


def test_expand_repeats_inline_and_as_tables(sim, client):
    ids = sim.seed_households(3)
    expanded = client.submissions.get_table(form_id=FORM, expand="*")["value"]
    inline = {r["__id"]: r["members"] for r in expanded}
    for instance_id, number in zip(ids, (1, 2, 3), strict=True):
        assert [m["given_name"] for m in inline[instance_id]] == [
            p["given_name"] for p in household(number)["members"]
        ]
    table = client.submissions.get_table(form_id=FORM, table_name="Submissions.members", count=True)
    assert table["@odata.count"] == sum(len(m) for m in inline.values())
    by_parent = {}
    for member in table["value"]:
        by_parent.setdefault(member["__Submissions-id"], []).append(member)
    for instance_id, members in inline.items():
        assert [m["__id"] for m in by_parent[instance_id]] == [m["__id"] for m in members]
        assert all("__Submissions-id" not in m for m in members)  # only the table rows carry the parent key
    # Repeat row ids are stable: the same hash on every read.
    again = client.submissions.get_table(form_id=FORM, table_name="Submissions.members")["value"]
    assert [m["__id"] for m in again] == [m["__id"] for m in table["value"]]


def test_repeat_ids_are_centrals_hash():
    """central-backend test/integration/api/odata.js: the second child of submission 'double'."""
    stack = [(Field("/children", "structure"), None), (Field("/children/child", "repeat"), 1)]
    assert repeat_hash("double", stack) == "b6e93a81a53eed0566e65e472d4a4b9ae383ee6d"
    assert repeat_hash("double", []) == "double"


def test_repeat_table_paging_and_navigation_link(sim, client):
    ids = sim.seed_households(4)
    first = client.submissions.get_table(form_id=FORM, table_name="Submissions.members", top=2)
    rows, _pages = follow(client, first)
    everything = client.submissions.get_table(form_id=FORM, table_name="Submissions.members")["value"]
    assert rows == everything
    newest = client.submissions.get_table(form_id=FORM, top=1)["value"][0]["__system"]["submissionDate"]
    recent = client.submissions.get_table(
        form_id=FORM,
        table_name="Submissions.members",
        filter=f"$root/Submissions/__system/submissionDate ge {newest}",
    )["value"]
    assert {m["__Submissions-id"] for m in recent} == {ids[-1]}
    with pytest.raises(PyODKError) as caught:  # on a repeat table only the $root/Submissions/ names
        client.submissions.get_table(
            form_id=FORM, table_name="Submissions.members", filter=f"__system/submissionDate ge {newest}"
        )
    assert caught.value.is_central_error(501.5)
    row = client.submissions.get_table(form_id=FORM)["value"][0]
    link = row["members@odata.navigationLink"]
    members = client.get(f"projects/1/forms/{FORM}.svc/{link}").json()
    assert members["@odata.context"].endswith("#Submissions.members")
    assert {m["__Submissions-id"] for m in members["value"]} == {row["__id"]}
    single = client.get(f"projects/1/forms/{FORM}.svc/Submissions('{ids[0]}')").json()["value"]
    assert [r["__id"] for r in single] == [ids[0]]
    # pyodk's get_table percent-encodes "/" in table_name: Central then 404s a navigation path.
    with pytest.raises(PyODKError):
        client.submissions.get_table(form_id=FORM, table_name=link)


# --- edits ---------------------------------------------------------------------------------------------


def test_edit_keeps_the_id_and_changes_instance_id(sim, client):
    [instance_id] = sim.seed_households(1)
    before = client.submissions.get_table(form_id=FORM)["value"][0]
    result = sim.edit(
        instance_id, {"household": {"village": "New village"}, "members": household(1)["members"][:1]}
    )
    after = client.submissions.get_table(form_id=FORM)["value"][0]
    assert after["__id"] == instance_id  # the logical submission keeps its first instanceID
    assert after["meta"]["instanceID"] == result["currentInstanceId"] != instance_id
    assert "deprecatedID" not in after["meta"]  # not a field of the form: OData leaves it out
    assert after["household"]["village"] == "New village"
    system = after["__system"]
    assert (system["edits"], system["reviewState"]) == (1, "edited")
    assert system["submissionDate"] == before["__system"]["submissionDate"]
    assert system["updatedAt"] > system["submissionDate"]
    assert system["attachmentsPresent"] == 1  # the photo carries over to the new version
    headers = token(sim)
    xml = requests.get(
        f"{sim.url}/v1/projects/1/forms/{FORM}/submissions/{instance_id}.xml", headers=headers, timeout=10
    ).text
    assert f"<deprecatedID>{instance_id}</deprecatedID>" in xml
    versions = requests.get(
        f"{sim.url}/v1/projects/1/forms/{FORM}/submissions/{instance_id}/versions",
        headers=headers,
        timeout=10,
    ).json()
    assert [(v["instanceId"], v["current"]) for v in versions] == [
        (result["currentInstanceId"], True),
        (instance_id, False),
    ]


def test_edit_through_pyodk_put(sim, client):
    [instance_id] = sim.seed_households(1)
    xml = client.get(f"projects/1/forms/{FORM}/submissions/{instance_id}.xml").text
    edited = xml.replace(
        f"<instanceID>{instance_id}</instanceID>",
        f"<instanceID>uuid:00000000-0000-4000-8000-000000000001</instanceID><deprecatedID>{instance_id}</deprecatedID>",
    ).replace("Village 2", "Village 9")
    client.submissions.edit(instance_id, edited, form_id=FORM)
    row = client.submissions.get_table(form_id=FORM)["value"][0]
    assert (row["household"]["village"], row["__system"]["edits"]) == ("Village 9", 1)
    with pytest.raises(PyODKError) as caught:  # the replaced version is out of date now
        client.submissions.edit(instance_id, edited.replace("0001<", "0002<"), form_id=FORM)
    assert caught.value.is_central_error(409.9)


def test_create_with_attachment_through_pyodk(sim, client, tmp_path):
    photo = tmp_path / "id_card.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    data = household(3) | {"consent_photo": "id_card.png"}
    [template] = sim.seed({"data": data, "withoutAttachments": True})
    xml = client.get(f"projects/1/forms/{FORM}/submissions/{template}.xml").text
    xml = xml.replace(template, "uuid:11111111-1111-4111-8111-111111111111")
    created = client.submissions.create(xml, form_id=FORM, device_id="collect:test", attachments=[photo])
    assert [(a.name, a.exists) for a in created.attachments] == [("id_card.png", True)]
    row = client.submissions.get_table(form_id=FORM)["value"][0]
    assert (row["__system"]["deviceId"], row["__system"]["submitterName"]) == ("collect:test", "G2P intake")
    again = requests.post(
        f"{sim.url}/v1/projects/1/forms/{FORM}/submissions",
        data=xml,
        headers=token(sim) | {"Content-Type": "application/xml"},
        timeout=10,
    )
    assert again.status_code == 409


# --- attachments ---------------------------------------------------------------------------------------


def test_attachments_list_and_download(sim, client):
    with_photo, without = sim.seed(
        {"data": household(1)},
        {"data": household(2), "withoutAttachments": True},
    )
    base_path = f"projects/1/forms/{FORM}/submissions"
    assert client.get(f"{base_path}/{with_photo}/attachments").json() == [
        {"name": "consent_0001.png", "exists": True}
    ]
    photo = client.get(f"{base_path}/{with_photo}/attachments/consent_0001.png")
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/png"
    assert photo.headers["Content-Disposition"].startswith("inline;")
    pil = pytest.importorskip("PIL.Image")
    assert pil.open(io.BytesIO(photo.content)).size == (8, 8)
    assert client.get(f"{base_path}/{without}/attachments").json() == [
        {"name": "consent_0002.png", "exists": False}
    ]
    assert client.get(f"{base_path}/{without}/attachments/consent_0002.png").status_code == 404
    rows = {r["__id"]: r["__system"] for r in client.submissions.get_table(form_id=FORM)["value"]}
    assert (rows[without]["attachmentsPresent"], rows[without]["attachmentsExpected"]) == (0, 1)
    given = base64.b64encode(b"\xff\xd8\xff jpeg bytes").decode()
    [own] = sim.seed(
        {"data": household(3) | {"consent_photo": "scan.jpg"}, "attachments": {"scan.jpg": given}}
    )
    scan = client.get(f"{base_path}/{own}/attachments/scan.jpg")
    assert (scan.content, scan.headers["Content-Type"]) == (b"\xff\xd8\xff jpeg bytes", "image/jpeg")


# --- faults ----------------------------------------------------------------------------------------------


def test_server_error_mid_pull_then_resume(sim, client):
    ids = sim.seed_households(6)
    sim.fail_odata_page(2)
    first = client.submissions.get_table(form_id=FORM, top=2)
    failed = client.get(first["@odata.nextLink"])
    assert failed.status_code == 500 and failed.json()["code"] == 500.1
    # Retrying the same link resumes where the pull stopped: nothing lost, nothing doubled.
    rest, _pages = follow(client, client.get(first["@odata.nextLink"]).json())
    assert [r["__id"] for r in first["value"] + rest] == ids[::-1]
    sim.fail_odata_page(1)
    with pytest.raises(PyODKError):  # over HTTP pyodk does not retry (its retrying adapter is https-only)
        client.submissions.get_table(form_id=FORM)


def test_slow_response(sim):
    sim.seed_households(1)
    headers = token(sim)
    sim.slow(1.5, path_prefix=sim.odata_path)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(svc(sim, "Submissions"), headers=headers, timeout=0.5)
    assert requests.get(svc(sim, "Submissions"), headers=headers, timeout=5).status_code == 200
    assert time.monotonic() - started < 5
    received = sim.control("received", path_prefix=sim.odata_path)
    assert len(received) == 2


# --- CSV export -------------------------------------------------------------------------------------------


def read_csv(archive, name):
    import csv

    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_csv_zip_export(sim, client):
    ids = sim.seed_households(3)
    sim.edit(ids[0], {"household": {"village": "Edited"}})
    sim.set_review_state(ids[1], "approved")
    answer = client.get(f"projects/1/forms/{FORM}/submissions.csv.zip")
    assert answer.headers["Content-Type"] == "application/zip"
    assert 'filename="household_survey.zip"' in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == sorted(
        [
            f"{FORM}.csv",
            f"{FORM}-members.csv",
            "media/consent_0001.png",
            "media/consent_0002.png",
            "media/consent_0003.png",
        ]
    )
    main = read_csv(archive, f"{FORM}.csv")
    header = list(main[0])
    assert header[0] == "SubmissionDate" and header[-10:] == [
        "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
        "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
    ]  # fmt: skip
    assert {"household-household_name", "location-Latitude", "location-Accuracy", "meta-instanceID"} <= set(
        header
    )
    by_key = {r["KEY"]: r for r in main}
    assert [r["KEY"] for r in main] == ids[::-1]
    assert (by_key[ids[0]]["Edits"], by_key[ids[0]]["ReviewState"], by_key[ids[0]]["household-village"]) == (
        "1",
        "edited",
        "Edited",
    )
    assert by_key[ids[1]]["ReviewState"] == "approved"
    assert by_key[ids[2]]["location-Latitude"] == str(household(3)["location"][0])
    members = read_csv(archive, f"{FORM}-members.csv")
    assert list(members[0])[-2:] == ["PARENT_KEY", "KEY"]
    first = [m for m in members if m["PARENT_KEY"] == ids[0]]
    assert [m["KEY"] for m in first] == [f"{ids[0]}/members[{i}]" for i in range(1, len(first) + 1)]
    assert len(members) == sum(len(household(n)["members"]) for n in (1, 2, 3))

    plain = client.get(f"projects/1/forms/{FORM}/submissions.csv.zip", params={"attachments": "false"})
    assert 'filename="household_survey.csv.zip"' in plain.headers["Content-Disposition"]
    assert sorted(zipfile.ZipFile(io.BytesIO(plain.content)).namelist()) == [
        f"{FORM}-members.csv",
        f"{FORM}.csv",
    ]
    only_approved = client.get(
        f"projects/1/forms/{FORM}/submissions.csv.zip",
        params={"attachments": "false", "$filter": "__system/reviewState eq 'approved'"},
    )
    assert [
        r["KEY"] for r in read_csv(zipfile.ZipFile(io.BytesIO(only_approved.content)), f"{FORM}.csv")
    ] == [ids[1]]
