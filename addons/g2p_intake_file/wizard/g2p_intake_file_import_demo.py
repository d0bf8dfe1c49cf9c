import base64
import csv
import io

from odoo import api, models

from ..const import COLUMN_NAMES

# A county's social register, as sent to the ministry: (household key, village, members). A member
# is (head, relationship, given name, family name, gender, birthdate, phone). KSM-004 has an
# impossible date: the dry run reports it and the import leaves that household out.
DEMO_FILE = "kisumu-social-register-2024.csv"
DEMO_HOUSEHOLDS = [
    (
        "KSM-001",
        "Nyalenda",
        [
            ("yes", "", "Akinyi", "Ouma", "female", "1983-04-09", "+254722410001"),
            ("no", "spouse", "Odhiambo", "Ouma", "male", "1979-12-01", ""),
            ("no", "child", "Atieno", "Ouma", "female", "2014-06-20", ""),
        ],
    ),
    (
        "KSM-002",
        "Manyatta",
        [
            ("yes", "", "Okoth", "Were", "male", "1970-01-15", "0722410002"),
            ("no", "dependant", "Nyanchama", "Were", "female", "1941-08-30", ""),
        ],
    ),
    (
        "KSM-003",
        "Obunga",
        [
            ("yes", "", "Adhiambo", "Otieno", "female", "1992-10-03", "+254722410003"),
            ("no", "child", "Baraka", "Otieno", "male", "2019-02-11", ""),
        ],
    ),
    ("KSM-004", "Nyalenda", [("yes", "", "Auma", "Onyango", "female", "31/02/1988", "")]),
]


class G2pIntakeFileImport(models.TransientModel):
    _inherit = "g2p.intake.file.import"

    @api.model
    def _demo_rows(self):
        """The demo file's rows; its last household is one already in the registry (the demo's
        first head of a household with a national ID), sent again with its ID: it is updated, not doubled."""
        rows = [
            [key, "", village, head, relationship, given, family, gender, birthdate, phone, "", ""]
            for key, village, members in DEMO_HOUSEHOLDS
            for head, relationship, given, family, gender, birthdate, phone in members
        ]
        known = (
            self.env["g2p.registrant.id"]
            .sudo()
            .search(
                [
                    ("id_type_id.code", "=", "NATIONAL_ID"),
                    ("partner_id.individual_membership_ids.role", "=", "head"),
                    ("partner_id.individual_membership_ids.is_current", "=", True),
                ],
                limit=1,
                order="id",
            )
        )
        person = known.partner_id
        if person and not person.is_group and person.given_name:
            rows.append(
                [
                    "KSM-005",
                    "",
                    "Kondele",
                    "yes",
                    "",
                    person.given_name,
                    person.family_name or "",
                    person.gender or "",
                    person.birthdate.isoformat() if person.birthdate else "",
                    "",
                    "NATIONAL_ID",
                    known.value,
                ]
            )
        return rows

    @api.model
    def _demo_load(self):
        """The demo's imported file: checked (one household in error, left out), then imported:
        three households created and one already in the registry updated (it moved to Kondele)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMN_NAMES)
        writer.writerows(self._demo_rows())
        source = self.env.ref("g2p_intake_file.source_files")
        wizard = self.sudo().create(
            {
                "source_id": source.id,
                "filename": DEMO_FILE,
                "file": base64.b64encode(buffer.getvalue().encode()),
            }
        )
        wizard.action_check()
        wizard.action_import()
        return wizard
