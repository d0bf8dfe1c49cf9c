"""Credentials of connectors, ODK sources, SOAP services and SMS gateways (issue #17): readable by G2P
(and Settings) administrators only — through the ORM and through JSON-RPC over HTTP — and never
written to any log while the flows that use them run with debug logging."""

import json
import logging
import re
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.g2p_payment_hub.tests.psp_common import FAST_TRANSPORT, PspCase
from odoo.addons.g2p_payment_hub_fineract.tests.simulators.fineract import run_fineract_simulator
from odoo.addons.g2p_payment_hub_gsma.tests.simulators import gsma
from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values, run_phee_simulator
from odoo.addons.g2p_registry.const import SECRET_GROUPS
from odoo.addons.g2p_registry_verification.tests.simulators.civil_registry import run_civil_registry
from odoo.addons.g2p_sms_gateway.tests.simulators.sms_gateway import run_sms_gateway

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulators.odk_central import run_odk_central

REPO = Path(__file__).resolve().parent.parent
PHEE_DATA = REPO / "addons" / "g2p_payment_hub_phee" / "tests" / "data"
PRIVATE_KEY = (PHEE_DATA / "TEST_ONLY_phee_jws_private_key.pem").read_text()
CERTIFICATE = str(PHEE_DATA / "TEST_ONLY_phee_jws_certificate.pem")

#: A field whose name says it is a credential ...
SECRET_NAME = re.compile(r"password|secret|token|api_key|private_key|consumer_key", re.IGNORECASE)
#: ... or one of these, whose names do not say it (the login half of a credential).
SECRET_FIELDS = {
    ("g2p.payment.connector", "phee_username"),
    ("g2p.payment.connector", "fineract_username"),
    ("g2p.verification.service", "username"),
    ("g2p.sms.gateway", "auth_username"),
    ("g2p.sms.gateway", "auth_header_value"),
    ("g2p.intake.odk.source", "odk_email"),
}
#: Fields the naming rule matches that are not administrators' credentials, with their own groups:
#: a voucher's code is printed by the finance officer who issues the vouchers.
OTHER_SECRETS = {("g2p.voucher", "token"): "g2p_payroll.group_g2p_finance_officer"}

#: Every G2P role but the administrator's.
ROLES = (
    "g2p_registry.group_g2p_registrar",
    "g2p_registry.group_g2p_registry_validator",
    "g2p_program.group_g2p_program_manager",
    "g2p_payroll.group_g2p_payroll_approver",
    "g2p_payroll.group_g2p_finance_officer",
    "g2p_insurance_accounting.group_g2p_claims_officer",
    "g2p_insurance_accounting.group_g2p_insurance_finance",
    "g2p_fhir.group_g2p_api_integration",
    "g2p_voucher.group_g2p_pay_point_agent",
)

# Distinctive values: each is searched for in every log record.
PHEE_USER, PHEE_PASSWORD = "phee-ops-user-7Qx", "phee-ops-pass-9Zr4kT"
GSMA_API_KEY = "gsma-api-key-Hh3LmP2"
GSMA_KEY, GSMA_SECRET = "gsma-consumer-key-Vb8", "gsma-consumer-secret-Wq5nJ"
FINERACT_USER, FINERACT_PASSWORD = "fineract-user-Ux4", "fineract-pass-Rt7Yq2"
ODK_EMAIL, ODK_PASSWORD = "odk-web-user-Kp3@example.org", "odk-pass-Mn6Bv1Lz"
SOAP_USER, SOAP_PASSWORD = "soap-user-Gd2", "soap-pass-Xc9Jh4Wp"
SMS_USER, SMS_PASSWORD = "sms-user-Tf6", "sms-pass-Qa2Ls8Nd"
SMS_TOKEN, SMS_HEADER = "sms-bearer-Yz5Pk7Rm", "sms-header-Ej3Hw9Co"
PEOPLE = {"12345678": {"givenName": "Amina", "familyName": "Otieno", "dateOfBirth": "1990-05-01", "sex": "F"}}


def secret_fields(env):
    """(model, field) of every credential of the G2P addons, by name rule and explicit list."""
    found = set()
    for model_name, model in env.registry.items():
        for name, field in model._fields.items():
            if (
                not (field._module or "").startswith("g2p_")
                or field.related
                or field.type
                in (
                    "many2one",
                    "one2many",
                    "many2many",
                )
            ):
                continue
            if SECRET_NAME.search(name) or (model_name, name) in SECRET_FIELDS:
                found.add((model_name, name))
    return found


