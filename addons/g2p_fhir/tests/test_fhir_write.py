import copy

from odoo.tests import tagged

from .common import FhirHttpCase

SERVER_OWNED = ("id", "meta")
# A 1x1 transparent PNG.
PIXEL_PNG = (
    b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def comparable(resource, drop=()):
    """A resource without what the server gives (id, meta, the registrant number)."""
    resource = copy.deepcopy(resource)
    for key in (*SERVER_OWNED, *drop):
        resource.pop(key, None)
    resource["identifier"] = [
        i
        for i in resource.get("identifier", [])
        if not i.get("system", "").endswith("/fhir/registrant-number")
    ]
    return resource


@tagged("post_install", "-at_install")
class TestFhirWrite(FhirHttpCase):
    """Create, update, conditional interactions, If-Match and round trips."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kenya = cls.env.ref("base.ke")

    def partners(self, domain):
        return self.env["res.partner"].with_context(active_test=False).search(domain)

    # ------------------------------------------------------------------ round trips

    def test_patient_round_trip(self):
        person = self.make_individual(
            "Wanjiku",
            "Kamau",
            nid="3000001",
            addl_name="Njeri",
            gender="female",
            birthdate="1978-02-03",
            email="wanjiku@example.org",
            street="12 Moi Avenue",
            city="Nairobi",
            zip="00100",
            country_id=self.kenya.id,
            image_1920=PIXEL_PNG,
            lang="en_US",
        )
        self.env["g2p.phone.number"].create(
            [
                {"partner_id": person.id, "phone_number": "+254712345678", "is_primary": True},
                {"partner_id": person.id, "phone_number": "+254733000111", "disabled": True},
            ]
        )
        status, exported = self.fhir_get("/Patient/%s" % person.id)
        self.assertEqual(status, 200, exported)
        self.assertFhirValid(exported)
        self.assertEqual(exported["birthDate"], "1978-02-03")
        self.assertIn(
            {"system": "phone", "value": "+254712345678", "use": "mobile", "rank": 1}, exported["telecom"]
        )
        self.assertEqual(exported["photo"], [{"contentType": "image/png", "data": PIXEL_PNG.decode()}])
        self.assertEqual(exported["communication"][0]["language"]["coding"][0]["code"], "en-US")
        self.assertTrue(exported["communication"][0]["preferred"])
        person.unlink()
        status, created = self.fhir_post("/Patient", comparable(exported))
        self.assertEqual(status, 201, created)
        self.assertFhirValid(created)
        self.assertNotEqual(created["id"], exported["id"])
        self.assertEqual(comparable(created), comparable(exported))

    def test_group_round_trip(self):
        head = self.make_individual("Otieno", "Ouma", nid="3000010")
        spouse = self.make_individual("Akinyi", "Ouma", nid="3000011")
        child = self.make_individual("Baby", "Ouma")
        household = self.env["res.partner"].create(
            {
                "name": "Ouma Household",
                "is_registrant": True,
                "is_group": True,
                "company_id": self.company.id,
                "group_membership_ids": [
                    (0, 0, {"individual_id": head.id, "role": "head", "start_date": "2020-01-01"}),
                    (0, 0, {"individual_id": spouse.id, "role": "spouse", "start_date": "2020-01-01"}),
                    (0, 0, {"individual_id": child.id, "role": "child", "start_date": "2022-05-01"}),
                ],
            }
        )
        status, exported = self.fhir_get("/Group/%s" % household.id)
        self.assertEqual(status, 200, exported)
        self.assertFhirValid(exported)
        self.assertEqual(exported["quantity"], 3)
        household.unlink()
        status, created = self.fhir_post("/Group", comparable(exported))
        self.assertEqual(status, 201, created)
        self.assertEqual(comparable(created), comparable(exported))
        new = self.env["res.partner"].browse(int(created["id"]))
        self.assertEqual(new.head_id, head)
        self.assertEqual(new.household_size, 3)

    def test_organization_round_trip(self):
        hospital = self.env["res.partner"].create(
            {
                "name": "St. Mary Hospital",
                "is_company": True,
                "g2p_fhir_organization_type": "prov",
                "ref": "HOSP-77",
                "phone": "+254 20 555 0100",
                "email": "claims@stmary.example",
                "city": "Mombasa",
                "country_id": self.kenya.id,
            }
        )
        status, exported = self.fhir_get("/Organization/%s" % hospital.id)
        self.assertEqual(status, 200, exported)
        self.assertFhirValid(exported)
        self.assertEqual(exported["type"][0]["coding"][0]["code"], "prov")
        hospital.unlink()
        status, created = self.fhir_post("/Organization", comparable(exported), key="contacts")
        self.assertEqual(status, 201, created)
        self.assertEqual(comparable(created), comparable(exported))

    # ------------------------------------------------------------------ create and update

    def test_create_and_update_patient(self):
        resource = self.patient_resource(
            nid="3000100",
            telecom=[
                {"system": "phone", "value": "0712 000 100"},
                {"system": "email", "value": "a@example.org"},
            ],
            address=[{"line": ["Plot 4"], "city": "Kisumu", "country": "KE"}],
        )
        response = self.fhir_request("POST", "/Patient", body=resource)
        self.assertEqual(response.status_code, 201, response.text)
        created = self.assertFhirValid(response.json())
        self.assertTrue(
            response.headers["Location"].endswith(
                "/Patient/%s/_history/%s" % (created["id"], created["meta"]["versionId"])
            )
        )
        partner = self.env["res.partner"].browse(int(created["id"]))
        self.assertEqual(
            (partner.given_name, partner.family_name, partner.gender), ("Amina", "Otieno", "female")
        )
        self.assertEqual(partner.phone_number_ids.phone_number, "+254712000100")  # E.164, read in Kenya
        self.assertEqual(partner.reg_id_ids.value, "3000100")
        self.assertEqual(partner.registrant_state, "draft")  # a registrar's import waits for approval
        self.assertEqual(partner.company_id, self.company)

        update = dict(
            created,
            name=[{"family": "Otieno-Odhiambo", "given": ["Amina", "Achieng"]}],
            telecom=[{"system": "phone", "value": "+254712000200"}],
        )
        status, updated = self.fhir_put(
            "/Patient/%s" % partner.id, update, headers={"If-Match": 'W/"%s"' % created["meta"]["versionId"]}
        )
        self.assertEqual(status, 200, updated)
        self.assertFhirValid(updated)
        self.assertNotEqual(updated["meta"]["versionId"], created["meta"]["versionId"])
        self.assertEqual((partner.family_name, partner.addl_name), ("Otieno-Odhiambo", "Achieng"))
        self.assertEqual(partner.phone_number_ids.mapped("phone_number"), ["+254712000200"])
        self.assertFalse(partner.email)

        # The first version is stale now.
        status, body = self.fhir_put(
            "/Patient/%s" % partner.id,
            dict(update, gender="male"),
            headers={"If-Match": 'W/"%s"' % created["meta"]["versionId"]},
        )
        self.assertOutcome(status, body, 412)
        self.assertEqual(partner.gender, "female")

    def test_update_of_an_approved_patient_is_proposed(self):
        status, created = self.fhir_post(
            "/Patient", self.patient_resource(nid="3000150", active=True), key="validator"
        )
        self.assertEqual(status, 201, created)
        partner = self.env["res.partner"].browse(int(created["id"]))
        update = dict(
            created,
            name=[{"family": "Otieno-Odhiambo", "given": ["Amina"]}],
            address=[{"line": ["Plot 9"], "city": "Kisumu", "country": "KE"}],
        )
        status, body = self.fhir_put("/Patient/%s" % partner.id, update)
        self.assertEqual(status, 202, body)
        self.assertEqual(body["resourceType"], "OperationOutcome")
        request = self.env["g2p.change.request"].search([("partner_id", "=", partner.id)])
        self.assertEqual(request.state, "pending")
        self.assertIn(request.name, body["issue"][0]["diagnostics"])
        self.assertEqual(body["issue"][0]["severity"], "information")
        self.assertEqual(partner.family_name, "Otieno", "applied only when a validator approves")
        self.assertEqual(partner.city, "Kisumu", "the rest of the resource is saved")
        status, read = self.fhir_get("/Patient/%s" % partner.id)
        self.assertEqual(read["name"][0]["family"], "Otieno")

    def test_validator_import_is_active(self):
        status, body = self.fhir_post(
            "/Patient", self.patient_resource(nid="3000200", active=True), key="validator"
        )
        self.assertEqual(status, 201, body)
        self.assertTrue(body["active"])
        status, body = self.fhir_post("/Patient", self.patient_resource(nid="3000201", active=True))
        self.assertEqual(status, 201, body)
        self.assertFalse(body["active"])

    def test_openimis_identifier_on_import(self):
        self.id_type.fhir_openimis_code = "Code"
        resource = self.patient_resource()
        resource["identifier"] = [
            {
                "type": {
                    "coding": [
                        {
                            "system": "https://openimis.github.io/openimis_fhir_r4_ig/CodeSystem/"
                            "openimis-identifiers",
                            "code": "Code",
                        }
                    ]
                },
                "value": "3000300",
            }
        ]
        status, body = self.fhir_post("/Patient", resource)
        self.assertEqual(status, 201, body)
        partner = self.env["res.partner"].browse(int(body["id"]))
        self.assertEqual((partner.reg_id_ids.id_type_id, partner.reg_id_ids.value), (self.id_type, "3000300"))
        emitted = next(i for i in body["identifier"] if i.get("value") == "3000300")
        self.assertEqual(emitted["type"]["coding"][0]["code"], "Code")
        self.assertEqual(emitted["system"], self.id_system)

    def test_configured_identifier_system(self):
        self.id_type.fhir_system = "http://registry.example.gov/nid"
        status, body = self.fhir_post(
            "/Patient",
            self.patient_resource(
                identifier=[{"system": "http://registry.example.gov/nid", "value": "3000400"}]
            ),
        )
        self.assertEqual(status, 201, body)
        ids = self.search_ids({"identifier": "http://registry.example.gov/nid|3000400"})
        self.assertEqual(ids, {int(body["id"])})

    def search_ids(self, params, fhir_type="Patient"):
        status, body = self.fhir_get("/" + fhir_type, params=params)
        self.assertEqual(status, 200, body)
        return {int(e["resource"]["id"]) for e in body.get("entry", [])}

    # ------------------------------------------------------------------ conditional interactions

    def test_conditional_create(self):
        existing = self.make_individual("Neema", "Mutua", nid="3000500")
        condition = {"If-None-Exist": "identifier=%s|3000500" % self.id_system}
        before = self.partners([("is_registrant", "=", True)])
        status, body = self.fhir_post("/Patient", self.patient_resource(nid="3000500"), headers=condition)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["id"], str(existing.id))
        self.assertEqual(self.partners([("is_registrant", "=", True)]), before)
        condition = {"If-None-Exist": "identifier=%s|3000501" % self.id_system}
        status, body = self.fhir_post("/Patient", self.patient_resource(nid="3000501"), headers=condition)
        self.assertEqual(status, 201, body)
        status, again = self.fhir_post("/Patient", self.patient_resource(nid="3000501"), headers=condition)
        self.assertEqual((status, again["id"]), (200, body["id"]))  # re-sent: no duplicate
        self.make_individual("Twin", "Mutua")
        status, body = self.fhir_post(
            "/Patient", self.patient_resource(family="Mutua"), headers={"If-None-Exist": "family=Mutua"}
        )
        self.assertOutcome(status, body, 409)

    def test_conditional_update(self):
        path = "/Patient?identifier=%s|3000600" % self.id_system
        status, body = self.fhir_put(path, self.patient_resource(nid="3000600"))
        self.assertEqual(status, 201, body)
        status, again = self.fhir_put(path, self.patient_resource(nid="3000600", gender="other"))
        self.assertEqual((status, again["id"]), (200, body["id"]))
        self.assertEqual(self.env["res.partner"].browse(int(body["id"])).gender, "other")
        self.make_individual("Same", "Family", nid="3000601")
        self.make_individual("Same", "Family", nid="3000602")
        status, body = self.fhir_put("/Patient?family:exact=Family", self.patient_resource(family="Family"))
        self.assertOutcome(status, body, 412)
        status, body = self.fhir_put(
            path, self.patient_resource(nid="3000600"), headers={"If-Match": 'W/"1"'}
        )
        self.assertOutcome(status, body, 412)

    # ------------------------------------------------------------------ households

    def test_group_create_update_and_head_rule(self):
        a, b, c = (self.make_individual(n, "Kilonzo") for n in ("Mwende", "Musyoka", "Ndinda"))
        group = {
            "resourceType": "Group",
            "type": "person",
            "actual": True,
            "name": "Kilonzo Household",
            "member": [
                {
                    "entity": {"reference": "Patient/%s" % a.id},
                    "extension": [{"url": self.env["g2p.fhir.group"]._fhir_head_url(), "valueBoolean": True}],
                },
                {"entity": {"reference": "Patient/%s" % b.id}},
            ],
        }
        status, created = self.fhir_post("/Group", group)
        self.assertEqual(status, 201, created)
        household = self.env["res.partner"].browse(int(created["id"]))
        self.assertEqual((household.head_id, household.household_size), (a, 2))

        # A head of this household cannot head another one.
        other = dict(group, name="Second Household", member=[group["member"][0]])
        before = self.partners([("is_group", "=", True)])
        status, body = self.fhir_post("/Group", other)
        self.assertOutcome(status, body, 422, "Group.member[0]")
        self.assertEqual(self.partners([("is_group", "=", True)]), before)

        # b becomes head, a leaves, c joins.
        role_url = self.env["g2p.fhir.group"]._fhir_role_url()
        update = dict(
            created,
            member=[
                {
                    "entity": {"reference": "Patient/%s" % b.id},
                    "extension": [{"url": role_url, "valueCode": "head"}],
                },
                {
                    "entity": {"reference": "Patient/%s" % c.id},
                    "extension": [{"url": role_url, "valueCode": "child"}],
                },
            ],
        )
        status, updated = self.fhir_put("/Group/%s" % household.id, update)
        self.assertEqual(status, 200, updated)
        self.assertFhirValid(updated)
        self.assertEqual((household.head_id, household.household_size), (b, 2))
        left = household.group_membership_ids.filtered(lambda m: m.individual_id == a)
        self.assertTrue(left.end_date)
        self.assertEqual(updated["quantity"], 2)
        self.assertTrue(
            next(m for m in updated["member"] if m["entity"]["reference"] == "Patient/%s" % a.id)["inactive"]
        )

    # ------------------------------------------------------------------ organizations

    def test_organization_writes_follow_contact_rights(self):
        psp = {
            "resourceType": "Organization",
            "name": "Mobile Pay Ltd",
            "type": [
                {"coding": [{"system": self.env["g2p.fhir.organization"]._fhir_type_system(), "code": "psp"}]}
            ],
        }
        status, body = self.fhir_post("/Organization", psp, key="contacts")
        self.assertOutcome(status, body, 403)
        self.assertFalse(self.partners([("name", "=", "Mobile Pay Ltd")]))
        status, body = self.fhir_post("/Organization", psp, key="admin")
        self.assertEqual(status, 201, body)
        self.assertTrue(self.env["res.partner"].browse(int(body["id"])).is_psp)
        hospital = {
            "resourceType": "Organization",
            "name": "Clinic A",
            "type": [
                {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov"}
                    ]
                }
            ],
        }
        status, body = self.fhir_post("/Organization", hospital)  # a registrar changes registrants only
        self.assertOutcome(status, body, 403)
        status, body = self.fhir_post("/Organization", hospital, key="contacts")
        self.assertEqual(status, 201, body)
        status, updated = self.fhir_put(
            "/Organization/%s" % body["id"], dict(body, name="Clinic A (Kisumu)"), key="contacts"
        )
        self.assertEqual((status, updated["name"]), (200, "Clinic A (Kisumu)"))
        status, archived = self.fhir_put(
            "/Organization/%s" % body["id"], dict(updated, active=False), key="contacts"
        )
        self.assertEqual((status, archived["active"]), (200, False))
        status, again = self.fhir_get("/Organization/%s" % body["id"])
        self.assertEqual((status, again["active"]), (200, False))
        status, found = self.fhir_get("/Organization", params={"name": "Clinic A", "active": "false"})
        self.assertEqual([e["resource"]["id"] for e in found["entry"]], [body["id"]])
        status, found = self.fhir_get("/Organization", params={"name": "Clinic A", "active": "true"})
        self.assertEqual(found.get("entry", []), [])

    def test_writes_follow_rights_and_rules(self):
        person = self.make_individual("Salma", "Ali", nid="3000700", gender="female")
        status, current = self.fhir_get("/Patient/%s" % person.id)
        without_id = dict(
            current, identifier=[i for i in current["identifier"] if i["system"] != self.id_system]
        )
        # Another company's registrar does not see the registrant, so cannot change it.
        status, body = self.fhir_put(
            "/Patient/%s" % person.id, dict(current, gender="male"), key="other_company"
        )
        self.assertOutcome(status, body, 404)
        self.assertEqual(person.gender, "female")
        # Removing an identity document is a validator's right, as in the back office.
        status, body = self.fhir_put("/Patient/%s" % person.id, without_id)
        self.assertOutcome(status, body, 403)
        self.assertEqual(person.reg_id_ids.value, "3000700")
        status, body = self.fhir_put("/Patient/%s" % person.id, without_id, key="validator")
        self.assertEqual(status, 200, body)
        self.assertFalse(person.reg_id_ids)
