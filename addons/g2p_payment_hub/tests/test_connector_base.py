"""The connector base the connector addons build on: required settings, the token cache, the
request hooks and the one retry policy of ``_request``."""

import threading
from unittest.mock import patch

import requests

from odoo.exceptions import UserError

from .common import PaymentHubCase
from odoo.addons.g2p_payment_hub.models import g2p_payment_connector as connector_module


def _response(status, body=b"{}"):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.url = "http://processor.test/"
    return response


class TestConnectorBase(PaymentHubCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connector = cls.env["g2p.payment.connector"].create(
            {
                "name": "Base",
                "psp_id": cls.mobile_psp.id,
                "state": "test",
                "retry_backoff": 0,
                "max_transport_retries": 2,
            }
        )
        cls.no_batch = cls.env["g2p.payment.batch"]

    def test_required_fields_named_in_one_message(self):
        Connector = type(self.connector)
        with patch.object(
            Connector, "_get_required_fields", lambda self: ["payment_mode", "payer_identifier"]
        ):
            with self.assertRaisesRegex(UserError, "is missing: Payment Mode, Payer Identifier"):
                self.connector._check_required_fields()
            self.connector.payment_mode = "mojaloop"
            with self.assertRaisesRegex(UserError, r"is missing: Payer Identifier$"):
                self.connector._check_required_fields()
            self.connector.payer_identifier = "2000"
            self.connector._check_required_fields()
        self.assertEqual(self.connector._get_required_fields(), [])

    def test_token_cache_per_connector_credentials_and_expiry(self):
        other = self.connector.copy({"name": "Other"})
        self.connector._token_cache_set(("url", "user", "pw"), "T1", 300, margin=30)
        self.assertEqual(self.connector._token_cache_get(("url", "user", "pw")), "T1")
        # Other credentials (a changed password) or another connector: not that token.
        self.assertIsNone(self.connector._token_cache_get(("url", "user", "new-pw")))
        self.assertIsNone(other._token_cache_get(("url", "user", "pw")))
        # Renewed before the processor expires it: 300 s minus the margin.
        now = connector_module.time.monotonic()
        with patch.object(connector_module.time, "monotonic", return_value=now + 271):
            self.assertIsNone(self.connector._token_cache_get(("url", "user", "pw")))
        # A write on the connector forgets its tokens, not the other connector's.
        other._token_cache_set(("url",), "T2", 300)
        self.connector._token_cache_set(("url",), "T3", 300)
        self.connector.write({"timeout": 20})
        self.assertIsNone(self.connector._token_cache_get(("url",)))
        self.assertEqual(other._token_cache_get(("url",)), "T2")

    def test_token_cache_is_thread_safe(self):
        errors = []

        def work(n):
            try:
                for i in range(200):
                    self.connector._token_cache_set(("thread", n, i % 5), "T%s" % i, 300)
                    self.connector._token_cache_get(("thread", n, i % 5))
                    if i % 50 == 0:
                        self.connector._token_cache_clear()
            except RuntimeError as error:  # "dictionary changed size during iteration"
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])

    def test_hooks_build_the_request_and_their_arguments_stay_out_of_requests(self):
        Connector = type(self.connector)
        calls = []

        def url_hook(self, endpoint, api=None, **kwargs):
            calls.append(("url", endpoint, api))
            return "http://processor.test/%s%s" % (api, endpoint)

        def headers_hook(self, method, endpoint, batch=None, api=None, **kwargs):
            return {"X-Tenant": "t1", "Authorization": "Bearer hook"}

        with (
            patch.object(Connector, "_build_request_url", url_hook),
            patch.object(Connector, "_build_request_headers", headers_hook),
            patch.object(Connector, "_build_request_auth", lambda self, batch=None, **kw: ("u", "p")),
            patch.object(connector_module.requests, "request", return_value=_response(200)) as request,
        ):
            response, content = self.connector._request_content(
                self.no_batch, "GET", "/status", api="ops", headers={"Authorization": "Bearer given"}
            )
        self.assertEqual((response.status_code, content), (200, {}))
        self.assertEqual(calls, [("url", "/status", "ops")])
        args, kwargs = request.call_args
        self.assertEqual(args, ("GET", "http://processor.test/ops/status"))
        self.assertEqual(kwargs["headers"], {"X-Tenant": "t1", "Authorization": "Bearer given"})
        self.assertEqual(kwargs["auth"], ("u", "p"))
        self.assertNotIn("api", kwargs)
        self.assertTrue(kwargs["verify"])

    def test_parse_hooks_default(self):
        self.assertEqual(self.connector._parse_response_content(_response(200, b'{"a": 1}')), {"a": 1})
        self.assertEqual(self.connector._parse_response_content(_response(200, b"<html>")), {})
        self.assertEqual(self.connector._parse_response_error(_response(400, b"bad payee")), "bad payee")

    def test_5xx_to_a_change_is_not_resent_without_a_look_up(self):
        with patch.object(connector_module.requests, "request", return_value=_response(503)) as request:
            response = self.connector._request(self.no_batch, "POST", "http://processor.test/batches")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(request.call_count, 1)

    def test_before_retry_looks_up_before_each_resend(self):
        answers = [_response(503), _response(502), _response(202)]
        looked_up = []
        with patch.object(connector_module.requests, "request", side_effect=answers) as request:
            response = self.connector._request(
                self.no_batch,
                "POST",
                "http://processor.test/batches",
                before_retry=lambda: looked_up.append(True) and False,
            )
        self.assertEqual(response.status_code, 202)
        self.assertEqual((request.call_count, len(looked_up)), (3, 2))

    def test_before_retry_finding_the_request_stops_the_retries(self):
        with patch.object(connector_module.requests, "request", return_value=_response(500)) as request:
            response = self.connector._request(
                self.no_batch, "POST", "http://processor.test/batches", before_retry=lambda: True
            )
        self.assertIsNone(response)
        self.assertEqual(request.call_count, 1)

    def test_before_retry_last_answer_is_returned(self):
        with patch.object(connector_module.requests, "request", return_value=_response(500)) as request:
            response = self.connector._request(
                self.no_batch, "POST", "http://processor.test/batches", before_retry=lambda: False
            )
        self.assertEqual(response.status_code, 500)
        self.assertEqual(request.call_count, 3)  # max_transport_retries + 1