@contextmanager
def debug_log():
    """Every log record of this process (formatted, tracebacks included) while the block runs, with
    the levels of ``odoo-bin --log-level=debug`` (odoo.netsvc) and the HTTP and SOAP libraries at
    DEBUG too."""
    records = []

    class Capture(logging.Handler):
        def emit(self, record):
            records.append((record.name, self.format(record)))

    handler = Capture(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    levels = {
        "": logging.DEBUG,
        "odoo": logging.DEBUG,
        "odoo.sql_db": logging.INFO,
        "odoo.http.rpc.request": logging.INFO,
        "odoo.http.rpc.response": logging.INFO,
        "werkzeug": logging.DEBUG,
        "urllib3": logging.DEBUG,
        "requests": logging.DEBUG,
        "zeep": logging.DEBUG,
        "pyodk": logging.DEBUG,
    }
    previous = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        for name, level in previous.items():
            logging.getLogger(name).setLevel(level)


@tagged("post_install", "-at_install")
class TestSecrets(PspCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_users = {
            group: new_test_user(cls.env, "secret_role_%s" % i, groups=group) for i, group in enumerate(ROLES)
        }
        cls.admin = new_test_user(cls.env, "secret_g2p_admin", groups="g2p_registry.group_g2p_admin")
        cls.phee_sim = cls.enterClassContext(
            run_phee_simulator(
                oauth=True, oauth_users={PHEE_USER: PHEE_PASSWORD}, jws_verify=True, jws_cert=CERTIFICATE
            )
        )
        cls.gsma_sim = cls.enterClassContext(gsma.run_gsma_simulator())
        cls.fineract_sim = cls.enterClassContext(
            run_fineract_simulator(users={FINERACT_USER: FINERACT_PASSWORD})
        )
        cls.odk_sim = cls.enterClassContext(
            run_odk_central(
                users=[
                    {
                        "id": 5,
                        "email": ODK_EMAIL,
                        "password": ODK_PASSWORD,
                        "displayName": "G2P",
                        "projects": None,
                    }
                ]
            )
        )
        cls.soap_sim = cls.enterClassContext(
            run_civil_registry(PEOPLE, "--wsse", "%s:%s" % (SOAP_USER, SOAP_PASSWORD))
        )
        cls.sms_sim = cls.enterClassContext(run_sms_gateway("--basic", "%s:%s" % (SMS_USER, SMS_PASSWORD)))
        Connector = cls.env["g2p.payment.connector"]
        cls.phee = Connector.create(
            {
                **connector_values(cls.phee_sim.url),
                **FAST_TRANSPORT,
                "name": "PH-EE",
                "psp_id": cls.mobile_psp.id,
                "state": "test",
                "phee_username": PHEE_USER,
                "phee_password": PHEE_PASSWORD,
                "phee_jws": True,
                "phee_jws_private_key": PRIVATE_KEY,
                # Nobody listens there: a callback to this test's server would run a request on
                # the test's cursor while the test itself uses it (a race: "no results to fetch").
                "phee_callback_base_url": "http://127.0.0.1:9",
            }
        )
        cls.gsma = Connector.create(
            {
                **FAST_TRANSPORT,
                "name": "GSMA",
                "code": "gsma",
                "psp_id": cls.bank_psp.id,
                "gsma_url": cls.gsma_sim.url,
                "gsma_auth_mode": "api_key",
                "gsma_api_key": GSMA_API_KEY,
                "gsma_consumer_key": GSMA_KEY,
                "gsma_consumer_secret": GSMA_SECRET,
                "payer_identifier_type": "accountid",
                "payer_identifier": "2000",
                "gsma_use_callback": False,
            }
        )
        cls.fineract = Connector.create(
            {
                **FAST_TRANSPORT,
                "name": "Fineract",
                "code": "fineract",
                "psp_id": cls.bank_psp.id,
                "fineract_url": cls.fineract_sim.url,
                "fineract_username": FINERACT_USER,
                "fineract_password": FINERACT_PASSWORD,
                "fineract_payment_type_id": 1,
            }
        )
        IdType = cls.env["g2p.id.type"]
        for code, name in (("NATIONAL_ID", "National ID"), ("BIRTH_CERTIFICATE", "Birth certificate")):
            if not IdType.search([("code", "=", code)]):
                IdType.create({"name": name, "code": code})
        cls.odk = cls.env["g2p.intake.odk.source"].create(
            {
                "name": "Household survey",
                "odk_base_url": cls.odk_sim.url,
                "odk_project_id": 1,
                "odk_form_id": "household_survey",
                "odk_email": ODK_EMAIL,
                "odk_password": ODK_PASSWORD,
            }
        )
        cls.id_type = IdType.create({"name": "Secrets Test ID", "code": "SECRETS_TEST"})
        cls.soap = cls.env["g2p.verification.service"].create(
            {
                "name": "Civil registry",
                "wsdl_url": cls.soap_sim.wsdl_url,
                "id_type_ids": [(6, 0, cls.id_type.ids)],
                "auth_type": "wsse",
                "username": SOAP_USER,
                "password": SOAP_PASSWORD,
                "timeout": 5,
                "field_map_ids": [
                    (0, 0, {"answer_path": "person.givenName", "registrant_field": "given_name"})
                ],
            }
        )
        cls.sms = cls.env["g2p.sms.gateway"].create(
            {
                "name": "SMS stand-in",
                "url": cls.sms_sim.url + "/sms",
                "auth_type": "basic",
                "auth_username": SMS_USER,
                "auth_password": SMS_PASSWORD,
                "auth_token": SMS_TOKEN,
                "auth_header_value": SMS_HEADER,
                "timeout": 5,
            }
        )
        cls.env.company.sms_g2p_gateway_id = cls.sms
        cls.records = {
            "g2p.payment.connector": cls.phee | cls.gsma | cls.fineract,
            "g2p.intake.odk.source": cls.odk,
            "g2p.verification.service": cls.soap,
            "g2p.sms.gateway": cls.sms,
        }

    # ------------------------------------------------------------------ who reads them

    def test_every_secret_field_is_for_administrators(self):
        """Found by name or listed: each credential is restricted to SECRET_GROUPS and not copied. A
        new secret field without these groups fails here."""
        fields_found = secret_fields(self.env)
        self.assertTrue(fields_found >= SECRET_FIELDS, SECRET_FIELDS - fields_found)
        self.assertGreaterEqual(len(fields_found), 20)
        expected = set(SECRET_GROUPS.split(","))
        for model, name in sorted(fields_found):
            field = self.env[model]._fields[name]
            with self.subTest(field="%s.%s" % (model, name)):
                wanted = (
                    set(OTHER_SECRETS[model, name].split(",")) if (model, name) in OTHER_SECRETS else expected
                )
                self.assertEqual(set((field.groups or "").split(",")), wanted)
                self.assertFalse(field.copy)

    def test_orm_reads_refused_to_every_other_role(self):
        for model, name in sorted(secret_fields(self.env) - set(OTHER_SECRETS)):
            records = self.records.get(model) or self.env[model]
            for group, user in self.role_users.items():
                with self.subTest(field="%s.%s" % (model, name), role=group):
                    with self.assertRaises(AccessError):
                        records.with_user(user).read([name])
                    with self.assertRaises(AccessError):
                        records.with_user(user).search_read([], [name])
            # Readable by a G2P administrator, with the value stored.
            values = records.with_user(self.admin).read([name])
            if model in self.records:
                self.assertTrue(any(row[name] for row in values), "%s.%s" % (model, name))

    def test_json_rpc_returns_no_secret_to_other_roles(self):
        """read, web_read and search_read over HTTP (the web client's calls) as each other role: an
        access error, and no secret value anywhere in the answer."""
        secrets = self._secret_values()
        fields_by_model = {}
        for model, name in secret_fields(self.env) - set(OTHER_SECRETS):
            fields_by_model.setdefault(model, []).append(name)
        for group, user in self.role_users.items():
            self.authenticate(user.login, user.login)
            for model, names in sorted(fields_by_model.items()):
                ids = (self.records.get(model) or self.env[model]).ids
                for name in sorted(names):
                    calls = {
                        "read": ([ids, [name]], {}),
                        "web_read": ([ids], {"specification": {name: {}}}),
                        "search_read": ([], {"domain": [], "fields": [name]}),
                    }
                    for method, (args, kwargs) in calls.items():
                        with self.subTest(role=group, field="%s.%s" % (model, name), method=method):
                            body = self._call_kw(model, method, args, kwargs)
                            self.assertIn("error", body)
                            self.assertIn("AccessError", body["error"]["data"]["name"])
                            text = json.dumps(body)
                            for secret in secrets:
                                self.assertNotIn(secret, text)
        # A G2P administrator reads them over the same route.
        self.authenticate(self.admin.login, self.admin.login)
        body = self._call_kw("g2p.payment.connector", "read", [self.phee.ids, ["phee_password"]], {})
        self.assertEqual(body["result"][0]["phee_password"], PHEE_PASSWORD)

    def _call_kw(self, model, method, args, kwargs):
        response = self.url_open(
            "/web/dataset/call_kw/%s/%s" % (model, method),
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def _secret_values(self):
        return [
            PHEE_USER, PHEE_PASSWORD, GSMA_API_KEY, GSMA_KEY, GSMA_SECRET, FINERACT_USER,
            FINERACT_PASSWORD, ODK_EMAIL, ODK_PASSWORD, SOAP_USER, SOAP_PASSWORD, SMS_USER,
            SMS_PASSWORD, SMS_TOKEN, SMS_HEADER,
            # a line of the PEM body: the key itself, not its armour
            PRIVATE_KEY.strip().splitlines()[2],
        ]  # fmt: skip

    # ------------------------------------------------------------------ logs

    def test_flows_write_no_secret_to_any_log(self):
        """Each flow that uses a credential, over real HTTP to its stand-in, at debug level: PH-EE
        login and a signed batch, GSMA with an API key and with OAuth, Fineract, an ODK pull, a SOAP
        verification and an SMS. No record holds a secret (or a batch's callback token)."""
        payroll = self._approved_payroll()
        person = self._individual("Amina", "Otieno", birthdate=date(1990, 5, 1), gender="female")
        reg_id = self.env["g2p.registrant.id"].create(
            {"partner_id": person.id, "id_type_id": self.id_type.id, "value": "12345678"}
        )
        self.odk_sim.seed_households(1)
        self.gsma_sim.control("config", {"auth": {"api_key": GSMA_API_KEY}})
        self.env.flush_all()
        with self.allow_requests(all_requests=True), debug_log() as records:
            self.phee._test_connection()
            payroll._create_payment_batches(self._lines(payroll, self.mobile_psp))
            batches = payroll.batch_ids
            batches._send_batches()
            self.gsma._test_connection()
            self.gsma_sim.control(
                "config",
                {"auth": {"api_key": None, "consumer_key": GSMA_KEY, "consumer_secret": GSMA_SECRET}},
            )
            self.gsma.gsma_auth_mode = "oauth"
            self.gsma._test_connection()
            self.fineract._test_connection()
            pulled = self.odk.action_pull()
            reg_id._verify()
            sms = self.env["sms.sms"].create({"number": "+254712000111", "body": "Payment sent."})
            sms.send(unlink_sent=False, unlink_failed=False)
            # The other SMS authentications send their secrets too (the stand-in refuses them).
            for auth_type in ("bearer", "header"):
                self.sms.auth_type = auth_type
                failed = self.env["sms.sms"].create({"number": "+254712000111", "body": "Again."})
                failed.send(unlink_sent=False, unlink_failed=False)
            self.env.flush_all()
        # The flows did run and reached their stand-ins with the credentials.
        self.assertEqual(set(batches.mapped("state")), {"sent"}, batches.mapped("last_error"))
        self.assertEqual(pulled["params"]["type"], "success", pulled["params"]["message"])
        self.assertEqual(reg_id.verification_state, "verified")
        self.assertEqual(sms.state, "pending")
        self.assertTrue(self.sms_sim.messages())
        self.assertTrue(records, "debug logging was on")
        self.assertTrue(any(name.startswith("urllib3") for name, _text in records))
        secrets = self._secret_values() + batches.sudo().mapped("callback_token")
        for name, text in records:
            for secret in secrets:
                self.assertNotIn(secret, text, "a secret logged by %s" % name)
