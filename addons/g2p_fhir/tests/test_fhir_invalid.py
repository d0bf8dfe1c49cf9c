import json

from odoo.tests import tagged

from .common import FhirHttpCase

HL7_ORG = "http://terminology.hl7.org/CodeSystem/organization-type"


@tagged("post_install", "-at_install")
class TestFhirInvalidPayloads(FhirHttpCase):
    """Each bad request gets its status and an OperationOutcome naming the element, and changes
    nothing in the database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.person = cls.make_individual(
            "Juma", "Hassan", nid="7000001", gender="male", birthdate="1980-01-01"
        )
        cls.person.registrant_state = "active"
        cls.head = cls.make_individual("Halima", "Hassan", nid="7000002")
        cls.household = cls.env["res.partner"].create(
            {
                "name": "Hassan Household",
                "is_registrant": True,
                "is_group": True,
                "company_id": cls.company.id,
                "group_membership_ids": [(0, 0, {"individual_id": cls.head.id, "role": "head"})],
            }
        )
        cls.psp = cls.env["res.partner"].create(
            {"name": "Invalid Test PSP", "is_company": True, "is_psp": True}
        )

    def state(self):
        """What a refused request must leave as it is."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT (SELECT count(*) FROM res_partner), (SELECT count(*) FROM g2p_registrant_id),
                      (SELECT count(*) FROM g2p_group_membership), (SELECT count(*) FROM g2p_phone_number),
                      (SELECT array_agg(write_date ORDER BY id) FROM res_partner WHERE id IN %s),
                      (SELECT array_agg(write_date ORDER BY id) FROM g2p_group_membership
                        WHERE group_id = %s)""",
            [(self.person.id, self.head.id, self.household.id), self.household.id],
        )
        return self.env.cr.fetchone()

    def patient(self, **changes):
        resource = self.patient_resource("Asha", "Bakari", nid="7000100")
        for key, value in changes.items():
            if value is None:
                resource.pop(key, None)
            else:
                resource[key] = value
        return resource

    def group(self, **changes):
        resource = {
            "resourceType": "Group",
            "type": "person",
            "actual": True,
            "name": "New Household",
            "member": [{"entity": {"reference": "Patient/%s" % self.person.id}}],
        }
        resource.update(changes)
        return resource

    def head_member(self, patient):
        return {
            "entity": {"reference": "Patient/%s" % patient.id},
            "extension": [{"url": self.env["g2p.fhir.group"]._fhir_head_url(), "valueBoolean": True}],
        }

    def cases(self):
        """(name, method, path, body (dict, or str for raw bytes), headers, status, expression)."""
        pid = self.person.id
        current = self.env["g2p.fhir.patient"]._fhir_to_dicts(self.person)[0]
        nid = self.id_system
        return [
            # structure (fhir.resources)
            ("malformed JSON", "POST", "/Patient", "{bad json", {}, 400, None),
            ("empty body", "POST", "/Patient", "", {}, 400, None),
            ("array body", "POST", "/Patient", [], {}, 400, None),
            ("wrong resourceType", "POST", "/Patient", self.group(), {}, 400, "Patient.resourceType"),
            (
                "missing resourceType",
                "POST",
                "/Patient",
                self.patient(resourceType=None),
                {},
                400,
                "Patient.resourceType",
            ),
            (
                "unknown element",
                "POST",
                "/Patient",
                self.patient(favouriteColour="blue"),
                {},
                400,
                "Patient.favouriteColour",
            ),
            (
                "impossible month",
                "POST",
                "/Patient",
                self.patient(birthDate="1990-13-01"),
                {},
                400,
                "Patient.birthDate",
            ),
            (
                "day-first date",
                "POST",
                "/Patient",
                self.patient(birthDate="12/04/1990"),
                {},
                400,
                "Patient.birthDate",
            ),
            (
                "date as a number",
                "POST",
                "/Patient",
                self.patient(birthDate=19900412),
                {},
                400,
                "Patient.birthDate",
            ),
            (
                "photo only by URL",
                "POST",
                "/Patient",
                self.patient(photo=[{"contentType": "image/png", "url": "https://example.org/a.png"}]),
                {},
                422,
                "Patient.photo[0].data",
            ),
            (
                "photo data not base64",
                "POST",
                "/Patient",
                self.patient(photo=[{"contentType": "image/png", "data": "not base64!"}]),
                {},
                400,
                "Patient.photo[0].data",
            ),
            (
                "photo that is not an image",
                "POST",
                "/Patient",
                self.patient(photo=[{"contentType": "image/png", "data": "aGVsbG8gd29ybGQ="}]),
                {},
                400,
                "Patient.photo[0].data",
            ),
            (
                "language the system does not have",
                "POST",
                "/Patient",
                self.patient(
                    communication=[{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "xx-YY"}]}}]
                ),
                {},
                422,
                "Patient.communication[0].language",
            ),
            ("gender as a number", "POST", "/Patient", self.patient(gender=1), {}, 400, "Patient.gender"),
            (
                "name not a list",
                "POST",
                "/Patient",
                self.patient(name={"family": "Bakari"}),
                {},
                400,
                "Patient.name",
            ),
            (
                "given not a list",
                "POST",
                "/Patient",
                self.patient(name=[{"family": "B", "given": "Asha"}]),
                {},
                400,
                "Patient.name[0].given",
            ),
            (
                "active not a boolean",
                "POST",
                "/Patient",
                self.patient(active="yes"),
                {},
                400,
                "Patient.active",
            ),
            (
                "extension not a list",
                "POST",
                "/Patient",
                self.patient(extension={"url": "x"}),
                {},
                400,
                "Patient.extension",
            ),
            (
                "deceased not a boolean",
                "POST",
                "/Patient",
                self.patient(deceasedBoolean="maybe"),
                {},
                400,
                "Patient.deceasedBoolean",
            ),
            # code bindings and element rules of this server
            (
                "gender not in the value set",
                "POST",
                "/Patient",
                self.patient(gender="woman"),
                {},
                400,
                "Patient.gender",
            ),
            (
                "year-only birth date",
                "POST",
                "/Patient",
                self.patient(birthDate="1990"),
                {},
                400,
                "Patient.birthDate",
            ),
            (
                "telecom system not in the value set",
                "POST",
                "/Patient",
                self.patient(telecom=[{"system": "pigeon", "value": "x"}]),
                {},
                400,
                "Patient.telecom[0].system",
            ),
            (
                "not a phone number",
                "POST",
                "/Patient",
                self.patient(telecom=[{"system": "phone", "value": "12"}]),
                {},
                400,
                "Patient.telecom[0]",
            ),
            (
                "not an email",
                "POST",
                "/Patient",
                self.patient(telecom=[{"system": "email", "value": "asha.example"}]),
                {},
                400,
                "Patient.telecom[0]",
            ),
            (
                "identifier against the ID pattern",
                "POST",
                "/Patient",
                self.patient(identifier=[{"system": nid, "value": "12AB"}]),
                {},
                400,
                "Patient.identifier[0].value",
            ),
            (
                "identifier without a value",
                "POST",
                "/Patient",
                self.patient(identifier=[{"system": nid}]),
                {},
                400,
                "Patient.identifier[0].value",
            ),
            (
                "unknown country",
                "POST",
                "/Patient",
                self.patient(address=[{"city": "X", "country": "ZZ"}]),
                {},
                400,
                "Patient.address[0].country",
            ),
            ("an id on create", "POST", "/Patient", self.patient(id="123"), {}, 400, "Patient.id"),
            (
                "unknown condition",
                "POST",
                "/Patient",
                self.patient(),
                {"If-None-Exist": "colour=blue"},
                400,
                "colour",
            ),
            # business rules
            (
                "birth date in the future",
                "POST",
                "/Patient",
                self.patient(birthDate="2999-01-01"),
                {},
                422,
                "Patient.birthDate",
            ),
            ("no name", "POST", "/Patient", self.patient(name=None), {}, 422, "Patient.name"),
            (
                "unknown identifier system",
                "POST",
                "/Patient",
                self.patient(identifier=[{"system": "http://nowhere.example/id", "value": "1"}]),
                {},
                422,
                "Patient.identifier[0]",
            ),
            (
                "identifier of another registrant",
                "POST",
                "/Patient",
                self.patient(identifier=[{"system": nid, "value": "7000001"}]),
                {},
                409,
                "Patient.identifier[0]",
            ),
            (
                "two IDs of one type",
                "POST",
                "/Patient",
                self.patient(
                    identifier=[{"system": nid, "value": "7000101"}, {"system": nid, "value": "7000102"}]
                ),
                {},
                422,
                "Patient.identifier[1]",
            ),
            (
                "managing organization not a company of ours",
                "POST",
                "/Patient",
                self.patient(managingOrganization={"reference": "Organization/%s" % self.psp.id}),
                {},
                422,
                "Patient.managingOrganization",
            ),
            (
                "managing organization not an Organization",
                "POST",
                "/Patient",
                self.patient(managingOrganization={"reference": "Patient/%s" % pid}),
                {},
                422,
                "Patient.managingOrganization",
            ),
            # updates
            (
                "id not the URL's",
                "PUT",
                "/Patient/%s" % pid,
                dict(current, id=str(self.head.id)),
                {},
                400,
                "Patient.id",
            ),
            (
                "stale If-Match",
                "PUT",
                "/Patient/%s" % pid,
                dict(current, gender="female"),
                {"If-Match": 'W/"1"'},
                412,
                None,
            ),
            (
                "update of a missing Patient",
                "PUT",
                "/Patient/999999999",
                dict(current, id="999999999"),
                {},
                404,
                None,
            ),
            (
                "disabling without a reason",
                "PUT",
                "/Patient/%s" % pid,
                dict(current, active=False),
                {},
                422,
                "Patient.active",
            ),
            (
                "invalid date on update",
                "PUT",
                "/Patient/%s" % pid,
                dict(current, birthDate="1980-02-30"),
                {},
                400,
                "Patient.birthDate",
            ),
            ("update without criteria", "PUT", "/Patient", dict(current), {}, 400, None),
            (
                "wrong content type",
                "PUT",
                "/Patient/%s" % pid,
                json.dumps(current),
                {"Content-Type": "text/plain"},
                415,
                None,
            ),
            # households
            ("group of animals", "POST", "/Group", self.group(type="animal"), {}, 400, "Group.type"),
            ("group not actual", "POST", "/Group", self.group(actual=False), {}, 422, "Group.actual"),
            ("household without a name", "POST", "/Group", self.group(name=" "), {}, 422, "Group.name"),
            (
                "member that does not exist",
                "POST",
                "/Group",
                self.group(member=[{"entity": {"reference": "Patient/999999999"}}]),
                {},
                422,
                "Group.member[0].entity",
            ),
            (
                "member that is a household",
                "POST",
                "/Group",
                self.group(member=[{"entity": {"reference": "Group/%s" % self.household.id}}]),
                {},
                422,
                "Group.member[0].entity",
            ),
            (
                "member listed twice",
                "POST",
                "/Group",
                self.group(member=[{"entity": {"reference": "Patient/%s" % pid}}] * 2),
                {},
                422,
                "Group.member[1].entity",
            ),
            (
                "two heads",
                "POST",
                "/Group",
                self.group(
                    member=[self.head_member(self.person), self.head_member(self.make_individual("X", "Y"))]
                ),
                {},
                422,
                "Group.member[1]",
            ),
            (
                "head of another household",
                "POST",
                "/Group",
                self.group(member=[self.head_member(self.head)]),
                {},
                422,
                "Group.member[0]",
            ),
            (
                "role not in the value set",
                "POST",
                "/Group",
                self.group(
                    member=[
                        {
                            "entity": {"reference": "Patient/%s" % pid},
                            "extension": [
                                {"url": self.env["g2p.fhir.group"]._fhir_role_url(), "valueCode": "boss"}
                            ],
                        }
                    ]
                ),
                {},
                400,
                "Group.member[0].extension",
            ),
            (
                "quantity not a number",
                "POST",
                "/Group",
                self.group(quantity="two"),
                {},
                400,
                "Group.quantity",
            ),
            # organizations
            (
                "the insurer over FHIR",
                "POST",
                "/Organization",
                {
                    "resourceType": "Organization",
                    "name": "Insurer",
                    "type": [{"coding": [{"system": HL7_ORG, "code": "ins"}]}],
                },
                {},
                422,
                "Organization.type[0]",
            ),
            (
                "organization type not supported",
                "POST",
                "/Organization",
                {
                    "resourceType": "Organization",
                    "name": "Ministry",
                    "type": [{"coding": [{"system": HL7_ORG, "code": "govt"}]}],
                },
                {},
                400,
                "Organization.type[0]",
            ),
            (
                "organization without a name",
                "POST",
                "/Organization",
                {"resourceType": "Organization"},
                {},
                422,
                "Organization.name",
            ),
            (
                "organization unknown element",
                "POST",
                "/Organization",
                {"resourceType": "Organization", "name": "X", "colour": "red"},
                {},
                400,
                "Organization.colour",
            ),
            # Bundles
            (
                "Bundle of type collection",
                "POST",
                "",
                {"resourceType": "Bundle", "type": "collection"},
                {},
                400,
                "Bundle.type",
            ),
            (
                "Bundle entry without request",
                "POST",
                "",
                {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": self.patient()}]},
                {},
                400,
                "Bundle.entry[0].request",
            ),
            (
                "Bundle entry DELETE",
                "POST",
                "",
                {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [{"request": {"method": "DELETE", "url": "Patient/%s" % pid}}],
                },
                {},
                400,
                "Bundle.entry[0].request",
            ),
            ("a Patient posted as a Bundle", "POST", "", self.patient(), {}, 400, "Bundle.resourceType"),
            (
                "transaction with one invalid entry",
                "POST",
                "",
                {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [
                        {"resource": self.patient(), "request": {"method": "POST", "url": "Patient"}},
                        {
                            "resource": self.patient(gender="woman", identifier=None),
                            "request": {"method": "POST", "url": "Patient"},
                        },
                    ],
                },
                {},
                400,
                "Bundle.entry[1]",
            ),
            # searches
            ("search by an unknown parameter", "GET", "/Patient?colour=blue", None, {}, 400, "colour"),
            ("search by a bad date", "GET", "/Patient?birthdate=yesterday", None, {}, 400, "birthdate"),
            (
                "search with an unsupported modifier",
                "GET",
                "/Patient?name:fuzzy=x",
                None,
                {},
                400,
                "name",
            ),
            (
                "search by a gender not in the value set",
                "GET",
                "/Patient?gender=woman",
                None,
                {},
                400,
                "gender",
            ),
            ("negative _count", "GET", "/Patient?_count=-1", None, {}, 400, "_count"),
            ("sort by an unsupported key", "GET", "/Patient?_sort=name", None, {}, 400, "_sort"),
            ("_count beyond the page limit", "GET", "/Patient?_count=99999999999", None, {}, 400, "_count"),
            (
                "date before the calendar",
                "GET",
                "/Patient?_lastUpdated=lt0001-01-01T00:00:00%2B14:00",
                None,
                {},
                400,
                "_lastUpdated",
            ),
        ]

    def test_invalid_payloads(self):
        cases = self.cases()
        self.assertGreaterEqual(len(cases), 40)
        before = self.state()
        failures = []
        for name, method, path, body, headers, status, expression in cases:
            if isinstance(body, str):
                response = self.fhir_request(method, path, raw=body, headers=headers)
            else:
                response = self.fhir_request(method, path, body=body, headers=headers)
            try:
                self.assertEqual(response.headers["Content-Type"].split(";")[0], "application/fhir+json")
                self.assertOutcome(response.status_code, response.json(), status, expression)
                self.assertEqual(self.state(), before, "data changed")
            except AssertionError as e:
                failures.append("%s: %s" % (name, str(e)[:300]))
                before = self.state()
        self.assertFalse(failures, "\n".join(failures))
