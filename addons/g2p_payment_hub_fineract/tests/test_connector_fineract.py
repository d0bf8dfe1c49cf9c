"""Mifos X / Fineract savings-deposit connector over real HTTP to the stand-in."""

import time

from odoo.tests import tagged

from .simulators import fineract
from odoo.addons.g2p_payment_hub.tests.psp_common import FAST_TRANSPORT, PspCase
from odoo.addons.g2p_payroll.tests.test_golden import iban

API = "/fineract-provider/api/v1"


@tagged("post_install", "-at_install")
class TestFineractConnector(PspCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A fourth bank household known to Fineract by its account number, not an external id.
        household = cls._family("HH-SAV", [33, 3])
        cls.env["g2p.payment.account"].create(
            {
                "partner_id": household.id,
                "account_type": "bank",
                "provider_id": cls.bank_psp.id,
                "account_number": "000000003",
                "is_default": True,
            }
        )
        cls.program.with_user(cls.manager)._enrol_eligible()
        accounts = [
            {"id": 1, "externalId": iban(9)},
            {"id": 2, "externalId": iban(10), "status": "closed"},
            {"id": 3},  # accountNo 000000003
        ]  # iban(11) is unknown to Fineract
        cls.sim_context = fineract.run_fineract_simulator(accounts=accounts)
        cls.sim = cls.sim_context.__enter__()
        cls.addClassCleanup(cls.sim_context.__exit__, None, None, None)
        cls.connector = cls.env["g2p.payment.connector"].create(
            {
                "name": "Savings (Fineract)",
                "code": "fineract",
                "psp_id": cls.bank_psp.id,
                "state": "test",
                "fineract_url": cls.sim.url + API,
                "fineract_tenant": "default",
                "fineract_username": "mifos",
                "fineract_password": "password",
                "fineract_payment_type_id": 1,
                "amount_decimals": 2,
                **FAST_TRANSPORT,
            }
        )

    def setUp(self):
        super().setUp()
        self.sim.control("reset", {})
        self.payroll = self._approved_payroll()
        self.lines = self._lines(self.payroll, self.bank_psp)
        self.assertEqual(len(self.lines), 4)
        by_account = {line.account_identifier: line for line in self.lines}
        self.line_ok, self.line_closed, self.line_unknown, self.line_by_number = (
            by_account[iban(9)],
            by_account[iban(10)],
            by_account[iban(11)],
            by_account["000000003"],
        )

    def _batch(self):
        batch = self.payroll._create_payment_batches(self.lines)
        self.assertEqual(len(batch), 1)
        return batch

    def _deposits(self, account_id=None):
        prefix = "%s/savingsaccounts/%s" % (API, account_id or "")
        return [
            r
            for r in self.sim.control("received", path_prefix=prefix)
            if r["method"] == "POST" and r["path"].endswith("/transactions")
        ]

    def _account(self, account_id):
        response = self.sim.session.get(
            "%s%s/savingsaccounts/%s" % (self.sim.url, API, account_id),
            headers={"Fineract-Platform-TenantId": "default"},
            auth=("mifos", "password"),
            timeout=5,
        )
        return response.json()["summary"]

    def assertOutcome(self, batch):
        """Deposited once on accounts 1 and 3; closed and unknown accounts failed with their codes."""
        self.assertEqual(batch.state, "completed")
        self.assertEqual((batch.paid_count, batch.failed_count, batch.pending_count), (2, 2, 0))
        self.assertSettled(
            self.payroll, self.line_ok | self.line_by_number, self.line_closed | self.line_unknown
        )
        self.assertEqual(self.line_closed.failure_reason_id.code, "ACCOUNT_CLOSED")
        self.assertEqual(self.line_closed.failure_note, "Transaction is not allowed. Account is not active.")
        self.assertEqual(self.line_unknown.failure_reason_id.code, "ACCOUNT_NOT_FOUND")
        for account_id, line in ((1, self.line_ok), (3, self.line_by_number)):
            summary = self._account(account_id)
            self.assertAlmostEqual(summary["accountBalance"], line.amount, 2)
            self.assertAlmostEqual(summary["totalDeposits"], line.amount, 2, "deposited exactly once")
            self.assertTrue(line.psp_reference.startswith("%s/" % account_id))
        self.assertEqual(self._account(2)["accountBalance"], 0)

    def test_deposits(self):
        batch = self._batch()
        batch.with_user(self.finance).action_send()
        self.assertOutcome(batch)
        deposits = self._deposits()
        self.assertEqual(len(deposits), 3, "one per resolved account; the unknown one is never posted")
        attempts = {a.request_id: a for a in batch.attempt_ids}
        for deposit in deposits:
            headers = deposit["headers"]
            self.assertIn(headers["Idempotency-Key"], attempts)
            self.assertEqual(headers["Fineract-Platform-TenantId"], "default")
            self.assertTrue(headers["Authorization"].startswith("Basic "))
        self.assertEqual(len({d["headers"]["Idempotency-Key"] for d in deposits}), 3)
        log_text = "".join((log.headers or "") + (log.body or "") for log in batch.log_ids)
        self.assertNotIn("password", log_text.replace('"password"', ""))
        self.assertNotIn("bWlmb3M6cGFzc3dvcmQ", log_text)  # base64 of mifos:password
        # Nothing is open any more: fetching again posts nothing.
        batch._fetch_and_apply()
        self.assertEqual(len(self._deposits()), 3)

    def test_accept_then_fail_replayed_not_deposited_twice(self):
        """Fineract deposits but the answer is lost (500): the payment stays pending; the next fetch
        posts it again with the same Idempotency-Key and Fineract answers from its cache."""
        self.sim.control(
            "faults",
            {"kind": "accept_then_fail", "status": 500, "path_prefix": "%s/savingsaccounts/1/" % API},
        )
        batch = self._batch()
        batch._send_batches()
        self.assertIn(batch.state, ("sent", "partially_completed"))
        self.assertEqual(self.line_ok.state, "sent")
        self.assertTrue(batch.last_error)
        batch._fetch_and_apply()
        self.assertOutcome(batch)
        first, second = self._deposits(1)
        self.assertEqual(first["headers"]["Idempotency-Key"], second["headers"]["Idempotency-Key"])

    def test_timeout_replayed_not_deposited_twice(self):
        self.connector.timeout = 1
        self.sim.control(
            "faults", {"kind": "delay", "seconds": 2, "path_prefix": "%s/savingsaccounts/1/" % API}
        )
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(self.line_ok.state, "sent")
        self.assertIn("did not answer", batch.last_error)
        time.sleep(1.5)  # let the slow deposit finish (a post while it runs is answered 425)
        batch._fetch_and_apply()
        self.assertOutcome(batch)
        self.assertEqual(len(self._deposits(1)), 2)

    def test_server_error_retried_with_same_key(self):
        """A 500 that did nothing is retried by the transport (same key): deposited once."""
        self.connector.max_transport_retries = 1
        self.sim.control(
            "faults", {"kind": "error", "status": 500, "path_prefix": "%s/savingsaccounts/1/" % API}
        )
        batch = self._batch()
        batch._send_batches()
        self.assertOutcome(batch)
        self.assertEqual(len(self._deposits(1)), 2)

    def test_refused_login_fails_batch(self):
        self.connector.fineract_password = "wrong"
        batch = self._batch()
        batch._send_batches()
        self.assertEqual(batch.state, "failed")
        self.assertIn("401", batch.last_error)
        self.assertEqual(set(self.lines.mapped("state")), {"approved"})
        self.assertFalse(self._deposits())
        with self.assertRaisesRegex(Exception, "401"):
            self.connector.action_test_connection()

    def test_connector_form(self):
        """The Fineract fields are on the connector form, required where the type needs them."""
        self.assertConnectorForm(
            "fineract", {"fineract_url": "https://mifos.example.org/api/v1", "fineract_payment_type_id": 1}
        )
