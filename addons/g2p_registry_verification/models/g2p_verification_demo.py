from odoo import _, api, fields, models


class G2pVerificationDemo(models.AbstractModel):
    """The demo's civil registry service and two outcomes it recorded (no call is made)."""

    _name = "g2p.verification.demo"
    _description = "Civil Registry Verification Demo"

    @api.model
    def _load_demo(self):
        env = self.sudo().env
        national_id = env["g2p.registry.demo"]._demo_id_type()
        service = env["g2p.verification.service"].search(
            [("name", "=", "National Registration Bureau (demo)")]
        )
        if not service:
            service = env["g2p.verification.service"].create(
                {
                    "name": "National Registration Bureau (demo)",
                    # The suite's stand-in (tests/simulators/civil_registry.py), started by hand.
                    "wsdl_url": "http://127.0.0.1:8099/civil-registry?wsdl",
                    "id_type_ids": [fields.Command.set(national_id.ids)],
                    "id_type_argument": "idType",
                    "xroad": True,
                    "xroad_client": "KE/GOV/MLSP/g2p",
                    "xroad_service": "KE/GOV/NRB/civil-registry/verifyPerson/v1",
                    "timeout": 5,
                    "field_map_ids": [
                        fields.Command.create(
                            {"answer_path": "person.givenName", "registrant_field": "given_name"}
                        ),
                        fields.Command.create(
                            {"answer_path": "person.familyName", "registrant_field": "family_name"}
                        ),
                        fields.Command.create(
                            {"answer_path": "person.dateOfBirth", "registrant_field": "birthdate"}
                        ),
                        fields.Command.create({"answer_path": "person.sex", "registrant_field": "gender"}),
                    ],
                }
            )
        reg_ids = env["g2p.registrant.id"].search(
            [
                ("id_type_id", "=", national_id.id),
                ("partner_id.is_group", "=", False),
                ("partner_id.registrant_state", "=", "active"),
                ("partner_id.family_name", "!=", False),
            ],
            order="id",
            limit=2,
        )
        if len(reg_ids) < 2 or reg_ids.filtered(lambda r: r.verification_state != "unverified"):
            return
        verified, mismatched = reg_ids
        now = fields.Datetime.now()
        verified.write(
            {
                "verification_state": "verified",
                "verification_date": now,
                "verification_service_id": service.id,
                "verification_note": _("Confirmed by the civil registry."),
            }
        )
        person = mismatched.partner_id
        ours = person.birthdate or fields.Date.today().replace(year=1980)
        # A typical entry error: day and month swapped at registration.
        theirs = (
            ours.replace(day=ours.month, month=ours.day)
            if ours.day <= 12 and ours.day != ours.month
            else ours
        )
        if theirs == ours:
            theirs = ours.replace(year=ours.year - 1)
        mismatched.write(
            {
                "verification_state": "mismatch",
                "verification_date": now,
                "verification_service_id": service.id,
                "verification_note": _(
                    "%(field)s: registry “%(theirs)s”, here “%(ours)s”",
                    field=_("Date of Birth"),
                    theirs=theirs,
                    ours=ours,
                ),
            }
        )
