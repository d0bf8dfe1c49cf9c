import copy
import random

from odoo.tests import tagged

from .common import FhirHttpCase

JUNK = [
    None,
    "",
    "x",
    0,
    -1,
    1.5,
    True,
    [],
    {},
    [1],
    {"a": 1},
    "2020-13-45",
    "Patient/abc",
    "urn:uuid:x",
    "\x00",
    "ü" * 300,
]


def paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from paths(v, prefix + (i,))


def set_path(obj, path, value):
    if not path:
        return value
    obj = copy.deepcopy(obj)
    cur = obj
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return obj


@tagged("post_install", "-at_install")
class TestFhirRobustness(FhirHttpCase):
    """No input answers 500: valid resources and Bundles with one element replaced by junk of every
    JSON type (a fixed random seed, so a failure repeats), and odd search queries."""

    def test_no_input_answers_500(self):
        rnd = random.Random(7)
        person = self.make_individual("F", "Uzz", nid="8000001")
        group_url = self.env["g2p.fhir.group"]._fhir_head_url()
        samples = {
            "/Patient": self.patient_resource(
                nid="8000002",
                telecom=[{"system": "phone", "value": "+254712999000"}],
                address=[{"line": ["a"], "city": "b", "country": "KE"}],
                managingOrganization={"reference": "Organization/%s" % self.company.partner_id.id},
            ),
            "/Group": {
                "resourceType": "Group",
                "type": "person",
                "actual": True,
                "name": "G",
                "member": [
                    {
                        "entity": {"reference": "Patient/%s" % person.id},
                        "period": {"start": "2020-01-01"},
                        "extension": [{"url": group_url, "valueBoolean": True}],
                    }
                ],
            },
            "/Organization": {
                "resourceType": "Organization",
                "name": "O",
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                                "code": "prov",
                            }
                        ]
                    }
                ],
                "telecom": [{"system": "phone", "value": "1"}],
                "partOf": {"reference": "Organization/%s" % self.company.partner_id.id},
            },
        }
        samples[""] = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": "urn:uuid:1",
                    "resource": samples["/Patient"],
                    "request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=8000002"},
                },
                {
                    "resource": set_path(
                        samples["/Group"], ("member", 0, "entity", "reference"), "urn:uuid:1"
                    ),
                    "request": {"method": "POST", "url": "Group"},
                },
            ],
        }
        bad = []
        count = 0
        for path, sample in samples.items():
            all_paths = list(paths(sample))
            for _i in range(150):
                p = rnd.choice(all_paths)
                body = set_path(sample, p, rnd.choice(JUNK))
                for method, url in (
                    ("POST", path),
                    ("PUT", path + "/%s" % person.id if path == "/Patient" else None),
                ):
                    if not url:
                        continue
                    r = self.fhir_request(method, url, body=body, key="contacts")
                    count += 1
                    if r.status_code >= 500:
                        bad.append((url, p, r.status_code, r.text[:300]))
        for q in [
            "birthdate=ge",
            "birthdate=eq2020-02-30",
            "_id=-1",
            "identifier=%7C",
            "identifier=a|b|c",
            "name:exact=",
            "_lastUpdated=gt2020-01-01T25:00:00Z",
            "_count=0&_offset=5",
            "_sort=,",
            "_sort=-",
            "member=Patient/",
            "gender=male,female",
            "_total=accurate&_count=1000",
            "name=%00",
            "_format=%00",
            "family=%25%5F",
        ]:
            for t in ("Patient", "Group"):
                r = self.fhir_request("GET", "/%s?%s" % (t, q))
                count += 1
                if r.status_code >= 500:
                    bad.append((t, q, r.status_code, r.text[:300]))
        self.assertGreater(count, 600)
        self.assertFalse(bad, "\n".join(map(str, bad)))
