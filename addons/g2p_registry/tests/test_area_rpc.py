"""Over HTTP, as the web client and integrations call it: a registrar limited to a county cannot
read, count or find another county's registrants."""

from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from .common_area import AreaCase


@tagged("post_install", "-at_install")
class TestAreaRpc(AreaCase, HttpCase):
    def _call_kw(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_json_rpc_as_limited_registrar(self):
        self.authenticate("registrar_ksm", "registrar_ksm")
        domain = [("id", "in", self.ours.ids)]
        ids = self._call_kw("res.partner", "search", [domain])
        self.assertEqual(sorted(ids), sorted(self.kisumu_registrants.ids))
        self.assertEqual(self._call_kw("res.partner", "search_count", [domain]), 3)
        result = self._call_kw("res.partner", "web_search_read", [domain, {"name": {}}])
        self.assertEqual(result["length"], 3)
        self.assertNotIn("Kamau Household", [r["name"] for r in result["records"]])
        with self.assertRaises(JsonRpcException) as cm:
            self._call_kw("res.partner", "read", [[self.nbi_household.id], ["name"]])
        self.assertEqual(cm.exception.args[0], "odoo.exceptions.AccessError")
        self.assertEqual(
            self._call_kw("g2p.registrant.id", "search_count", [[("value", "=", "47000001")]]), 0
        )
        self.assertEqual(self._call_kw("res.partner", "name_search", [], {"name": "Kamau"}), [])

    def test_json2_as_limited_registrar(self):
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.registrar_ksm)
            .sudo()  # a key without expiry, for the test
            ._generate(None, "area test", None)
        )
        headers = {"Authorization": "Bearer %s" % key, "Content-Type": "application/json"}
        response = self.url_open(
            "/json/2/res.partner/search_read",
            data='{"domain": [["id", "in", %s]], "fields": ["name"]}' % self.ours.ids,
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(sorted(r["id"] for r in response.json()), sorted(self.kisumu_registrants.ids))
        response = self.url_open(
            "/json/2/res.partner/search_count",
            data='{"domain": [["area_id", "child_of", %d]]}' % self.nairobi.id,
            headers=headers,
        )
        self.assertEqual(response.json(), 0)

    def test_unlimited_user_over_rpc(self):
        new_test_user(
            self.env, "registrar_all", groups="g2p_registry.group_g2p_registrar", password="registrar_all"
        )
        self.authenticate("registrar_all", "registrar_all")
        self.assertEqual(self._call_kw("res.partner", "search_count", [[("id", "in", self.ours.ids)]]), 6)
