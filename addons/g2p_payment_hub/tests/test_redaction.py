import logging

from odoo.tests import TransactionCase

from odoo.addons.g2p_payment_hub.log_redaction import FILTER, redact_line
from odoo.addons.g2p_payment_hub.models.g2p_payment_connector import redact_headers, redact_text, redact_url


class TestRedaction(TransactionCase):
    def test_urls_headers_and_bodies_lose_their_secrets(self):
        url = redact_url("https://ops/oauth/token?username=mifos&password=s3cret&grant_type=password")
        self.assertNotIn("s3cret", url)
        self.assertIn("username=mifos", url)
        headers = redact_headers(
            {
                "Authorization": "Bearer abc",
                "X-SIGNATURE": "sig",
                "X-CallbackURL": "https://odoo/g2p/payment_hub/phee/callback/x?token=tok123",
                "Platform-TenantId": "gorilla",
            }
        )
        self.assertEqual(headers["Authorization"], "[REDACTED]")
        self.assertEqual(headers["X-SIGNATURE"], "[REDACTED]")
        self.assertNotIn("tok123", headers["X-CallbackURL"])
        self.assertEqual(headers["Platform-TenantId"], "gorilla")
        body = redact_text('{"access_token": "zzz", "token_type": "bearer"}')
        self.assertNotIn("zzz", body)
        self.assertIn("bearer", body)
        self.assertLess(len(redact_text("x" * 10000)), 4100)

    def test_request_log_lines_lose_callback_tokens(self):
        phee = '"POST /g2p/payment_hub/phee/callback/c0ffee?token=tok123&x=1 HTTP/1.1" 200 -'
        gsma = '"PUT /g2p/payment_hub/gsma/callback/c0ffee/tok456 HTTP/1.1" 204 -'
        other = '"GET /web/login?token=kept HTTP/1.1" 200 -'
        self.assertEqual(
            redact_line(phee),
            '"POST /g2p/payment_hub/phee/callback/c0ffee?token=[REDACTED]&x=1 HTTP/1.1" 200 -',
        )
        self.assertEqual(
            redact_line(gsma), '"PUT /g2p/payment_hub/gsma/callback/c0ffee/[REDACTED] HTTP/1.1" 204 -'
        )
        self.assertEqual(redact_line(other), other)
        # Installed on the request loggers when the hub is imported; a record is rewritten, not dropped.
        logger = logging.getLogger("werkzeug")
        self.assertIn(FILTER, logger.filters)
        record = logging.LogRecord(
            "werkzeug", logging.INFO, __file__, 1, '"%s" %s %s', (gsma[1:-7], 204, "-"), None
        )
        self.assertTrue(FILTER.filter(record))
        self.assertNotIn("tok456", record.getMessage())
        self.assertIn("/gsma/callback/c0ffee/[REDACTED]", record.getMessage())
