"""Shared base of the FHIR API tests: real HTTP, an API key per role."""

import json
from datetime import datetime, timedelta

from odoo.tests import HttpCase, new_test_user

FHIR_JSON = "application/fhir+json"
API_GROUP = "g2p_fhir.group_g2p_api_integration"
REGISTRAR = "g2p_registry.group_g2p_registrar"
VALIDATOR = "g2p_registry.group_g2p_registry_validator"
ADMIN = "g2p_registry.group_g2p_admin"


class FhirHttpCase(HttpCase):
    """Users per role, each with an API key (``cls.keys[<role>]``):

    - ``registrar``: API integration + registrar (reads and writes registrants)
    - ``validator``: API integration + registry validator
    - ``admin``: G2P administrator (PSPs)
    - ``api_only``: API integration without any registry role (sees no registrant)
    - ``other_company``: a registrar of another company (record rules hide this company's data)
    - ``archived``: a registrar whose user was archived after the key was made
    - ``contacts``: a registrar who also manages contacts (creates hospitals, employers)

    ``fhir_get/post/put`` return ``(status, json body)``; ``fhir_request`` the response."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "FHIR Other Company"})
        cls.users, cls.keys = {}, {}
        roles = {
            "registrar": [API_GROUP, REGISTRAR],
            "validator": [API_GROUP, VALIDATOR],
            "admin": [ADMIN],
            "api_only": [API_GROUP],
            "other_company": [API_GROUP, REGISTRAR],
            "archived": [API_GROUP, REGISTRAR],
            "contacts": [API_GROUP, REGISTRAR, "base.group_partner_manager"],
        }
        for role, groups in roles.items():
            company = cls.other_company if role == "other_company" else cls.company
            user = new_test_user(
                cls.env,
                "fhir_%s" % role,
                groups=",".join(groups),
                company_id=company.id,
                company_ids=[company.id],
            )
            cls.users[role] = user
            cls.keys[role] = cls._make_key(user)
        cls.users["archived"].active = False
        cls.id_type = cls.env["g2p.id.type"].create(
            {"name": "FHIR National ID", "code": "FHIR_NID", "validation_regex": r"^[0-9]{6,10}$"}
        )
        cls.id_system = cls.id_type._fhir_system_uri()
        cls.number_system = cls.env["g2p.fhir.patient"]._fhir_registrant_number_system()

    @classmethod
    def patient_resource(cls, given="Amina", family="Otieno", nid=None, **extra):
        """A Patient as a client would send it."""
        resource = {
            "resourceType": "Patient",
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": "female",
            "birthDate": "1990-04-12",
        }
        if nid:
            resource["identifier"] = [{"system": cls.id_system, "value": nid}]
        resource.update(extra)
        return resource

    @classmethod
    def make_individual(cls, given, family, nid=None, company=None, **vals):
        """An individual registrant made in the back office (as the superuser, for fixtures)."""
        values = {
            "is_registrant": True,
            "given_name": given,
            "family_name": family,
            "company_id": (company or cls.company).id,
            **vals,
        }
        if nid:
            values["reg_id_ids"] = [(0, 0, {"id_type_id": cls.id_type.id, "value": nid})]
        return cls.env["res.partner"].create(values)

    @classmethod
    def _make_key(cls, user):
        """An API key of ``user``, made by the user itself as in its preferences."""
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "FHIR test", datetime.now() + timedelta(hours=12))
        )

    # ------------------------------------------------------------------ HTTP helpers

    def fhir_request(self, method, path, body=None, key="registrar", headers=None, params=None, raw=None):
        """``key`` is a role of ``self.keys``, a literal key (str longer than 20), or None."""
        all_headers = {"Accept": FHIR_JSON}
        if key:
            all_headers["Authorization"] = "Bearer %s" % self.keys.get(key, key)
        data = raw
        if body is not None:
            data = json.dumps(body)
        if data is not None:
            all_headers["Content-Type"] = FHIR_JSON
        all_headers.update(headers or {})
        url = path if path.startswith("http") else "/fhir/R4" + path
        return self.url_open(url, data=data, headers=all_headers, params=params, method=method, timeout=60)

    def _result(self, response):
        """(status, body); every FHIR body the API answers is checked against fhir.resources."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("resourceType"):
            self.assertFhirValid(body)
        return response.status_code, body

    def fhir_get(self, path, params=None, key="registrar", headers=None):
        return self._result(self.fhir_request("GET", path, key=key, headers=headers, params=params))

    def fhir_post(self, path, body, key="registrar", headers=None):
        return self._result(self.fhir_request("POST", path, body=body, key=key, headers=headers))

    def fhir_put(self, path, body, key="registrar", headers=None):
        return self._result(self.fhir_request("PUT", path, body=body, key=key, headers=headers))

    # ------------------------------------------------------------------ assertions

    def assertFhirValid(self, resource):
        """``resource`` validates with fhir.resources (R4B); Bundles also check their entries."""
        from fhir.resources.R4B import get_fhir_model_class

        self.assertIsInstance(resource, dict)
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        for entry in resource.get("entry") or []:
            for key in ("resource", "response"):
                inner = entry.get(key, {})
                if key == "response":
                    inner = inner.get("outcome")
                if inner:
                    self.assertFhirValid(inner)
        return resource

    def assertOutcome(self, status, body, expected_status, expression=None):
        """An OperationOutcome answer with ``expected_status`` (and an issue naming ``expression``)."""
        self.assertEqual(status, expected_status, body)
        self.assertEqual(body["resourceType"], "OperationOutcome", body)
        self.assertFhirValid(body)
        self.assertTrue(body["issue"][0].get("diagnostics"))
        if expression:
            expressions = [e for issue in body["issue"] for e in issue.get("expression", [])]
            self.assertTrue(
                any(e.startswith(expression) for e in expressions), "%s not in %s" % (expression, expressions)
            )
