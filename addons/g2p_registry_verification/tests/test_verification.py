import logging
from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .simulators.civil_registry import run_civil_registry
from odoo.addons.g2p_registry.tests.common import RegistryCase
from odoo.addons.queue_job.tests.common import trap_jobs

USER, PASSWORD = "mlsp-g2p", "n0t-a-real-s3cret"
PEOPLE = {
    "12345678": {"givenName": "Amina", "familyName": "Otieno", "dateOfBirth": "1990-05-01", "sex": "F"},
    # The registry spells the family name differently, and has another birth date.
    "23456789": {"givenName": "Brian", "familyName": "Otieno", "dateOfBirth": "1984-02-11", "sex": "M"},
    # Accents and case are how people write names, not a difference.
    "45678901": {"givenName": "JOSÉ", "familyName": "Kamau", "dateOfBirth": "2001-09-30", "sex": "MALE"},
}


@tagged("post_install", "-at_install")
class TestCivilRegistryVerification(RegistryCase):
    """Verification over real SOAP (zeep) against the civil registry stand-in, its own process, behind
    X-Road headers and a WS-Security UsernameToken."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        context = run_civil_registry(PEOPLE, "--wsse", "%s:%s" % (USER, PASSWORD), "--require-xroad")
        cls.sim = context.__enter__()
        cls.addClassCleanup(context.__exit__, None, None, None)
        cls.id_type = cls.env["g2p.id.type"].create({"name": "Registry Test ID", "code": "CR_TEST"})
        cls.service = cls.env["g2p.verification.service"].create(
            {
                "name": "Civil Registry (stand-in)",
                "wsdl_url": cls.sim.wsdl_url,
                "id_type_ids": [(6, 0, cls.id_type.ids)],
                "id_type_argument": "idType",
                "auth_type": "wsse",
                "username": USER,
                "password": PASSWORD,
                "xroad": True,
                "xroad_client": "KE/GOV/MLSP/g2p",
                "xroad_service": "KE/GOV/NRB/civil-registry/verifyPerson/v1",
                "timeout": 2,
                "field_map_ids": [
                    (0, 0, {"answer_path": "person.givenName", "registrant_field": "given_name"}),
                    (0, 0, {"answer_path": "person.familyName", "registrant_field": "family_name"}),
                    (0, 0, {"answer_path": "person.dateOfBirth", "registrant_field": "birthdate"}),
                    (0, 0, {"answer_path": "person.sex", "registrant_field": "gender"}),
                ],
            }
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def _person_with_id(self, number, given, family, birthdate=None, gender=None):
        person = self._individual(given, family, birthdate=birthdate, gender=gender)
        reg_id = self.env["g2p.registrant.id"].create(
            {"partner_id": person.id, "id_type_id": self.id_type.id, "value": number}
        )
        return person, reg_id

    def test_verified_with_xroad_headers_and_credentials(self):
        person, reg_id = self._person_with_id("12345678", "Amina", "Otieno", date(1990, 5, 1), "female")
        reg_id.with_user(self.registrar).action_verify()
        self.assertEqual(reg_id.verification_state, "verified")
        self.assertEqual(reg_id.verification_service_id, self.service)
        self.assertTrue(reg_id.verification_date)
        self.assertEqual(person.id_verification_state, "verified")
        [sent] = self.sim.requests()
        self.assertEqual(sent["id_number"], "12345678")
        self.assertEqual(sent["id_type"], "CR_TEST")
        self.assertTrue(sent["wsse"], "the UsernameToken is sent")
        self.assertEqual(sent["xroad"]["client"], "KE/GOV/MLSP/g2p")
        self.assertEqual(sent["xroad"]["service"], "KE/GOV/NRB/civil-registry/verifyPerson/v1")
        self.assertEqual(sent["xroad"]["protocolVersion"], "4.0")
        self.assertEqual(sent["xroad_user"], "registrar", "X-Road's userId is the Odoo user")
        self.assertIn("checked with Civil Registry", person.message_ids[0].body)
        self.assertIn(person, self.env["res.partner"].search([("id_verification_state", "=", "verified")]))

    def test_mismatch_lists_the_differing_fields(self):
        person, reg_id = self._person_with_id("23456789", "Brian", "Otiendo", date(1984, 2, 12), "male")
        reg_id.action_verify()
        self.assertEqual(reg_id.verification_state, "mismatch")
        note = reg_id.verification_note
        self.assertIn("Family Name: registry “Otieno”, here “Otiendo”", note)
        self.assertIn("Date of Birth", note)
        self.assertNotIn("Given Name", note, "the given name agrees")
        self.assertNotIn("Gender", note, "M and Male agree")
        self.assertEqual(person.id_verification_state, "mismatch")
        self.assertIn(person, self.env["res.partner"].search([("id_verification_state", "=", "mismatch")]))
        self.assertNotIn(person, self.env["res.partner"].search([("id_verification_state", "=", "verified")]))

    def test_case_and_accents_are_not_differences(self):
        _person, reg_id = self._person_with_id("45678901", "José", "KAMAU", date(2001, 9, 30), "male")
        reg_id.action_verify()
        self.assertEqual(reg_id.verification_state, "verified", reg_id.verification_note)

    def test_not_found(self):
        person, reg_id = self._person_with_id("99999999", "Nobody", "Known")
        reg_id.action_verify()
        self.assertEqual(reg_id.verification_state, "not_found")
        self.assertIn("does not know 99999999", reg_id.verification_note)
        self.assertIn(person, self.env["res.partner"].search([("id_verification_state", "=", "not_found")]))

    def test_soap_fault_timeout_and_unexpected_answer_are_errors(self):
        cases = {
            "FAULT001": "SOAP fault: Registry unavailable",
            "SLOW0001": "No answer within the timeout",
            "ODD00001": "not what the service description says",
        }
        reg_ids = {}
        for number in cases:
            reg_ids[number] = self._person_with_id(number, "Edge", number)[1]
        self.env["g2p.registrant.id"].concat(*reg_ids.values()).action_verify()
        for number, message in cases.items():
            with self.subTest(number=number):
                self.assertEqual(
                    reg_ids[number].verification_state, "error", reg_ids[number].verification_note
                )
                self.assertIn(message, reg_ids[number].verification_note)
        # One ID: the button says what went wrong, and the outcome is still recorded.
        with self.assertRaisesRegex(UserError, "SOAP fault: Registry unavailable"):
            reg_ids["FAULT001"].action_verify()

    def test_wrong_credentials_and_missing_xroad_headers_are_faults(self):
        _person, reg_id = self._person_with_id("12345678", "Amina", "Otieno")
        self.service.password = "wrong"
        reg_id._verify()
        self.assertEqual(reg_id.verification_state, "error")
        self.assertIn("Authentication failed", reg_id.verification_note)
        self.service.write({"password": PASSWORD, "xroad": False})
        reg_id._verify()
        self.assertEqual(reg_id.verification_state, "error")
        self.assertIn("X-Road headers missing", reg_id.verification_note)

    def test_registry_down(self):
        self.service.endpoint_url = "http://127.0.0.1:9/civil-registry"
        _person, reg_id = self._person_with_id("12345678", "Amina", "Otieno")
        reg_id._verify()
        self.assertEqual(reg_id.verification_state, "error")
        self.assertIn("could not be reached", reg_id.verification_note)
        self.service.write({"endpoint_url": False, "wsdl_url": "http://127.0.0.1:9/civil-registry?wsdl"})
        with self.assertRaisesRegex(UserError, "WSDL"):
            self.service.action_test_connection()

    def test_test_connection(self):
        action = self.service.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.service.operation = "deletePerson"
        with self.assertRaisesRegex(UserError, "no operation deletePerson.*verifyPerson"):
            self.service.action_test_connection()

    def test_a_new_number_must_be_verified_again(self):
        _person, reg_id = self._person_with_id("12345678", "Amina", "Otieno")
        reg_id.action_verify()
        self.assertEqual(reg_id.verification_state, "verified")
        reg_id.value = "12345679"
        self.assertEqual(reg_id.verification_state, "unverified")
        self.assertFalse(reg_id.verification_note)

    def test_no_service_for_the_id_type(self):
        person = self._individual("Pass", "Port")
        reg_id = self.env["g2p.registrant.id"].create(
            {"partner_id": person.id, "id_type_id": self.passport.id, "value": "A123"}
        )
        with self.assertRaisesRegex(UserError, "No civil registry service verifies Passport"):
            reg_id.action_verify()
        self.assertEqual(reg_id.verification_state, "unverified")
        self.assertEqual(self.sim.requests(), [], "nothing was asked")

    def test_bulk_verification_runs_in_jobs(self):
        people = self.env["res.partner"]
        for number, (given, family) in {
            "12345678": ("Amina", "Otieno"),
            "99999998": ("Not", "Found"),
            "23456789": ("Brian", "Otiendo"),
        }.items():
            people |= self._person_with_id(number, given, family)[0]
        with trap_jobs() as trap:
            action = people.with_user(self.registrar).action_verify_ids()
            self.assertIn("3 IDs of 3 registrants", action["params"]["message"])
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, "root.g2p.verification")
            self.assertEqual(self.sim.requests(), [], "nothing is asked before the job runs")
            trap.perform_enqueued_jobs()
        self.assertEqual(
            people.mapped("reg_id_ids.verification_state"), ["verified", "not_found", "mismatch"]
        )
        with self.assertRaisesRegex(UserError, "None of these registrants"):
            self._individual("No", "Id").action_verify_ids()

    def test_secrets_are_restricted_and_never_logged(self):
        with self.assertRaises(AccessError):
            self.service.with_user(self.registrar).read(["password"])
        with self.assertRaises(AccessError):
            self.service.with_user(self.registrar).read(["username"])
        self.assertEqual(self.service.with_user(self.registrar).read(["name"])[0]["name"], self.service.name)
        records = []

        class Collect(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        handler = Collect(level=logging.DEBUG)
        root = logging.getLogger()
        previous = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            for number in ("12345678", "FAULT002"):
                self._person_with_id(number, "Amina", "Otieno")[1]._verify()
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
        self.assertTrue(records, "debug logging was on")
        self.assertFalse([message for message in records if PASSWORD in message])

    def test_service_settings_are_checked(self):
        with self.assertRaisesRegex(ValidationError, "X-Road client"):
            self.service.copy({"xroad_client": "KE-GOV"})
        with self.assertRaisesRegex(ValidationError, "X-Road service"):
            self.service.copy({"xroad_service": "KE/GOV/NRB"})
        with self.assertRaisesRegex(ValidationError, "timeout must be positive"):
            self.service.copy({"timeout": 0})
        with self.assertRaisesRegex(ValidationError, "not an http"):
            self.service.copy({"wsdl_url": "ftp://registry"})
