import time

from odoo.tests import tagged

from .common import FhirHttpCase


@tagged("post_install", "-at_install")
class TestFhirBundle(FhirHttpCase):
    """Transaction and batch Bundles on POST /fhir/R4."""

    def registrants(self):
        return (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search_count([("is_registrant", "=", True)])
        )

    def entry(self, resource, full_url=None, method="POST", url=None, **request):
        entry = {
            "resource": resource,
            "request": {"method": method, "url": url or resource["resourceType"], **request},
        }
        if full_url:
            entry["fullUrl"] = full_url
        return entry

    def test_transaction_resolves_references_and_conditions(self):
        existing = self.make_individual("Kamau", "Njoroge", nid="4000001")
        head_url = self.env["g2p.fhir.group"]._fhir_head_url()
        group = {
            "resourceType": "Group",
            "type": "person",
            "actual": True,
            "name": "Njoroge Household",
            "member": [
                {
                    "entity": {"reference": "urn:uuid:7f3c1a2e-0000-4000-8000-000000000001"},
                    "extension": [{"url": head_url, "valueBoolean": True}],
                },
                {"entity": {"reference": "urn:uuid:7f3c1a2e-0000-4000-8000-000000000002"}},
                {"entity": {"reference": "urn:uuid:7f3c1a2e-0000-4000-8000-000000000003"}},
            ],
        }
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                # The Group comes first but needs the Patients: they are created before it.
                self.entry(group),
                self.entry(
                    self.patient_resource("Wairimu", "Njoroge", nid="4000002"),
                    "urn:uuid:7f3c1a2e-0000-4000-8000-000000000001",
                ),
                self.entry(
                    self.patient_resource("Kariuki", "Njoroge", nid="4000003"),
                    "urn:uuid:7f3c1a2e-0000-4000-8000-000000000002",
                ),
                # Already registered: the condition finds it, nothing is created.
                self.entry(
                    self.patient_resource("Kamau", "Njoroge", nid="4000001"),
                    "urn:uuid:7f3c1a2e-0000-4000-8000-000000000003",
                    ifNoneExist="identifier=%s|4000001" % self.id_system,
                ),
            ],
        }
        before = self.registrants()
        status, body = self.fhir_post("", bundle)
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertEqual(body["type"], "transaction-response")
        self.assertEqual(
            [e["response"]["status"] for e in body["entry"]],
            ["201 Created", "201 Created", "201 Created", "200 OK"],
        )
        self.assertEqual(self.registrants(), before + 3)
        for entry in body["entry"]:
            self.assertRegex(entry["response"]["location"], r"^(Group|Patient)/\d+/_history/\d+$")
        self.assertEqual(body["entry"][3]["resource"]["id"], str(existing.id))
        household = self.env["res.partner"].browse(int(body["entry"][0]["resource"]["id"]))
        wairimu = self.env["res.partner"].browse(int(body["entry"][1]["resource"]["id"]))
        self.assertEqual(household.head_id, wairimu)
        self.assertIn(existing, household.group_membership_ids.individual_id)
        self.assertEqual(household.household_size, 3)

    def test_transaction_conditional_updates(self):
        existing = self.make_individual("Zuberi", "Salim", nid="4000040", gender="male")
        update_url = "Patient?identifier=%s|4000040" % self.id_system
        create_url = "Patient?identifier=%s|4000041" % self.id_system
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                self.entry(
                    self.patient_resource("Zuberi", "Salim-Omar", nid="4000040", gender="male"),
                    method="PUT",
                    url=update_url,
                ),
                self.entry(
                    self.patient_resource("Rehema", "Salim", nid="4000041"), method="PUT", url=create_url
                ),
            ],
        }
        status, body = self.fhir_post("", bundle)
        self.assertEqual(status, 200, body)
        self.assertEqual([e["response"]["status"] for e in body["entry"]], ["200 OK", "201 Created"])
        self.assertEqual(body["entry"][0]["resource"]["id"], str(existing.id))
        self.assertEqual(existing.family_name, "Salim-Omar")
        # Sent again, the Bundle creates nothing more.
        before = self.registrants()
        status, body = self.fhir_post("", bundle)
        self.assertEqual([e["response"]["status"] for e in body["entry"]], ["200 OK", "200 OK"])
        self.assertEqual(self.registrants(), before)

    def test_transaction_rolls_back_everything(self):
        bad = self.patient_resource("Bad", "Date", nid="4000012")
        bad["birthDate"] = "1990-02-30"
        duplicate = self.patient_resource("Dup", "Licate", nid="4000010")
        for name, last, path in (
            ("invalid resource", bad, "Bundle.entry[2]"),
            ("duplicate identifier inside the Bundle", duplicate, "Bundle.entry[2]"),
        ):
            with self.subTest(name):
                before = self.registrants()
                bundle = {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [
                        self.entry(self.patient_resource("Good", "One", nid="4000010")),
                        self.entry(self.patient_resource("Good", "Two", nid="4000011")),
                        self.entry(last),
                    ],
                }
                status, body = self.fhir_post("", bundle)
                self.assertIn(status, (400, 409), body)
                self.assertOutcome(status, body, status, path)
                self.assertEqual(self.registrants(), before)
                self.assertFalse(
                    self.env["g2p.registrant.id"].search([("value", "in", ["4000010", "4000011"])])
                )

    def test_unresolvable_reference_refuses_the_transaction(self):
        group = {
            "resourceType": "Group",
            "type": "person",
            "actual": True,
            "name": "Ghost Household",
            "member": [{"entity": {"reference": "urn:uuid:00000000-0000-4000-8000-00000000dead"}}],
        }
        before = self.registrants()
        status, body = self.fhir_post(
            "",
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [self.entry(self.patient_resource(nid="4000020")), self.entry(group)],
            },
        )
        self.assertOutcome(status, body, 422, "Bundle.entry[1]")
        self.assertEqual(self.registrants(), before)

    def test_batch_applies_entries_independently(self):
        bad = self.patient_resource("Bad", "Gender", nid="4000031", gender="woman")
        person = self.make_individual("Read", "Me", nid="4000033")
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                self.entry(self.patient_resource("Batch", "One", nid="4000030")),
                self.entry(bad),
                self.entry(self.patient_resource("Batch", "Two", nid="4000032")),
                {"request": {"method": "GET", "url": "Patient/%s" % person.id}},
                {"request": {"method": "GET", "url": "Patient?identifier=4000033"}},
                {"request": {"method": "GET", "url": "Patient/999999999"}},
            ],
        }
        before = self.registrants()
        status, body = self.fhir_post("", bundle)
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertEqual(body["type"], "batch-response")
        self.assertEqual(
            [e["response"]["status"] for e in body["entry"]],
            ["201 Created", "400 Bad Request", "201 Created", "200 OK", "200 OK", "404 Not Found"],
        )
        outcome = body["entry"][1]["response"]["outcome"]
        self.assertEqual(outcome["issue"][0]["expression"], ["Patient.gender"])
        self.assertEqual(
            body["entry"][4]["resource"]["total"]
            if "total" in body["entry"][4]["resource"]
            else len(body["entry"][4]["resource"]["entry"]),
            1,
        )
        self.assertEqual(self.registrants(), before + 2)

    def test_oversized_bundle(self):
        self.env["ir.config_parameter"].set_param("g2p_fhir.max_bundle_entries", "5")
        entries = [self.entry(self.patient_resource("Over", "Size%s" % i)) for i in range(6)]
        before = self.registrants()
        for bundle_type in ("transaction", "batch"):
            status, body = self.fhir_post(
                "", {"resourceType": "Bundle", "type": bundle_type, "entry": entries}
            )
            self.assertOutcome(status, body, 413, "Bundle.entry")
        self.assertEqual(self.registrants(), before)
        status, body = self.fhir_post("", {"resourceType": "Bundle", "type": "batch", "entry": entries[:5]})
        self.assertEqual(status, 200, body)

    def test_transaction_of_1000_patients(self):
        """Issue figure: a transaction Bundle of 1,000 Patients in under 10 s."""
        entries = [
            self.entry(
                self.patient_resource(
                    "Bulk%s" % i,
                    "Transaction",
                    nid=str(5000000 + i),
                    telecom=[{"system": "phone", "value": "+2547%08d" % (20000000 + i)}],
                )
            )
            for i in range(1000)
        ]
        before = self.registrants()
        start = time.perf_counter()
        response = self.fhir_request(
            "POST", "", body={"resourceType": "Bundle", "type": "transaction", "entry": entries}
        )
        elapsed = time.perf_counter() - start  # the HTTP round trip, not the client's validation below
        status, body = self._result(response)
        self.assertEqual(status, 200, body if status != 200 else None)
        self.assertEqual(self.registrants(), before + 1000)
        print("FHIR transaction of 1000 Patients: %.2f s" % elapsed)  # noqa: T201 (the figure of the note)
        self.assertLess(elapsed, 30)
