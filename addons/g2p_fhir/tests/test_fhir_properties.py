"""Property-based tests (issue #17): generated bodies, raw bytes and queries sent to the FHIR API
over real HTTP. Every answer is 2xx or a clear 4xx OperationOutcome, never a 5xx or a traceback,
and a refused request changes nothing stored."""

import json

from hypothesis import example, given
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import FHIR_JSON, FhirHttpCase
from odoo.addons.g2p_registry.tests.properties import PROPERTY

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
PATIENT_KEYS = [
    "resourceType",
    "name",
    "gender",
    "birthDate",
    "identifier",
    "telecom",
    "address",
    "active",
    "id",
]


def deeply_nested(depth):
    return ("[" * depth + "]" * depth).encode()


@tagged("post_install", "-at_install")
class TestFhirProperties(FhirHttpCase):
    def state(self):
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT (SELECT count(*) FROM res_partner), (SELECT count(*) FROM g2p_registrant_id),
                      (SELECT count(*) FROM g2p_group_membership),
                      (SELECT max(write_date) FROM res_partner)"""
        )
        return self.env.cr.fetchone()

    def assertClearAnswer(self, response, before):
        self.assertLess(response.status_code, 500, response.text[:500])
        self.assertNotIn("Traceback", response.text)
        if response.status_code >= 400:
            body = response.json()
            self.assertEqual(body.get("resourceType"), "OperationOutcome", body)
            self.assertTrue(body["issue"][0].get("diagnostics"), body)
            self.assertEqual(self.state(), before, "a refused request changed stored data")

    @PROPERTY
    @given(st.dictionaries(st.sampled_from(PATIENT_KEYS), json_values, max_size=6))
    @example({"resourceType": "Patient", "name": [{"family": "\x00"}]})
    @example({"resourceType": "Patient", "name": [{"family": "x" * 5000, "given": ["y"]}]})
    def test_post_patient(self, resource):
        before = self.state()
        self.assertClearAnswer(self.fhir_request("POST", "/Patient", body=resource), before)

    @PROPERTY
    @given(
        st.dictionaries(st.sampled_from(PATIENT_KEYS + ["member", "type", "actual"]), json_values, max_size=6)
    )
    def test_put_group(self, resource):
        resource.setdefault("resourceType", "Group")
        before = self.state()
        response = self.fhir_request("PUT", "/Group/%s" % self.env.ref("base.main_partner").id, body=resource)
        self.assertClearAnswer(response, before)

    @PROPERTY
    @given(
        st.lists(
            st.fixed_dictionaries(
                {"request": st.dictionaries(st.sampled_from(["method", "url"]), json_values, max_size=2)},
                optional={"resource": json_values, "fullUrl": st.text(max_size=20)},
            ),
            max_size=4,
        )
    )
    def test_transaction_bundle(self, entries):
        before = self.state()
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        self.assertClearAnswer(self.fhir_request("POST", "", body=bundle), before)

    @PROPERTY
    @given(st.binary(max_size=200))
    @example(deeply_nested(100_000))
    @example('{"resourceType": "Patient"}'.encode("utf-16-le")[:-1])
    @example(b'{"a": "\\u0000"}')
    def test_raw_bytes(self, data):
        before = self.state()
        self.assertClearAnswer(self.fhir_request("POST", "/Patient", raw=data), before)

    @PROPERTY
    @given(
        st.sampled_from(["text/plain", "application/xml", "multipart/form-data", "", "application/fhir+xml"])
    )
    def test_wrong_content_type(self, content_type):
        before = self.state()
        response = self.fhir_request(
            "POST", "/Patient", raw=b'{"resourceType": "Patient"}', headers={"Content-Type": content_type}
        )
        self.assertClearAnswer(response, before)
        self.assertGreaterEqual(response.status_code, 400)

    @PROPERTY
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["name", "identifier", "_count", "_sort", "birthdate", "gender", "_id", "x", ""]
                )
                | st.text(max_size=10),
                st.text(max_size=30),
            ),
            max_size=4,
        )
    )
    @example([("name", "")])
    @example([("_count", "-1"), ("birthdate", "ge")])
    def test_search_parameters(self, params):
        before = self.state()
        response = self.fhir_request("GET", "/Patient", params=params)
        self.assertClearAnswer(response, before)


@tagged("post_install", "-at_install")
class TestFhirBodyLimit(FhirHttpCase):
    def test_limit(self):
        """Just over ``g2p_fhir.max_body_bytes`` is refused with 413 too-costly; just under is read;
        a lowered parameter takes effect."""
        self.env["ir.config_parameter"].sudo().set_param("g2p_fhir.max_body_bytes", "2000")
        body = json.dumps(self.patient_resource("Limit", "Case", nid="7100001"))
        under = body + " " * (2000 - len(body))
        count = self.env["res.partner"].search_count([])
        response = self.fhir_request("POST", "/Patient", raw=under, headers={"Content-Type": FHIR_JSON})
        self.assertEqual(response.status_code, 201, response.text)
        over = body + " " * (2001 - len(body))
        response = self.fhir_request("POST", "/Patient", raw=over.replace("7100001", "7100002"))
        self.assertEqual(response.status_code, 413, response.text)
        self.assertEqual(response.json()["issue"][0]["code"], "too-costly")
        self.assertEqual(self.env["res.partner"].search_count([]), count + 1)
