import logging

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..tools.sms_api import SmsApiG2pHttp
from .simulators.sms_gateway import run_sms_gateway
from odoo.addons.sms.tools.sms_api import SmsApi

TOKEN = "s3cret-token-value"
NUMBER = "+254712000111"


@tagged("post_install", "-at_install")
class TestSmsGateway(TransactionCase):
    """Odoo's own sms.sms sent through the generic HTTP gateway to the stand-in, over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim_context = run_sms_gateway("--token", TOKEN)
        cls.sim = cls.sim_context.__enter__()
        cls.addClassCleanup(cls.sim_context.__exit__, None, None, None)
        cls.gateway = cls.env["g2p.sms.gateway"].create(
            {
                "name": "Stand-in",
                "url": cls.sim.url + "/sms",
                "auth_type": "bearer",
                "auth_token": TOKEN,
                "success_json_path": "status",
                "success_json_value": "accepted",
                "message_id_json_path": "id",
                "timeout": 2,
            }
        )
        cls.env.company.sms_g2p_gateway_id = cls.gateway

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def _send(self, number=NUMBER, body="Your payment of KES 1,500 was sent."):
        sms = self.env["sms.sms"].create({"number": number, "body": body})
        sms.send(unlink_sent=False, unlink_failed=False)
        return sms

    def test_company_api_class(self):
        self.assertIs(self.env.company._get_sms_api_class(), SmsApiG2pHttp)
        self.gateway.active = False
        self.assertIs(self.env.company._get_sms_api_class(), SmsApi)

    def test_json_bearer_message_is_sent_once_with_placeholders(self):
        sms = self._send()
        self.assertEqual(sms.state, "pending", "accepted by the gateway = Sent in Odoo")
        self.assertFalse(sms.failure_type)
        messages = self.sim.messages()
        self.assertEqual(len(messages), 1)
        self.assertEqual(
            messages[0]["fields"],
            {"to": NUMBER, "message": "Your payment of KES 1,500 was sent.", "reference": sms.uuid},
        )
        self.assertEqual(sms.g2p_gateway_message_id, messages[0]["id"])
        # Sent SMS are not sent again.
        sms.send(unlink_sent=False)
        self.assertEqual(len(self.sim.messages()), 1)

    def test_braces_in_the_text_stay_text(self):
        sms = self._send(body='Quote "{to}" {unknown} {{body}} \\ done')
        self.assertEqual(sms.state, "pending")
        # The text is inserted once, its own braces are not placeholders again.
        sent = self.sim.messages()[0]["fields"]["message"]
        self.assertEqual(sent, 'Quote "{to}" {unknown} {{body}} \\ done')

    def test_form_body_and_get_query(self):
        self.gateway.write(
            {"content_type": "form", "body_template": '{"To": "{to}", "Text": "{body}", "From": "G2P"}'}
        )
        self._send()
        self.gateway.method = "GET"
        self._send(body="second")
        first, second = self.sim.messages()
        self.assertEqual(first["method"], "POST")
        self.assertEqual(
            first["fields"], {"To": NUMBER, "Text": "Your payment of KES 1,500 was sent.", "From": "G2P"}
        )
        self.assertEqual(second["method"], "GET")
        self.assertEqual(second["fields"]["Text"], "second")

    def test_wrong_credentials_fail_as_account_error(self):
        self.gateway.auth_token = "wrong"
        sms = self._send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_acc"))
        self.assertFalse(self.sim.messages())

    def test_server_error_and_timeout_are_server_errors(self):
        self.sim.fault(status=503)
        sms = self._send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
        # Odoo's test mode raises request timeouts under 10 s to 10 s: answer later than that.
        self.sim.fault(delay=10.5)
        late = self._send()
        self.assertEqual((late.state, late.failure_type), ("error", "sms_server"))
        self.sim.fault(status=429)
        limited = self._send()
        self.assertEqual(limited.failure_type, "sms_server")

    def test_refusals_are_errors(self):
        self.sim.fault(status=400)
        sms = self._send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "unknown"))
        # 200, but the answer does not say accepted: not sent.
        self.sim.fault(reply={"status": "rejected"})
        rejected = self._send()
        self.assertEqual((rejected.state, rejected.failure_type), ("error", "unknown"))
        self.assertFalse(self.sim.messages())

    def test_unreachable_gateway(self):
        self.gateway.url = "http://127.0.0.1:9/sms"
        sms = self._send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))

    def test_batch_of_numbers_on_one_session(self):
        records = self.env["sms.sms"].create(
            [{"number": "+25471200%04d" % i, "body": "Notice %s" % (i % 2)} for i in range(20)]
        )
        self.sim.fault(status=500, to="+254712000003")
        records.send(unlink_sent=False, unlink_failed=False)
        self.assertEqual(len(self.sim.messages()), 19)
        self.assertEqual(records.filtered(lambda s: s.state == "error").number, "+254712000003")

    def test_secrets_are_neither_logged_nor_readable_by_others(self):
        self.sim.fault(status=503)
        with self.assertLogs("odoo.addons", level=logging.DEBUG) as logs:
            self._send()
            self._send()
        text = "\n".join(logs.output)
        self.assertIn("HTTP 503", text)
        self.assertIn("HTTP 200", text)
        for secret in (TOKEN, NUMBER, self.sim.url):
            self.assertNotIn(secret, text)
        manager = new_test_user(self.env, "sms_manager_user", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.gateway.with_user(manager).read(["auth_token"])
        admin = new_test_user(self.env, "sms_g2p_admin", groups="g2p_registry.group_g2p_admin")
        self.assertEqual(self.gateway.with_user(admin).auth_token, TOKEN)

    def test_invalid_configuration_is_refused(self):
        for vals in (
            {"body_template": "{not json"},
            {"body_template": "[1, 2]"},
            {"body_template": '{"to": "{number}"}'},
            {"content_type": "form", "body_template": '{"a": {"b": "{to}"}}'},
            {"success_status": "2xx"},
            {"url": "ftp://example.org"},
            {"timeout": 0},
        ):
            with self.subTest(vals=vals), self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.gateway.write(vals)
                self.gateway.flush_recordset()
