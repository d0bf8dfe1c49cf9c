import json

from odoo import api, fields, models

from .g2p_intake_odk_source import odk_datetime

# Households as ODK Central's OData would give them for the household survey (see the README).
DEMO_HOUSEHOLDS = [
    ("Wanjiru", "Kiambu Road", "+254711990001", [("Grace", "female", "1984-03-12", "head", "99000011")]),
    ("Ochieng", "Lake View", "+254711990002", [("Peter", "male", "1979-07-01", "head", "99000021")]),
    ("Mutua", "Market Street", "0711 99", [("Esther", "female", "1990-11-23", "head", "99000031")]),
]


class G2pIntakeOdkSource(models.Model):
    _inherit = "g2p.intake.odk.source"

    @api.model
    def _demo_row(self, n, family, village, phone, people, version=1):
        instance = "uuid:00000000-0000-4000-8000-%012d" % n
        members = [
            {
                "__id": "demo-%s-%s" % (n, i),
                "given_name": given,
                "family_name": family,
                "sex": sex,
                "birthdate": birthdate,
                "relationship": relationship,
                "phone": phone if i == 0 else None,
                "id_type": "national_id",
                "id_number": number,
                "disability": "no",
            }
            for i, (given, sex, birthdate, relationship, number) in enumerate(people)
        ]
        return {
            "__id": instance,
            "household": {"household_name": "%s household" % family, "village": village, "phone": phone},
            "location": {"type": "Point", "coordinates": [36.8 + n / 100, -1.28 - n / 100, 1650]},
            "consent_photo": None,
            "members": members,
            "meta": {
                "instanceID": instance if version == 1 else "%s-v%s" % (instance, version),
                "instanceName": "%s household" % family,
            },
            "__system": {
                "submissionDate": "2024-11-20T0%s:00:00.000Z" % n,
                "updatedAt": None if version == 1 else "2024-11-21T10:00:00.000Z",
                "submitterName": "Enumerator Amina",
                "formVersion": "2024110101",
                "attachmentsPresent": 0,
                "edits": version - 1,
            },
        }

    @api.model
    def _demo_load(self):
        """A demo ODK source (not connected: no password, no schedule) with staged submissions: two
        imported households, one edited at the source, and one in error (a phone number too short)."""
        self.env["g2p.registry.demo"]._demo_id_type()
        source = self.sudo().create(
            {
                "name": "County household survey (demo)",
                "odk_base_url": "https://central.example.org",
                "odk_project_id": 1,
                "odk_form_id": "household_survey",
                "odk_email": "g2p-intake@example.org",
                "auto_pull": False,
            }
        )
        Record = self.env["g2p.intake.record"].sudo()

        def item(row):
            return {
                "external_id": row["__id"],
                "instance_id": row["meta"]["instanceID"],
                "label": row["meta"]["instanceName"],
                "form_version": "2024110101",
                "submitter": "Enumerator Amina",
                "submitted_date": odk_datetime(row["__system"]["submissionDate"]),
                "payload": json.dumps(row, indent=2),
            }

        rows = [self._demo_row(n, *spec) for n, spec in enumerate(DEMO_HOUSEHOLDS, 1)]
        Record._stage(source.source_id, [item(row) for row in rows])._process()
        # The first household is edited in Central: it moved, and its head's birthdate was corrected.
        family, _village, phone, people = DEMO_HOUSEHOLDS[0]
        people = [(people[0][0], people[0][1], "1985-03-12", *people[0][3:])]
        edited = self._demo_row(1, family, "Thika Road", phone, people, version=2)
        Record._stage(source.source_id, [{**item(edited), "deprecated_id": rows[0]["__id"]}])._process()
        source.write({"last_pull_status": "done", "last_pull_date": fields.Datetime.now()})
        return source
