import base64
import logging
from datetime import datetime, timedelta

from odoo.tests import TransactionCase, tagged

from .common import FHIR_JSON, FhirHttpCase


@tagged("post_install", "-at_install")
class TestFhirApi(FhirHttpCase):
    """Authentication, content negotiation, the CapabilityStatement, read and search."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.amina = cls.make_individual(
            "Amina",
            "Zawadi",
            nid="100001",
            gender="female",
            birthdate="1990-04-12",
            email="amina@example.org",
        )
        cls.baraka = cls.make_individual(
            "Baraka", "Zawadi", nid="100002", gender="male", birthdate="1985-11-30"
        )
        cls.chebet = cls.make_individual(
            "Chebet", "Kiptoo", nid="100003", gender="female", birthdate="1990-12-31", addl_name="Wanjiru"
        )
        cls.other = cls.make_individual("Dalia", "Zawadi", nid="100004", company=cls.other_company)
        cls.household = cls.env["res.partner"].create(
            {
                "name": "Zawadi Household",
                "company_id": cls.company.id,
                "is_registrant": True,
                "is_group": True,
                "group_membership_ids": [
                    (0, 0, {"individual_id": cls.amina.id, "role": "head"}),
                    (0, 0, {"individual_id": cls.baraka.id, "role": "spouse"}),
                ],
            }
        )
        cls.psp = cls.env["res.partner"].create(
            {"name": "Fast Money PSP", "is_company": True, "is_psp": True}
        )
        cls.hospital = cls.env["res.partner"].create(
            {
                "name": "Mercy Hospital",
                "is_company": True,
                "g2p_fhir_organization_type": "prov",
                "ref": "H-001",
            }
        )

    def search_ids(self, fhir_type, params, key="registrar"):
        status, body = self.fhir_get("/" + fhir_type, params={**params, "_count": "1000"}, key=key)
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        return {int(e["resource"]["id"]) for e in body.get("entry", [])}

    def expected(self, domain, model="g2p.fhir.patient"):
        fhir = self.env[model]
        return set(self.env["res.partner"].search(fhir._fhir_domain() + domain).ids)

    # ------------------------------------------------------------------ authentication

    def test_auth_refusals(self):
        path = "/Patient/%s" % self.amina.id
        for key, why in (
            (None, "no key"),
            ("0123456789abcdef0123456789abcdef", "wrong key"),
            ("archived", "archived"),
        ):
            with self.subTest(why):
                response = self.fhir_request("GET", path, key=key)
                self.assertEqual(response.status_code, 401, why)
                self.assertIn("Bearer", response.headers.get("WWW-Authenticate", ""))
                self.assertOutcome(401, response.json(), 401)
        self.assertNotIn("session_id", response.headers.get("Set-Cookie", ""))

    def test_basic_auth_with_login_and_key(self):
        user, key = self.users["registrar"], self.keys["registrar"]
        good = base64.b64encode(("%s:%s" % (user.login, key)).encode()).decode()
        status, body = self.fhir_get(
            "/Patient/%s" % self.amina.id, key=None, headers={"Authorization": "Basic " + good}
        )
        self.assertEqual(status, 200, body)
        wrong_login = base64.b64encode(("fhir_admin:%s" % key).encode()).decode()
        status, body = self.fhir_get(
            "/Patient/%s" % self.amina.id, key=None, headers={"Authorization": "Basic " + wrong_login}
        )
        self.assertOutcome(status, body, 401)

    def test_expired_key_is_refused(self):
        key = self._make_key(self.users["registrar"])
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = now() - interval '1 minute' WHERE index = %s",
            [key[:8]],
        )
        status, body = self.fhir_get("/Patient/%s" % self.amina.id, key=key)
        self.assertOutcome(status, body, 401)

    def test_user_without_registry_role_is_forbidden(self):
        for path in ("/Patient", "/Patient/%s" % self.amina.id, "/Group", "/Organization"):
            with self.subTest(path):
                status, body = self.fhir_get(path, key="api_only")
                self.assertOutcome(status, body, 403)
        status, body = self.fhir_post("/Patient", self.patient_resource(nid="55555555"), key="api_only")
        self.assertOutcome(status, body, 403)
        self.assertFalse(self.env["g2p.registrant.id"].search([("value", "=", "55555555")]))

    def test_record_rules_of_another_company(self):
        ids = self.search_ids("Patient", {"family": "Zawadi"}, key="other_company")
        self.assertEqual(ids, {self.other.id})
        status, body = self.fhir_get("/Patient/%s" % self.amina.id, key="other_company")
        self.assertOutcome(status, body, 404)
        status, body = self.fhir_get("/Group/%s" % self.household.id, key="other_company")
        self.assertOutcome(status, body, 404)
        self.assertEqual(self.search_ids("Patient", {"family": "Zawadi"}), {self.amina.id, self.baraka.id})

    # ------------------------------------------------------------------ negotiation and errors

    def test_content_negotiation(self):
        path = "/Patient/%s" % self.amina.id
        response = self.fhir_request("GET", path)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], FHIR_JSON)
        response = self.fhir_request("GET", path, headers={"Accept": "application/json"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/json")
        response = self.fhir_request("GET", path, params={"_format": "json"}, headers={"Accept": "text/html"})
        self.assertEqual(response.status_code, 200)
        for headers, params in (({"Accept": "application/fhir+xml"}, None), ({}, {"_format": "xml"})):
            response = self.fhir_request("GET", path, headers=headers, params=params)
            self.assertOutcome(response.status_code, response.json(), 406)
        response = self.fhir_request(
            "POST", "/Patient", raw="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        self.assertOutcome(response.status_code, response.json(), 415)
        self.assertNotIn("ETag", response.headers)

    def test_read_headers_and_meta(self):
        response = self.fhir_request("GET", "/Patient/%s" % self.amina.id)
        body = self.assertFhirValid(response.json())
        version = self.env["g2p.fhir.patient"]._fhir_version(self.amina)
        self.assertEqual(body["meta"]["versionId"], version)
        self.assertEqual(response.headers["ETag"], 'W/"%s"' % version)
        self.assertTrue(response.headers.get("Last-Modified"))
        self.assertEqual(body["id"], str(self.amina.id))

    def test_not_found_and_not_allowed(self):
        cases = [
            ("GET", "/Patient/999999999", 404),
            ("GET", "/Patient/abc", 404),
            ("GET", "/Group/%s" % self.amina.id, 404),  # an individual is no Group
            ("GET", "/Patient/%s" % self.household.id, 404),  # nor a household a Patient
            ("GET", "/Basic", 404),
            ("GET", "/Patient/%s/_history/1" % self.amina.id, 404),
            ("DELETE", "/Patient/%s" % self.amina.id, 405),
            ("PATCH", "/Patient/%s" % self.amina.id, 405),
            ("GET", "", 405),
        ]
        for method, path, expected in cases:
            with self.subTest(method=method, path=path):
                response = self.fhir_request(method, path)
                self.assertOutcome(response.status_code, response.json(), expected)

    # ------------------------------------------------------------------ CapabilityStatement

    def test_capability_statement_lists_what_is_supported(self):
        status, body = self.fhir_get("/metadata", key=None)
        self.assertEqual(status, 200)
        self.assertFhirValid(body)
        Resource = self.env["g2p.fhir.resource"]
        types = Resource._fhir_types()
        self.assertTrue({"Patient", "Group", "Organization"} <= set(types))
        listed = {r["type"]: r for r in body["rest"][0]["resource"]}
        self.assertEqual(set(listed), set(types))
        for fhir_type, model_name in types.items():
            model = self.env[model_name]
            resource = listed[fhir_type]
            self.assertEqual([i["code"] for i in resource["interaction"]], list(model._fhir_interactions))
            self.assertEqual({p["name"] for p in resource["searchParam"]}, set(model._fhir_search_params()))
        self.assertEqual({i["code"] for i in body["rest"][0]["interaction"]}, {"transaction", "batch"})
        patient = listed["Patient"]
        self.assertTrue(
            {"identifier", "name", "family", "given", "birthdate", "gender", "_id", "_lastUpdated"}
            <= {p["name"] for p in patient["searchParam"]}
        )
        self.assertIn("member", {p["name"] for p in listed["Group"]["searchParam"]})
        # Bulk Data $export: system level and per Group, and nowhere else.
        self.assertEqual(
            [(o["name"], o["definition"].rsplit("/", 1)[-1]) for o in body["rest"][0]["operation"]],
            [("export", "export")],
        )
        self.assertEqual(
            [(o["name"], o["definition"].rsplit("/", 1)[-1]) for o in listed["Group"]["operation"]],
            [("export", "group-export")],
        )
        self.assertEqual([t for t, r in listed.items() if r.get("operation")], ["Group"])
        self.assertIn("bulk-data", body["instantiates"][0])

    # ------------------------------------------------------------------ search

    def test_search_by_each_patient_parameter(self):
        people = self.amina | self.baraka | self.chebet
        scope = [("id", "in", people.ids)]
        cases = [
            ({"family": "zawadi"}, [("family_name", "=ilike", "zawadi%")]),
            ({"family:exact": "Zawadi"}, [("family_name", "=", "Zawadi")]),
            ({"given": "Bar"}, [("given_name", "=ilike", "bar%")]),
            ({"given": "Wanjiru"}, [("addl_name", "=", "Wanjiru")]),
            ({"name": "kip"}, [("family_name", "=ilike", "kip%")]),
            ({"name:contains": "wanj"}, [("addl_name", "ilike", "wanj")]),
            ({"gender": "female"}, [("gender", "=", "female")]),
            ({"gender": "male"}, [("gender", "=", "male")]),
            ({"birthdate": "1990"}, [("birthdate", ">=", "1990-01-01"), ("birthdate", "<=", "1990-12-31")]),
            (
                {"birthdate": "1990-04"},
                [("birthdate", ">=", "1990-04-01"), ("birthdate", "<=", "1990-04-30")],
            ),
            ({"birthdate": "eq1990-04-12"}, [("birthdate", "=", "1990-04-12")]),
            ({"birthdate": "gt1990-04-12"}, [("birthdate", ">", "1990-04-12")]),
            ({"birthdate": "ge1990-04-12"}, [("birthdate", ">=", "1990-04-12")]),
            ({"birthdate": "lt1990-04-12"}, [("birthdate", "<", "1990-04-12")]),
            ({"birthdate": "le1990-04-12"}, [("birthdate", "<=", "1990-04-12")]),
            ({"birthdate": "lt1990"}, [("birthdate", "<", "1990-01-01")]),
            ({"identifier": "%s|100002" % self.id_system}, [("id", "=", self.baraka.id)]),
            ({"identifier": "100003"}, [("id", "=", self.chebet.id)]),
            (
                {"identifier": "%s|%s" % (self.number_system, self.amina.registrant_number)},
                [("id", "=", self.amina.id)],
            ),
            ({"identifier": "http://unknown.example/ids|100002"}, [("id", "=", 0)]),
            ({"_id": str(self.chebet.id)}, [("id", "=", self.chebet.id)]),
            (
                {"_id": "%s,%s" % (self.amina.id, self.chebet.id)},
                [("id", "in", (self.amina | self.chebet).ids)],
            ),
            ({"gender": "female", "family": "Zawadi"}, [("id", "=", self.amina.id)]),
        ]
        for params, domain in cases:
            with self.subTest(params=params):
                found = self.search_ids("Patient", params) & set(people.ids)
                expected = self.expected(scope + domain)
                self.assertEqual(found, expected)
                if "unknown" not in str(params):
                    self.assertTrue(expected, "a case that cannot fail")

    def test_search_at_the_end_of_the_calendar(self):
        people = {self.amina.id, self.baraka.id, self.chebet.id}
        self.assertEqual(self.search_ids("Patient", {"birthdate": "ge9999-12-31"}) & people, set())
        self.assertEqual(self.search_ids("Patient", {"birthdate": "le9999-12-31"}) & people, people)
        self.assertEqual(self.search_ids("Patient", {"birthdate": "9999"}) & people, set())
        self.assertEqual(
            self.search_ids("Patient", {"_lastUpdated": "lt9999-12-31T23:59:59Z"}) & people, people
        )

    def test_unknown_search_parameter_strict_or_lenient(self):
        status, body = self.fhir_get("/Patient", params={"family": "Zawadi", "_summary": "true"})
        self.assertOutcome(status, body, 400, "_summary")
        status, body = self.fhir_get(
            "/Patient",
            params={"family": "Zawadi", "_summary": "true"},
            headers={"Prefer": "handling=lenient"},
        )
        self.assertEqual(status, 200, body)
        self.assertEqual({int(e["resource"]["id"]) for e in body["entry"]}, {self.amina.id, self.baraka.id})
        self.assertNotIn("_summary", body["link"][0]["url"])

    def test_search_last_updated(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s WHERE id = %s", ["2020-01-15 10:00:00", self.chebet.id]
        )
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s WHERE id IN %s",
            ["2024-06-01 08:30:00", (self.amina.id, self.baraka.id)],
        )
        self.env.invalidate_all()
        people = {self.amina.id, self.baraka.id, self.chebet.id}
        self.assertEqual(self.search_ids("Patient", {"_lastUpdated": "lt2021"}) & people, {self.chebet.id})
        self.assertEqual(
            self.search_ids("Patient", {"_lastUpdated": "gt2020-01-15T10:00:00Z"}) & people,
            {self.amina.id, self.baraka.id},
        )
        self.assertEqual(
            self.search_ids("Patient", {"_lastUpdated": "2024-06-01"}) & people,
            {self.amina.id, self.baraka.id},
        )
        both = self.search_ids("Patient", {"_lastUpdated": "ge2020-01-15T10:00:00+00:00"})
        self.assertEqual(both & people, people)
        status, body = self.fhir_get(
            "/Patient", params=[("_lastUpdated", "ge2020-01-01"), ("_lastUpdated", "le2020")]
        )
        self.assertEqual({int(e["resource"]["id"]) for e in body["entry"]} & people, {self.chebet.id})
        # 11:00 in Nairobi (+03:00) is 08:00 UTC: before the update at 08:30 UTC.
        self.assertEqual(
            self.search_ids("Patient", {"_lastUpdated": "gt2024-06-01T11:00:00+03:00"}) & people,
            {self.amina.id, self.baraka.id},
        )
        self.assertEqual(
            self.search_ids("Patient", {"_lastUpdated": "gt2024-06-01T12:00:00+03:00"}) & people, set()
        )

    def test_search_group_and_organization(self):
        self.assertEqual(
            self.search_ids("Group", {"member": "Patient/%s" % self.baraka.id}), {self.household.id}
        )
        self.assertEqual(self.search_ids("Group", {"member": str(self.chebet.id)}), set())
        self.assertEqual(self.search_ids("Group", {"name": "zawadi h"}), {self.household.id})
        self.assertIn(self.psp.id, self.search_ids("Organization", {"type": "psp"}))
        self.assertEqual(
            self.search_ids("Organization", {"type": "prov", "name": "Mercy"}), {self.hospital.id}
        )
        self.assertEqual(self.search_ids("Organization", {"identifier": "H-001"}), {self.hospital.id})
        self.psp.psp_active = False  # a suspended PSP is an inactive Organization
        self.assertIn(self.psp.id, self.search_ids("Organization", {"type": "psp", "active": "false"}))
        self.assertNotIn(self.psp.id, self.search_ids("Organization", {"type": "psp", "active": "true"}))
        self.assertIn(self.hospital.id, self.search_ids("Organization", {"active": "true"}))
        ins = self.search_ids("Organization", {"type": "ins"})
        self.assertIn(self.company.partner_id.id, ins)

    def test_paging_and_sort(self):
        people = self.env["res.partner"]
        for i in range(7):
            people |= self.make_individual("P%s" % i, "Pagingfam")
        self.env.flush_all()
        for i, person in enumerate(people):  # distinct update times, in reverse order of ids
            self.env.cr.execute(
                "UPDATE res_partner SET write_date = %s WHERE id = %s",
                [datetime(2024, 1, 1) + timedelta(minutes=len(people) - i), person.id],
            )
        self.env.invalidate_all()
        status, body = self.fhir_get(
            "/Patient", params={"family": "Pagingfam", "_count": "3", "_total": "accurate"}
        )
        self.assertEqual(status, 200)
        self.assertFhirValid(body)
        self.assertEqual(body["total"], 7)
        seen, pages, url = [], 0, None
        while True:
            pages += 1
            links = {link["relation"]: link["url"] for link in body["link"]}
            self.assertIn("self", links)
            if pages > 1:
                self.assertIn("previous", links)
            seen += [int(e["resource"]["id"]) for e in body["entry"]]
            url = links.get("next")
            if not url:
                break
            self.assertEqual(len(body["entry"]), 3)
            status, body = self.fhir_get(url)
            self.assertEqual(status, 200, body)
        self.assertEqual(pages, 3)
        self.assertEqual(seen, people.sorted("id").ids)  # default: by id, each once
        status, body = self.fhir_get("/Patient", params={"family": "Pagingfam", "_sort": "_lastUpdated"})
        self.assertEqual(
            [int(e["resource"]["id"]) for e in body["entry"]], people.sorted("id", reverse=True).ids
        )
        status, body = self.fhir_get("/Patient", params={"family": "Pagingfam", "_sort": "-_lastUpdated"})
        self.assertEqual([int(e["resource"]["id"]) for e in body["entry"]], people.sorted("id").ids)
        status, body = self.fhir_get(
            "/Patient", params={"family": "Pagingfam", "_count": "0", "_total": "accurate"}
        )
        self.assertEqual((body["total"], body.get("entry")), (7, []))

    def test_emitted_resources_validate(self):
        for fhir_type, record in (
            ("Patient", self.amina),
            ("Group", self.household),
            ("Organization", self.psp),
            ("Organization", self.hospital),
            ("Organization", self.company.partner_id),
        ):
            with self.subTest(fhir_type):
                status, body = self.fhir_get("/%s/%s" % (fhir_type, record.id))
                self.assertEqual(status, 200, body)
                self.assertFhirValid(body)
        status, body = self.fhir_get("/Group/%s" % self.household.id)
        head = [m for m in body["member"] if any(e.get("valueBoolean") for e in m.get("extension", []))]
        self.assertEqual([m["entity"]["reference"] for m in head], ["Patient/%s" % self.amina.id])
        self.assertEqual(body["quantity"], 2)
        status, body = self.fhir_get("/Patient/%s" % self.amina.id)
        self.assertEqual(body["extension"][0]["valueReference"]["reference"], "Group/%s" % self.household.id)

    def test_page_is_read_in_batch(self):
        """Reading a page costs the same number of queries whatever its size."""
        people = self.env["res.partner"]
        for i in range(20):
            person = self.make_individual("Batch%s" % i, "Batchfam", nid=str(200000 + i))
            self.env["g2p.phone.number"].create(
                {"partner_id": person.id, "phone_number": "+2547%08d" % (12000000 + i)}
            )
            people |= person
        Patient = self.env["g2p.fhir.patient"]

        def count(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Patient._fhir_to_dicts(records)
            return self.env.cr.sql_log_count - before

        count(people[4:6])  # warm the caches (configuration, ID types)
        small, large = count(people[:4]), count(people[:20])
        self.assertEqual(large, small)
        self.assertLess(large, 20)


class TestFhirLogRedaction(TransactionCase):
    def test_search_criteria_are_not_logged(self):
        from ..log_redaction import FILTER, redact_line

        line = '"GET /fhir/R4/Patient?identifier=http://x/nid|123456789&family=Otieno HTTP/1.1" 200'
        self.assertEqual(redact_line(line), '"GET /fhir/R4/Patient?[query redacted] HTTP/1.1" 200')
        self.assertEqual(redact_line("GET /fhir/R4/Patient/12 HTTP/1.1"), "GET /fhir/R4/Patient/12 HTTP/1.1")
        self.assertEqual(redact_line("GET /web?debug=1"), "GET /web?debug=1")
        record = logging.LogRecord(
            "werkzeug",
            logging.INFO,
            __file__,
            1,
            '"%s %s" %s',
            ("GET", "/fhir/R4/Patient?birthdate=1990-04-12", 200),
            None,
        )
        self.assertTrue(FILTER.filter(record))
        self.assertNotIn("1990-04-12", record.getMessage())
        self.assertIn(FILTER, logging.getLogger("werkzeug").filters)
