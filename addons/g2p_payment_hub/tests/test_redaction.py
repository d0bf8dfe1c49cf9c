from odoo.tests import TransactionCase

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
