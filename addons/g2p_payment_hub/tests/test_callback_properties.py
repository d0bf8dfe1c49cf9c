"""Property-based tests (issue #17) of the payment hub's callback route, over real HTTP: any body,
any token, answers 403/413 (never a 5xx or a traceback) and stores nothing; an oversized body is
refused (413) before the token is even checked."""

from hypothesis import example, given
from hypothesis import strategies as st

from odoo.tests import HttpCase, tagged

from odoo.addons.g2p_registry.tests.properties import PROPERTY

LOG_TABLES = ("g2p_payment_batch_log", "g2p_payment_collection_log")


@tagged("post_install", "-at_install")
class TestCallbackProperties(HttpCase):
    def state(self):
        self.env.flush_all()
        counts = []
        for table in LOG_TABLES:
            self.env.cr.execute("SELECT count(*) FROM %s" % table)
            counts.append(self.env.cr.fetchone()[0])
        return counts

    def post(self, path, data, token="wrong-token"):
        return self.url_open(
            path, data=data, headers={"X-G2P-Token": token, "Content-Type": "application/json"}, method="POST"
        )

    @PROPERTY
    @given(
        st.sampled_from(["collection", "transfer"]), st.text(min_size=1, max_size=30), st.binary(max_size=300)
    )
    @example("collection", "REQ-1", b"[" * 100_000)
    @example("transfer", "REQ-2", b'{"a": "\\u0000"}')
    def test_request_callback(self, kind, request_id, data):
        before = self.state()
        response = self.post("/g2p/payment_hub/%s/callback/x%s" % (kind, request_id.encode().hex()), data)
        self.assertIn(response.status_code, (403, 404, 413), response.text[:300])
        self.assertNotIn("Traceback", response.text)
        self.assertEqual(self.state(), before)

    def test_callback_limit(self):
        """Just over ``g2p_payment_hub.max_callback_bytes`` is 413 before the token is checked; just
        under reaches the token check (403 for a wrong token); the lowered parameter takes effect."""
        self.env["ir.config_parameter"].sudo().set_param("g2p_payment_hub.max_callback_bytes", "1000")
        path = "/g2p/payment_hub/collection/callback/UNKNOWN-REQUEST"
        self.assertEqual(self.post(path, b"{}" + b" " * 998).status_code, 403)
        response = self.post(path, b"{}" + b" " * 999)
        self.assertEqual(response.status_code, 413, response.text)
        self.assertEqual(response.json(), {"error": "payload too large"})
