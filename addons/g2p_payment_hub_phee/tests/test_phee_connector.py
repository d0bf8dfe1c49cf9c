import datetime
from pathlib import Path

from odoo.exceptions import UserError
from odoo.tools import file_open

from ..tools import jws, phee
from odoo.addons.g2p_payment_hub.tests.common import PaymentHubCase
from odoo.addons.g2p_registry.const import SECRET_GROUPS

DATA = Path(__file__).parent / "data"


def _read(name):
    with file_open(str(DATA / name), "rb") as handle:
        return handle.read().decode()


class TestPheeConnector(PaymentHubCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Connector = cls.env["g2p.payment.connector"]
        common = {
            "code": "phee",
            "state": "test",
            "phee_bulk_url": "http://127.0.0.1:9",
            "phee_ops_url": "http://127.0.0.1:9",
            "phee_tenant": "gorilla",
            "payment_mode": "mojaloop",
            "payer_identifier_type": "msisdn",
            "payer_identifier": "27710101999",
            "phee_jws": True,
            "phee_jws_private_key": _read("TEST_ONLY_phee_jws_private_key.pem"),
        }
        cls.mobile_connector = Connector.create(
            {**common, "name": "PH-EE mobile", "psp_id": cls.mobile_psp.id}
        )
        cls.bank_connector = Connector.create({**common, "name": "PH-EE bank", "psp_id": cls.bank_psp.id})

    def test_csv_follows_the_spec_and_signature_verifies(self):
        payroll = self._approved_payroll()
        payroll.with_user(self.finance).action_create_batches()
        batches = payroll.batch_ids
        self.assertEqual(set(batches.mapped("state")), {"queued"})
        certificate = _read("TEST_ONLY_phee_jws_certificate.pem")
        for batch in batches:
            rows = phee.parse_csv(batch.payload)
            self.assertEqual(list(rows[0]), list(phee.COLUMNS))
            self.assertEqual([row["id"] for row in rows], [str(i) for i in range(len(rows))])
            self.assertEqual({row["request_id"] for row in rows}, set(batch.attempt_ids.mapped("request_id")))
            self.assertFalse(batch.payload.endswith("\n"))
            for row in rows:
                self.assertFalse(row["payee_identifier"].startswith("+"))
                self.assertEqual(row["payment_mode"], "mojaloop")
            headers = batch.connector_id._phee_headers(batch)
            self.assertTrue(jws.verify(certificate, headers, batch.payload, headers["X-SIGNATURE"]))
            self.assertIn(
                "/g2p/payment_hub/phee/callback/%s?token=" % batch.correlation_id, headers["X-CallbackURL"]
            )
            self.assertTrue(headers["X-CallbackURL"].endswith(batch.callback_token))
            self.assertEqual(headers["filename"], batch.payload_filename)

    def test_same_payee_and_amount_split_across_batches(self):
        payroll = self._approved_payroll()
        lines = payroll.line_ids.filtered(lambda line: line.psp_id == self.mobile_psp)[:2]
        # Two payments PH-EE would see as duplicates (same payee, type, amount, currency).
        self.env.cr.execute(
            "UPDATE g2p_payroll_line SET account_identifier = '+254710000001', amount = 1500 WHERE id IN %s",
            [tuple(lines.ids)],
        )
        lines.invalidate_recordset()
        payroll.with_user(self.finance).action_create_batches()
        holding = payroll.batch_ids.filtered(lambda b: b.attempt_ids.payroll_line_id & lines)
        self.assertEqual(len(holding), 2)

    def test_secrets_are_restricted(self):
        for name in ("phee_password", "phee_jws_private_key", "phee_username"):
            self.assertEqual(self.env["g2p.payment.connector"]._fields[name].groups, SECRET_GROUPS)
        self.assertEqual(self.env["g2p.payment.batch"]._fields["callback_token"].groups, SECRET_GROUPS)
        connector = self.mobile_connector.with_user(self.finance)
        connector.read(["name", "state"])
        with self.assertRaises(Exception):
            connector.read(["phee_jws_private_key"])

    def test_unreachable_processor_leaves_the_batch_queued(self):
        self.mobile_connector.write({"max_transport_retries": 1, "retry_backoff": 0.0, "timeout": 2})
        payroll = self._approved_payroll()
        payroll.with_user(self.finance).action_create_batches()
        batch = payroll.batch_ids.filtered(lambda b: b.connector_id == self.mobile_connector)[0]
        action = batch.with_user(self.finance).action_send()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(batch.state, "queued")
        self.assertIn("Cannot reach", batch.last_error)
        self.assertEqual(set(batch.attempt_ids.mapped("status")), {"queued"})
        self.assertEqual(set(batch.attempt_ids.payroll_line_id.mapped("state")), {"approved"})
        # Two tries (one retry: a refused connection cannot have been received), all logged.
        self.assertEqual(len(batch.log_ids.filtered(lambda log: log.kind == "request")), 2)
        self.assertEqual(len(batch.log_ids.filtered(lambda log: log.kind == "error")), 3)

    def test_completion_day_is_the_users_local_day(self):
        late_evening = phee.TransferOutcome("r", "paid", "", "tx", datetime.datetime(2026, 3, 1, 22, 30))
        nairobi = self.mobile_connector.with_context(tz="Africa/Nairobi")  # UTC+3: already 2 March
        self.assertEqual(nairobi._phee_result(late_evening)["date"], datetime.date(2026, 3, 2))
        lima = self.mobile_connector.with_context(tz="America/Lima")  # UTC-5: still 1 March
        self.assertEqual(lima._phee_result(late_evening)["date"], datetime.date(2026, 3, 1))
        self.assertNotIn("date", nairobi._phee_result(late_evening._replace(completed_at=None)))

    def test_required_settings_are_declared(self):
        connector = self.mobile_connector
        self.assertEqual(
            connector._get_required_fields(),
            ["phee_bulk_url", "phee_ops_url", "phee_tenant", "payment_mode", "phee_jws_private_key"],
        )
        connector.write({"phee_tenant": False, "phee_jws_private_key": False})
        with self.assertRaisesRegex(UserError, "is missing: Tenant, Signing Private Key"):
            connector._test_connection()
        connector.phee_jws = False
        self.assertNotIn("phee_jws_private_key", connector._get_required_fields())

    def test_request_hooks_route_each_api_with_its_headers(self):
        connector = self.mobile_connector.with_context(tz="UTC")
        connector.write({"phee_bulk_url": "http://bulk.test/", "phee_ops_url": "http://ops.test"})
        self.assertEqual(
            connector._build_request_url("/batchtransactions", api="bulk"),
            "http://bulk.test/batchtransactions",
        )
        self.assertEqual(
            connector._build_request_url("/api/v1/batches", api="ops"), "http://ops.test/api/v1/batches"
        )
        self.assertEqual(
            connector._build_request_headers("POST", "/oauth/token", api="oauth"),
            {"Authorization": "Basic Y2xpZW50Og==", "Platform-TenantId": "gorilla"},
        )
        # The operations API carries the token of the hub's cache (no login while it is valid).
        credentials = (
            connector.phee_ops_url,
            connector.phee_tenant,
            connector.phee_username,
            connector.phee_password,
        )
        connector._token_cache_set(credentials, "cached-token", 300)
        headers = connector._build_request_headers(
            "GET", "/api/v1/batches", batch=self.env["g2p.payment.batch"], api="ops"
        )
        self.assertEqual(headers, {"Platform-TenantId": "gorilla", "Authorization": "Bearer cached-token"})
        # A write on the connector (new credentials) forgets its tokens.
        connector.phee_password = "changed"
        self.assertIsNone(connector._token_cache_get(credentials))
