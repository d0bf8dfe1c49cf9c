"""Coverage, Claim, ClaimResponse and Invoice over real HTTP: read, search with each parameter,
Claim create (conditional, business rules, invalid payloads) and the adjudication figures."""

import copy
from datetime import date

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import API_GROUP, FhirHttpCase
from odoo.addons.g2p_fhir.models.g2p_fhir_insurance import (
    ADJUDICATION_SYSTEM,
    FM_STATUS,
    INVOICE_STATUS,
    REMITTANCE_OUTCOMES,
)

CLAIMS = "g2p_insurance_accounting.group_g2p_claims_officer"
FINANCE = "g2p_insurance_accounting.group_g2p_insurance_finance"


class FhirInsuranceCase(FhirHttpCase):
    """The Nduta household (3 members) with an active family cover whose product has a total limit
    of 200,000, maternity capped at 100,000 per period, optical at 5,000 per claim and dental
    excluded; a second household with a suspended cover paid by an employer; two hospitals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        for role, groups in {
            "claims": [API_GROUP, CLAIMS],
            "ins_finance": [API_GROUP, FINANCE],
            "ins_other_company": [API_GROUP, CLAIMS, FINANCE],
        }.items():
            company = cls.other_company if role == "ins_other_company" else cls.company
            user = new_test_user(
                env,
                "fhir_%s" % role,
                groups=",".join(groups),
                company_id=company.id,
                company_ids=[company.id],
            )
            cls.users[role] = user
            cls.keys[role] = cls._make_key(user)
        cls.currency = cls.company.currency_id
        Partner = env["res.partner"]
        cls.head, cls.spouse, cls.child = Partner.create(
            [
                {"given_name": n, "family_name": "Nduta", "is_registrant": True}
                for n in ("Grace", "Peter", "Amani")
            ]
        )
        cls.family = Partner.create({"name": "Nduta Household", "is_registrant": True, "is_group": True})
        cls.other_head = Partner.create(
            {"given_name": "Otieno", "family_name": "Baraka", "is_registrant": True}
        )
        cls.other_family = Partner.create(
            {"name": "Baraka Household", "is_registrant": True, "is_group": True}
        )
        env["g2p.group.membership"].create(
            [
                {"group_id": cls.family.id, "individual_id": cls.head.id, "role": "head"},
                {"group_id": cls.family.id, "individual_id": cls.spouse.id, "role": "spouse"},
                {"group_id": cls.family.id, "individual_id": cls.child.id, "role": "child"},
                {"group_id": cls.other_family.id, "individual_id": cls.other_head.id, "role": "head"},
            ]
        )
        (cls.family | cls.head | cls.spouse | cls.child | cls.other_family | cls.other_head).action_approve()
        cls.hospital, cls.clinic, cls.employer = Partner.create(
            [
                {"name": "Mater Hospital", "is_company": True},
                {"name": "Eye Clinic", "is_company": True},
                {"name": "Tea Estates Ltd", "is_company": True},
            ]
        )
        ref = env.ref
        cls.inpatient = ref("g2p_insurance_accounting.category_inpatient")
        cls.maternity = ref("g2p_insurance_accounting.category_maternity")
        cls.optical = ref("g2p_insurance_accounting.category_optical")
        cls.dental = ref("g2p_insurance_accounting.category_dental")
        finance = cls.users["ins_finance"]
        cls.product = (
            env["g2p.insurance.product"]
            .with_user(finance)
            .create(
                {
                    "name": "Family Health",
                    "code": "FH200",
                    "total_limit": 200_000,
                    "premium": 12_000,
                    "period_months": 12,
                    "category_rule_ids": [
                        Command.create({"category_id": cls.inpatient.id}),
                        Command.create({"category_id": cls.maternity.id, "cap_period": 100_000}),
                        Command.create({"category_id": cls.optical.id, "cap_instance": 5_000}),
                        Command.create({"category_id": cls.dental.id, "excluded": True}),
                    ],
                }
            )
        )
        Policy = env["g2p.insurance.policy"].with_user(finance)
        cls.policy = Policy.create(
            {"product_id": cls.product.id, "holder_id": cls.family.id, "date_start": date(2024, 1, 1)}
        )
        cls.policy.action_activate()
        cls.policy._register_premium_payment(date=date(2024, 1, 5))
        cls.suspended = Policy.create(
            {
                "product_id": cls.product.id,
                "holder_id": cls.other_family.id,
                "payer_id": cls.employer.id,
                "date_start": date(2024, 1, 1),
            }
        )
        cls.suspended.action_activate()
        cls.suspended._set_suspended(date(2024, 2, 15))
        cls.draft = Policy.create(
            {"product_id": cls.product.id, "holder_id": cls.other_head.id, "date_start": date(2024, 6, 1)}
        )

    # ------------------------------------------------------------------ helpers

    def claim_payload(self, reference, member=None, category=None, amount=1000.0, policy=None, **changes):
        category = category or self.inpatient
        system = self.env["g2p.fhir.insurance"]._fhir_code_system("benefit-category")
        coding = {"coding": [{"system": system, "code": category.code}]}
        money = {"value": amount, "currency": self.currency.name}
        payload = {
            "resourceType": "Claim",
            "identifier": [
                {"system": self.env["g2p.fhir.insurance"]._fhir_system("provider-claim"), "value": reference}
            ],
            "status": "active",
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}
                ]
            },
            "use": "claim",
            "patient": {"reference": "Patient/%s" % (member or self.spouse).id},
            "created": "2024-03-20",
            "provider": {"reference": "Organization/%s" % self.hospital.id},
            "priority": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}
                ]
            },
            "insurance": [
                {
                    "sequence": 1,
                    "focal": True,
                    "coverage": {"reference": "Coverage/%s" % (policy or self.policy).id},
                }
            ],
            "item": [
                {
                    "sequence": 1,
                    "category": coding,
                    "productOrService": copy.deepcopy(coding),
                    "servicedDate": "2024-03-18",
                    "net": money,
                }
            ],
            "total": dict(money),
        }
        payload.update(changes)
        return payload

    def post_claim(self, payload, key="claims", headers=None):
        status, body = self.fhir_post("/Claim", payload, key=key, headers=headers)
        self.assertIn(status, (200, 201), body)
        self.assertFhirValid(body)
        return self.env["g2p.insurance.claim"].browse(int(body["id"]))

    def search(self, fhir_type, params, key="claims", expected_status=200):
        status, body = self.fhir_get("/%s" % fhir_type, params=params, key=key)
        self.assertEqual(status, expected_status, body)
        if status == 200:
            self.assertFhirValid(body)
            self.assertEqual(body["resourceType"], "Bundle")
            return sorted(
                int(e["resource"]["id"])
                for e in body.get("entry") or []
                if e.get("search", {}).get("mode", "match") == "match"
            )
        return body

    def adjudication(self, resource, code):
        for adj in resource["item"][0]["adjudication"]:
            if adj["category"]["coding"][0]["code"] == code:
                self.assertEqual(adj["category"]["coding"][0]["system"], ADJUDICATION_SYSTEM)
                self.assertEqual(adj["amount"]["currency"], self.currency.name)
                return adj["amount"]["value"]
        return None


@tagged("post_install", "-at_install")
class TestFhirCoverage(FhirInsuranceCase):
    def test_read_coverage(self):
        status, body = self.fhir_get("/Coverage/%s" % self.policy.id, key="claims")
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "active")
        self.assertIn(body["status"], FM_STATUS)
        self.assertEqual(body["beneficiary"], {"reference": "Patient/%s" % self.head.id})
        self.assertEqual(body["payor"], [{"reference": "Organization/%s" % self.company.partner_id.id}])
        self.assertEqual(body["period"], {"start": "2024-01-01", "end": "2024-12-31"})
        self.assertEqual(body["class"][0]["value"], "FH200")
        self.assertEqual(body["identifier"][0]["value"], self.policy.name)
        self.assertEqual(body["meta"]["versionId"], self.env["g2p.fhir.coverage"]._fhir_version(self.policy))
        members = {
            e["valueReference"]["reference"]
            for e in body["extension"]
            if e["url"].endswith("/coverage-member")
        }
        self.assertEqual(members, {"Patient/%s" % p.id for p in (self.head, self.spouse, self.child)})

        status, body = self.fhir_get("/Coverage/%s" % self.suspended.id, key="ins_finance")
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "cancelled", "a suspended cover is not in force")
        self.assertEqual(body["policyHolder"], {"reference": "Organization/%s" % self.employer.id})
        status, body = self.fhir_get("/Coverage/%s" % self.draft.id, key="ins_finance")
        self.assertEqual((status, body["status"]), (200, "draft"))
        self.assertEqual(body["beneficiary"], {"reference": "Patient/%s" % self.other_head.id})

    def test_search_coverage_by_each_parameter(self):
        system = self.env["g2p.fhir.insurance"]._fhir_system("insurance-cover")
        mine = [self.policy.id]
        self.assertEqual(self.search("Coverage", {"identifier": "%s|%s" % (system, self.policy.name)}), mine)
        self.assertEqual(self.search("Coverage", {"identifier": self.policy.name}), mine)
        self.assertEqual(self.search("Coverage", {"identifier": "urn:other|%s" % self.policy.name}), [])
        self.assertEqual(self.search("Coverage", {"patient": "Patient/%s" % self.child.id}), mine)
        self.assertEqual(
            self.search("Coverage", {"beneficiary": str(self.other_head.id)}),
            sorted((self.suspended | self.draft).ids),
        )
        self.assertEqual(self.search("Coverage", {"patient": "Group/%s" % self.family.id}), [])
        ours = (self.policy | self.suspended | self.draft).ids
        active = self.search("Coverage", {"status": "active"})
        self.assertIn(self.policy.id, active)
        self.assertFalse(set(active) & {self.suspended.id, self.draft.id})
        self.assertEqual(
            set(self.search("Coverage", {"status": "cancelled"})) & set(ours), {self.suspended.id}
        )
        self.assertEqual(
            set(self.search("Coverage", {"status:not": "active"})) & set(ours),
            {self.suspended.id, self.draft.id},
        )
        self.assertEqual(
            set(self.search("Coverage", {"_lastUpdated": "gt2000-01-01"})) & set(ours), set(ours)
        )
        self.assertEqual(self.search("Coverage", {"_lastUpdated": "lt2000-01-01"}), [])
        body = self.search("Coverage", {"status": "on-hold"}, expected_status=400)
        self.assertOutcome(400, body, 400, "status")

    def test_capability_statement_lists_the_insurance_types(self):
        status, body = self.fhir_get("/metadata", key=None)
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        resources = {r["type"]: r for r in body["rest"][0]["resource"]}
        expected = {
            "Coverage": ({"read", "search-type"}, {"identifier", "patient", "beneficiary", "status"}),
            "Claim": (
                {"read", "search-type", "create"},
                {"identifier", "patient", "provider", "status", "created"},
            ),
            "ClaimResponse": (
                {"read", "search-type"},
                {"identifier", "request", "patient", "status", "outcome"},
            ),
            "PaymentNotice": (
                {"read", "search-type"},
                {"identifier", "status", "payment-status", "request", "created"},
            ),
            "PaymentReconciliation": ({"read", "search-type"}, {"identifier", "status", "created"}),
            "Invoice": (
                {"read", "search-type"},
                {"identifier", "status", "patient", "subject", "recipient", "date"},
            ),
        }
        for fhir_type, (interactions, params) in expected.items():
            resource = resources[fhir_type]
            self.assertEqual({i["code"] for i in resource["interaction"]}, interactions, fhir_type)
            self.assertEqual(
                {p["name"] for p in resource["searchParam"]}, params | {"_id", "_lastUpdated"}, fhir_type
            )

    def test_record_rules_and_rights(self):
        status, body = self.fhir_get("/Coverage/%s" % self.policy.id, key="ins_other_company")
        self.assertOutcome(status, body, 404)
        self.assertEqual(self.search("Coverage", {"patient": str(self.head.id)}, key="ins_other_company"), [])
        status, body = self.fhir_get("/Coverage", key="api_only")
        self.assertOutcome(status, body, 403)


@tagged("post_install", "-at_install")
class TestFhirClaim(FhirInsuranceCase):
    def counts(self):
        self.env.invalidate_all()
        return (
            self.env["g2p.insurance.claim"].sudo().search_count([]),
            self.env["account.move"].sudo().search_count([]),
            self.env["account.move.line"].sudo().search_count([]),
        )

    def test_create_receives_the_claim_and_reads_it_back(self):
        claim = self.post_claim(self.claim_payload("MH-1001", amount=1234.5))
        self.assertEqual(claim.state, "received")
        self.assertEqual(
            (claim.member_id, claim.provider_id, claim.category_id, claim.claimed_amount, claim.date_service),
            (self.spouse, self.hospital, self.inpatient, 1234.5, date(2024, 3, 18)),
        )
        self.assertEqual(claim.received_by_id, self.users["claims"])
        self.assertTrue(claim.receipt_move_id)
        draft = self.post_claim(self.claim_payload("MH-1002", status="draft"))
        self.assertEqual(draft.state, "draft")
        self.assertFalse(draft.receipt_move_id)
        status, body = self.fhir_get("/Claim/%s" % draft.id, key="claims")
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "draft")
        self.assertEqual(body["total"], {"value": 1000.0, "currency": self.currency.name})

    def test_round_trip(self):
        """Export a claim, import the export into a fresh claim, export again: equal."""
        original = self.post_claim(
            self.claim_payload("MH-2001", member=self.child, category=self.optical, amount=4321.75)
        )
        status, exported = self.fhir_get("/Claim/%s" % original.id, key="claims")
        self.assertFhirValid(exported)
        resend = copy.deepcopy(exported)
        for key in ("id", "meta"):
            resend.pop(key)
        resend["identifier"] = [dict(resend["identifier"][0], value="MH-2001-bis")]
        fresh = self.post_claim(resend)
        self.assertNotEqual(fresh, original)
        status, again = self.fhir_get("/Claim/%s" % fresh.id, key="claims")
        self.assertFhirValid(again)

        def comparable(resource):
            resource = copy.deepcopy(resource)
            for key in ("id", "meta", "identifier"):
                resource.pop(key)
            return resource

        self.assertEqual(comparable(again), comparable(exported))
        self.assertEqual(again["identifier"][0]["value"], "MH-2001-bis")
        for fname in (
            "policy_id",
            "member_id",
            "provider_id",
            "category_id",
            "claimed_amount",
            "date_service",
            "date_received",
            "state",
        ):
            self.assertEqual(fresh[fname], original[fname], fname)

    def test_conditional_create_never_duplicates(self):
        payload = self.claim_payload("MH-3001")
        system = payload["identifier"][0]["system"]
        condition = {"If-None-Exist": "identifier=%s|MH-3001" % system}
        first = self.post_claim(payload, headers=condition)
        before = self.counts()
        status, body = self.fhir_post("/Claim", payload, key="claims", headers=condition)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["id"], str(first.id))
        self.assertEqual(self.counts(), before)
        # Re-sent without the condition: the provider's claim number is known, refused.
        status, body = self.fhir_post("/Claim", payload, key="claims")
        self.assertOutcome(status, body, 409, "Claim.identifier")
        self.assertEqual(self.counts(), before)

    def test_claim_against_an_inactive_cover_is_refused(self):
        before = self.counts()
        for policy, member in ((self.suspended, self.other_head), (self.draft, self.other_head)):
            payload = self.claim_payload("INACTIVE-%s" % policy.id, member=member, policy=policy)
            status, body = self.fhir_post("/Claim", payload, key="claims")
            self.assertOutcome(status, body, 422, "Claim.insurance[0].coverage")
            self.assertIn("not active", body["issue"][0]["diagnostics"])
        self.assertEqual(self.counts(), before)

    def test_invalid_claims_change_nothing(self):
        good = self.claim_payload("BAD-1")
        system = self.env["g2p.fhir.insurance"]._fhir_code_system("benefit-category")

        def variant(path_setter):
            payload = copy.deepcopy(good)
            path_setter(payload)
            return payload

        cases = [
            (
                "wrong resourceType",
                variant(lambda p: p.update(resourceType="Patient")),
                400,
                "Claim.resourceType",
            ),
            ("unknown element", variant(lambda p: p.update(colour="blue")), 400, "Claim.colour"),
            ("wrong type", variant(lambda p: p["item"][0]["net"].update(value="a lot")), 400, "Claim.item"),
            (
                "bad date",
                variant(lambda p: p["item"][0].update(servicedDate="2024-13-45")),
                400,
                "Claim.item",
            ),
            ("status code", variant(lambda p: p.update(status="approved")), 400, "Claim.status"),
            ("cancelled claim", variant(lambda p: p.update(status="cancelled")), 422, "Claim.status"),
            ("type code", variant(lambda p: p["type"]["coding"][0].update(code="dental")), 400, "Claim.type"),
            (
                "priority code",
                variant(lambda p: p["priority"]["coding"][0].update(code="urgent")),
                400,
                "Claim.priority",
            ),
            ("use", variant(lambda p: p.update(use="preauthorization")), 422, "Claim.use"),
            (
                "unknown category",
                variant(
                    lambda p: p["item"][0].update(
                        category={"coding": [{"system": system, "code": "astrology"}]}
                    )
                ),
                400,
                "Claim.item[0].category",
            ),
            (
                "negative amount",
                variant(lambda p: (p["item"][0]["net"].update(value=-5), p.pop("total"))),
                400,
                "Claim.item[0].net",
            ),
            (
                "currency",
                variant(lambda p: (p["item"][0]["net"].update(currency="XAU"), p.pop("total"))),
                422,
                "Claim.item[0].net.currency",
            ),
            ("total mismatch", variant(lambda p: p["total"].update(value=999)), 400, "Claim.total"),
            ("no identifier", variant(lambda p: p.pop("identifier")), 400, "Claim.identifier"),
            (
                "patient not covered",
                variant(lambda p: p.update(patient={"reference": "Patient/%s" % self.other_head.id})),
                422,
                "Claim.patient",
            ),
            (
                "patient is a household",
                variant(lambda p: p.update(patient={"reference": "Group/%s" % self.family.id})),
                400,
                "Claim.patient",
            ),
            (
                "provider is a registrant",
                variant(lambda p: p.update(provider={"reference": "Organization/%s" % self.head.id})),
                422,
                "Claim.provider",
            ),
            (
                "unknown coverage",
                variant(lambda p: p["insurance"][0].update(coverage={"reference": "Coverage/999999999"})),
                422,
                "Claim.insurance[0].coverage",
            ),
            (
                "two categories",
                variant(
                    lambda p: p["item"].append(
                        dict(
                            copy.deepcopy(p["item"][0]),
                            sequence=2,
                            category={"coding": [{"system": system, "code": "optical"}]},
                        )
                    )
                ),
                422,
                "Claim.item[1]",
            ),
            ("no item", variant(lambda p: p.update(item=[])), 400, "Claim.item"),
            ("no insurance", variant(lambda p: p.update(insurance=[])), 400, "Claim.insurance"),
            (
                "partial service date",
                variant(lambda p: p["item"][0].update(servicedDate="2024")),
                400,
                "Claim.item[0].servicedDate",
            ),
            ("partial created", variant(lambda p: p.update(created="2024-03")), 400, "Claim.created"),
        ]
        before = self.counts()
        for label, payload, expected, expression in cases:
            with self.subTest(label):
                status, body = self.fhir_post("/Claim", payload, key="claims")
                self.assertOutcome(status, body, expected, expression)
        response = self.fhir_request("POST", "/Claim", raw="{not json", key="claims")
        self.assertOutcome(*self._result(response), 400)
        self.assertEqual(self.counts(), before, "an invalid claim creates nothing")
        # A user without the claims officer role cannot submit claims.
        status, body = self.fhir_post("/Claim", good, key="ins_finance")
        self.assertOutcome(status, body, 403)
        self.assertEqual(self.counts(), before)

    def test_claims_in_a_transaction_bundle(self):
        """Claims of a provider system sent as a transaction: all or nothing, a re-sent claim
        with its condition creates nothing."""
        system = self.env["g2p.fhir.insurance"]._fhir_system("provider-claim")

        def entry(payload, condition=None):
            request = {"method": "POST", "url": "Claim"}
            if condition:
                request["ifNoneExist"] = condition
            return {"resource": payload, "request": request}

        bad = self.claim_payload("TX-3", member=self.other_head)  # not covered: 422
        before = self.counts()
        status, body = self.fhir_post(
            "",
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [entry(self.claim_payload("TX-1")), entry(self.claim_payload("TX-2")), entry(bad)],
            },
            key="claims",
        )
        self.assertOutcome(status, body, 422, "Bundle.entry[2]")
        self.assertEqual(self.counts(), before, "a refused transaction creates nothing")

        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                entry(self.claim_payload("TX-1"), "identifier=%s|TX-1" % system),
                entry(self.claim_payload("TX-2", amount=250.0), "identifier=%s|TX-2" % system),
            ],
        }
        status, body = self.fhir_post("", bundle, key="claims")
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertEqual([e["response"]["status"][:3] for e in body["entry"]], ["201", "201"])
        claims = self.env["g2p.insurance.claim"].search([("provider_reference", "in", ["TX-1", "TX-2"])])
        self.assertEqual(sorted(claims.mapped("claimed_amount")), [250.0, 1000.0])
        self.assertEqual(set(claims.mapped("state")), {"received"})
        after = self.counts()
        status, body = self.fhir_post("", bundle, key="claims")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["response"]["status"][:3] for e in body["entry"]], ["200", "200"])
        self.assertEqual(self.counts(), after, "the re-sent Bundle duplicates nothing")

    def test_no_claim_payload_answers_500(self):
        """Every element of a claim removed or given a value of another JSON type: a FHIR answer,
        never a server error; what is refused changes nothing."""
        good = self.claim_payload("FUZZ")
        variants = []
        for key in [k for k in good if k != "resourceType"]:
            for value in (None, "x", 0, -1.5, True, [], {}, [{}], {"reference": "Patient/1"}):
                variants.append(("%s=%r" % (key, value), {**copy.deepcopy(good), key: value}))
            variants.append(("no %s" % key, {k: v for k, v in copy.deepcopy(good).items() if k != key}))
        for key in good["item"][0]:
            for value in (None, "x", 0, {}, [{}]):
                payload = copy.deepcopy(good)
                payload["item"][0][key] = value
                variants.append(("item.%s=%r" % (key, value), payload))
        created = 0
        for index, (label, payload) in enumerate(variants):
            if not label.startswith(("identifier", "no identifier")):  # else the variant is the identifier
                payload["identifier"] = [dict(good["identifier"][0], value="FUZZ-%s" % index)]
            before = self.counts()
            status, body = self.fhir_post("/Claim", payload, key="claims")
            with self.subTest(label):
                self.assertLess(status, 500, body)
                self.assertFhirValid(body)
                if status >= 400:
                    self.assertEqual(body["resourceType"], "OperationOutcome")
                    self.assertEqual(self.counts(), before)
                else:
                    created += 1
        self.assertLess(created, len(variants) / 4, "most variants are refused")

    def test_search_claims_by_each_parameter(self):
        a = self.post_claim(self.claim_payload("SRCH-1", member=self.head, created="2024-04-02"))
        b = self.post_claim(
            self.claim_payload("SRCH-2", member=self.child, status="draft", created="2024-05-10")
        )
        provider_system = self.env["g2p.fhir.insurance"]._fhir_system("provider-claim")
        own_system = self.env["g2p.fhir.insurance"]._fhir_system("insurance-claim")
        ours = {a.id, b.id}
        self.assertEqual(self.search("Claim", {"identifier": "%s|SRCH-1" % provider_system}), [a.id])
        self.assertEqual(self.search("Claim", {"identifier": "%s|%s" % (own_system, b.name)}), [b.id])
        self.assertEqual(self.search("Claim", {"identifier": "SRCH-2"}), [b.id])
        self.assertEqual(self.search("Claim", {"patient": "Patient/%s" % self.head.id}), [a.id])
        self.assertEqual(
            self.search("Claim", {"provider": "Organization/%s" % self.hospital.id}), sorted(ours)
        )
        self.assertEqual(set(self.search("Claim", {"status": "draft"})) & ours, {b.id})
        self.assertEqual(set(self.search("Claim", {"status": "active"})) & ours, {a.id})
        self.assertEqual(self.search("Claim", {"created": "2024-04-02"}), [a.id])
        self.assertEqual(set(self.search("Claim", {"created": "ge2024-05"})) & ours, {b.id})
        self.assertEqual(set(self.search("Claim", {"created": "lt2024-05-01"})) & ours, {a.id})
        self.assertEqual(set(self.search("Claim", {"_lastUpdated": "gt2000-01-01"})) & ours, ours)
        self.assertOutcome(
            *self.fhir_get("/Claim", params={"created": "yesterday"}, key="claims"), 400, "created"
        )
        # Another company's claims officer sees none of them and cannot claim on this company's cover.
        other = "ins_other_company"
        self.assertEqual(
            self.search("Claim", {"provider": "Organization/%s" % self.hospital.id}, key=other), []
        )
        self.assertOutcome(*self.fhir_get("/Claim/%s" % a.id, key=other), 404)
        self.assertOutcome(*self.fhir_get("/ClaimResponse/%s" % a.id, key=other), 404)
        before = self.counts()
        status, body = self.fhir_post("/Claim", self.claim_payload("SRCH-3"), key=other)
        self.assertOutcome(status, body, 422, "Claim.insurance[0].coverage")
        self.assertEqual(self.counts(), before)


@tagged("post_install", "-at_install")
class TestFhirAdjudication(FhirInsuranceCase):
    def test_claim_responses_match_the_caps_and_excess_of_the_scenario(self):
        """Total limit 200,000; maternity capped at 100,000 a period; optical 5,000 a claim;
        dental excluded. Claims approved in order:

        ======  =========  =======  ========  ======  ===========================================
        claim   category   claimed  approved  excess  why
        ======  =========  =======  ========  ======  ===========================================
        M1      maternity   70,000    70,000       0  within every cap
        M2      maternity   50,000    30,000  20,000  maternity cap left: 100,000 - 70,000
        O1      optical      8,000     5,000   3,000  cap per claim
        I1      inpatient  120,000    95,000  25,000  total left: 200,000 - 105,000
        D1      dental       4,000         —       —  excluded: rejected
        ======  =========  =======  ========  ======  ===========================================
        """
        scenario = [
            ("M1", self.maternity, self.spouse, 70_000, 70_000, 0),
            ("M2", self.maternity, self.spouse, 50_000, 30_000, 20_000),
            ("O1", self.optical, self.child, 8_000, 5_000, 3_000),
            ("I1", self.inpatient, self.head, 120_000, 95_000, 25_000),
        ]
        claims = {}
        officer = self.users["claims"]
        for reference, category, member, claimed, _approved, _excess in scenario:
            claim = self.post_claim(
                self.claim_payload(reference, member=member, category=category, amount=claimed)
            )
            self.assertEqual(claim.state, "received")
            status, body = self.fhir_get(
                "/ClaimResponse", params={"request": "Claim/%s" % claim.id}, key="claims"
            )
            self.assertFhirValid(body)
            self.assertEqual(body["entry"][0]["resource"]["outcome"], "queued")
            claim.with_user(officer)._approve(date(2024, 4, 1))
            claims[reference] = claim
        for reference, _category, _member, claimed, approved, excess in scenario:
            claim = claims[reference]
            status, body = self.fhir_get("/ClaimResponse/%s" % claim.id, key="claims")
            self.assertEqual(status, 200, body)
            self.assertFhirValid(body)
            self.assertEqual(body["outcome"], "complete")
            self.assertIn(body["outcome"], REMITTANCE_OUTCOMES)
            self.assertEqual(body["request"], {"reference": "Claim/%s" % claim.id})
            self.assertEqual(body["created"], "2024-04-01")
            figures = tuple(self.adjudication(body, code) for code in ("submitted", "benefit", "copay"))
            self.assertEqual(figures, (claimed, approved, excess), reference)
            self.assertEqual(len(body["total"]), 3)
            self.assertNotIn("payment", body)

        rejected = self.post_claim(
            self.claim_payload("D1", member=self.child, category=self.dental, amount=4_000)
        )
        self.assertEqual(rejected.state, "rejected", "an excluded category is rejected on receipt")
        status, body = self.fhir_get("/ClaimResponse/%s" % rejected.id, key="claims")
        self.assertFhirValid(body)
        self.assertEqual(body["outcome"], "error")
        self.assertIn("excluded", body["disposition"])
        self.assertEqual(
            tuple(self.adjudication(body, code) for code in ("submitted", "benefit", "copay")),
            (4_000, 0, 4_000),
        )

        # The provider is paid: the payment comes back on the ClaimResponse.
        claims["M2"].with_user(self.users["ins_finance"])._pay_provider(date(2024, 4, 15))
        status, body = self.fhir_get("/ClaimResponse/%s" % claims["M2"].id, key="claims")
        self.assertFhirValid(body)
        self.assertEqual(body["payment"]["date"], "2024-04-15")
        self.assertEqual(body["payment"]["amount"], {"value": 50_000, "currency": self.currency.name})

        # Searches of ClaimResponse by each parameter.
        ours = {c.id for c in claims.values()} | {rejected.id}
        self.assertEqual(
            self.search("ClaimResponse", {"request": "Claim/%s" % claims["O1"].id}), [claims["O1"].id]
        )
        self.assertEqual(
            self.search("ClaimResponse", {"patient": "Patient/%s" % self.spouse.id}),
            sorted([claims["M1"].id, claims["M2"].id]),
        )
        self.assertEqual(set(self.search("ClaimResponse", {"status": "active"})) & ours, ours)
        self.assertEqual(self.search("ClaimResponse", {"status": "draft"}), [])
        self.assertEqual(set(self.search("ClaimResponse", {"outcome": "error"})) & ours, {rejected.id})
        self.assertEqual(self.search("ClaimResponse", {"identifier": claims["I1"].name}), [claims["I1"].id])
        self.assertEqual(set(self.search("ClaimResponse", {"_lastUpdated": "gt2000-01-01"})) & ours, ours)
        records = self.env["g2p.insurance.claim"].with_user(officer).browse(sorted(ours))
        self.assertBatched(self.env["g2p.fhir.claim"].with_user(officer), records)
        self.assertBatched(self.env["g2p.fhir.claim.response"].with_user(officer), records)
        # A draft claim has no ClaimResponse.
        draft = self.post_claim(self.claim_payload("DRAFT-1", status="draft"))
        status, body = self.fhir_get("/ClaimResponse/%s" % draft.id, key="claims")
        self.assertOutcome(status, body, 404)


@tagged("post_install", "-at_install")
class TestFhirInvoice(FhirInsuranceCase):
    def test_premium_invoices(self):
        paid, due = self.policy.premium_move_id, self.suspended.premium_move_id
        status, body = self.fhir_get("/Invoice/%s" % paid.id, key="ins_finance")
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "balanced")
        self.assertIn(body["status"], INVOICE_STATUS)
        self.assertEqual(body["subject"], {"reference": "Group/%s" % self.family.id})
        self.assertEqual(body["recipient"], {"reference": "Patient/%s" % self.head.id})
        self.assertEqual(body["totalGross"], {"value": 12_000, "currency": self.currency.name})
        self.assertEqual(body["totalNet"], body["totalGross"])
        self.assertEqual(body["lineItem"][0]["chargeItemCodeableConcept"]["coding"][0]["code"], "FH200")
        status, body = self.fhir_get("/Invoice/%s" % due.id, key="ins_finance")
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "issued")
        self.assertEqual(body["recipient"], {"reference": "Organization/%s" % self.employer.id})

        ours = {paid.id, due.id}
        search = lambda params: set(self.search("Invoice", params, key="ins_finance")) & ours  # noqa: E731
        self.assertEqual(search({"status": "balanced"}), {paid.id})
        self.assertEqual(search({"status": "issued"}), {due.id})
        self.assertEqual(search({"patient": "Patient/%s" % self.spouse.id}), {paid.id})
        self.assertEqual(search({"subject": "Group/%s" % self.other_family.id}), {due.id})
        self.assertEqual(search({"recipient": "Organization/%s" % self.employer.id}), {due.id})
        self.assertEqual(search({"recipient": "Patient/%s" % self.head.id}), {paid.id})
        self.assertEqual(search({"identifier": paid.name}), {paid.id})
        self.assertEqual(search({"date": "2024-01-01"}), ours)
        self.assertEqual(search({"_lastUpdated": "gt2000-01-01"}), ours)
        self.assertOutcome(*self.fhir_get("/Invoice/%s" % paid.id, key="ins_other_company"), 404)
        self.assertEqual(self.search("Invoice", {"identifier": paid.name}, key="ins_other_company"), [])
        # Premiums are finance data: a claims officer may not read them.
        status, body = self.fhir_get("/Invoice/%s" % paid.id, key="claims")
        self.assertOutcome(status, body, 403)

    def test_pages_are_read_in_batch(self):
        """Mapping a page costs as many queries for 1 cover or premium as for 3."""
        finance = self.users["ins_finance"]
        Policy = self.env["g2p.insurance.policy"].with_user(finance)
        extra = Policy.create(
            [
                {"product_id": self.product.id, "holder_id": self.family.id, "date_start": date(2025, 1, 1)}
                for _i in range(2)
            ]
        )
        extra.action_activate()
        covers = (self.policy | extra).with_user(finance)
        self.assertBatched(self.env["g2p.fhir.coverage"].with_user(finance), covers)
        self.assertBatched(self.env["g2p.fhir.invoice"].with_user(finance), covers.premium_move_id)


def query_count(test, model, records):
    test.env.flush_all()
    test.env.invalidate_all()
    before = test.env.cr.sql_log_count
    model._fhir_to_dicts(records)
    return test.env.cr.sql_log_count - before


def assert_batched(test, model, records):
    """``model`` maps one record of ``records`` with as many queries as all of them."""
    test.assertGreater(len(records), 2)
    # Each measured twice: the first runs fill the caches of configuration and access rules.
    one = min(query_count(test, model, records[:1]) for _i in range(2))
    all_ = min(query_count(test, model, records) for _i in range(2))
    test.assertEqual(one, all_, "queries for 1 record: %s, for %s: %s" % (one, len(records), all_))


FhirInsuranceCase.assertBatched = assert_batched
