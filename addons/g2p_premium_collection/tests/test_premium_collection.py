"""Premium collection by mobile money, end to end over real HTTP: the cover's wizard sends a request to
pay to the PH-EE simulator (its own process: channel connector and operations API), the simulated
payer answers on their phone, the simulator calls back into Odoo's HTTP server, the callback queues a
status job, the job fetches the status from the operations API and posts the entry. The payer's
answer depends on the last digit of their MSISDN (the simulator's COLLECTION_SCENARIOS)."""

import time
from datetime import timedelta

import requests

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.g2p_insurance_accounting.tests.common import InsuranceCase
from odoo.addons.g2p_payment_hub.tests.common import perform_trapped_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

try:
    from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values, run_phee_simulator
except ImportError:  # the PH-EE connector is not in the addons path
    run_phee_simulator = None
try:
    from odoo.addons.g2p_payment_hub_gsma.tests.simulators.gsma import run_gsma_simulator
except ImportError:
    run_gsma_simulator = None

APPROVES, REJECTS, NO_ANSWER, FAILS, PAYS_HALF, CALLS_BACK_THRICE = (
    "+254711000%03d" % digit for digit in (1, 2, 3, 4, 5, 6)
)


class CollectionSetup:
    """A collecting connector to the stand-in of a processor (the subclasses), and a cover due."""

    simulator = None
    addon = None

    @classmethod
    def _connector_values(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.simulator is None or not cls.env["ir.module.module"].search_count(
            [("name", "=", cls.addon), ("state", "=", "installed")]
        ):
            cls.skipTest(cls, "%s is not installed" % cls.addon)
        cls._sim_context = cls._start_simulator()
        cls.sim = cls._sim_context.__enter__()
        cls.addClassCleanup(cls._sim_context.__exit__, None, None, None)
        # Set up by a G2P administrator (the test's user is an accountant).
        cls.psp = (
            cls.env["res.partner"]
            .sudo()
            .create({"name": "M-Pesa (test)", "is_company": True, "is_psp": True})
        )
        cls.connector = (
            cls.env["g2p.payment.connector"]
            .sudo()
            .create(
                {
                    "name": "Collection",
                    "state": "test",
                    "psp_id": cls.psp.id,
                    "company_id": cls.company.id,
                    "timeout": 5,
                    "retry_backoff": 0.01,
                    **cls._connector_values(),
                }
            )
        )
        cls.clearing = cls.psp._g2p_psp_clearing_account(cls.company).sudo(False)

    def setUp(self):
        super().setUp()
        self.sim.control("reset")
        self.policy = self._policy(pay=False)

    # ------------------------------------------------------------------ helpers

    def _request(self, msisdn, amount=None, policy=None):
        policy = policy or self.policy
        wizard = (
            self.env["g2p.insurance.collect.wizard"]
            .with_user(self.finance)
            .with_context(default_policy_id=policy.id)
            .create({"connector_id": self.connector.id, "payer_msisdn": msisdn})
        )
        if amount is not None:
            wizard.amount = amount
        self._answered_before = len(self._answered())
        wizard.action_request()
        collection = policy.collection_ids.sorted("id")[-1:]
        self.assertEqual(len(collection), 1)
        return collection

    def _answered(self):
        return [c for c in self._callbacks() if c.get("status") == 200]

    def _wait_callbacks(self, expected, timeout=60):
        """Serve Odoo's HTTP server until the simulator had ``expected`` more callbacks answered
        2xx than before the last request."""
        self.env.flush_all()
        expected += self._answered_before
        deadline = time.monotonic() + timeout
        with self.allow_requests(all_requests=True):
            while time.monotonic() < deadline:
                answered = self._answered()
                if len(answered) >= expected:
                    break
                time.sleep(0.1)
            else:
                self.fail("%s of %s callbacks answered in %s s" % (len(answered), expected, timeout))
        self.env.invalidate_all()

    def _settle(self, collection, callbacks=1):
        """Let the payer answer and call back; perform the status jobs the callbacks queued."""
        with trap_jobs() as trap:
            self._wait_callbacks(callbacks)
            jobs = len(trap.enqueued_jobs)
            perform_trapped_jobs(trap, self.env.cr)
        self.env.invalidate_all()
        return jobs

    def _receivable_lines(self, policy):
        return policy.sudo().move_ids.line_ids.filtered(
            lambda line: line.account_id == self.acc["g2p_ins_premium_receivable_account_id"]
        )

    def assertAskedOnce(self, *collections):
        self.assertEqual(sorted(self._asked()), sorted(collection.request_id for collection in collections))


class CollectionScenarios(CollectionSetup):
    """The scenarios, played against the stand-in of each processor (the subclasses)."""

    def test_approved_collection_posts_and_reconciles_the_premium(self):
        collection = self._request(APPROVES)
        self.assertEqual(collection.state, "requested")
        self.assertTrue(collection.external_id)
        self.assertTrue(self.policy.collection_pending)
        self.assertEqual(self._settle(collection), 1)
        self.assertEqual(collection.state, "paid")
        self.assertEqual(collection.amount_collected, 30_000)
        self.assertTrue(collection.psp_reference)
        self.assertMove(
            collection.move_id,
            collection.done_date,
            self.acc["journal"],
            [
                (self.clearing, self.family, 30_000, 0),
                (self.acc["g2p_ins_premium_receivable_account_id"], self.family, 0, 30_000),
            ],
        )
        self.assertTrue(self.policy.premium_paid)
        self.assertEqual(self.policy.premium_residual, 0)
        self.assertTrue(all(self._receivable_lines(self.policy).mapped("reconciled")))
        self.assertFalse(self.policy.collection_pending)
        self.assertAskedOnce(collection)
        # The log holds the request, its answer, the callback and the status poll, no secret.
        kinds = set(collection.sudo().log_ids.mapped("kind"))
        self.assertTrue({"request", "response", "callback", "poll"} <= kinds)
        self.assertNotIn(collection.sudo().callback_token, "".join(collection.sudo().log_ids.mapped("url")))

    def test_rejected_and_failed_requests_leave_the_premium_open(self):
        rejected = self._request(REJECTS)
        self._settle(rejected)
        self.assertEqual(rejected.state, "rejected")
        self.assertIn("declined" if self.addon == "g2p_payment_hub_gsma" else "rejected", rejected.reason)
        self.assertFalse(rejected.move_id)
        self.assertEqual(self.policy.premium_residual, 30_000)
        failed = self._request(FAILS)
        self._settle(failed)
        self.assertEqual(failed.state, "failed")
        self.assertIn("insufficient funds", failed.reason.lower())
        self.assertFalse(failed.move_id)
        self.assertEqual(self.policy.premium_residual, 30_000)
        self.assertFalse(self.policy.premium_paid)
        self.assertEqual(len(self.policy.sudo().move_ids), 1)  # the premium invoice only

    def test_unanswered_request_expires_and_a_late_payment_still_counts(self):
        collection = self._request(NO_ANSWER)
        self.env["g2p.payment.collection"].sudo()._cron_expire()
        self.assertEqual(collection.state, "requested")  # not overdue yet
        collection.sudo().expiry_date = fields.Datetime.now() - timedelta(minutes=1)
        self.env["g2p.payment.collection"].sudo()._cron_expire()
        self.assertEqual(collection.state, "expired")
        self.assertTrue(collection.reason)
        self.assertEqual(self.policy.premium_residual, 30_000)
        self.assertFalse(collection.move_id)
        # The cron asked the processor once more before giving up (a status poll is in the log).
        self.assertIn("poll", collection.sudo().log_ids.mapped("kind"))
        # A payer who approves after the expiry has paid: the money is booked, not lost.
        collection.sudo()._apply_status({"status": "paid", "psp_reference": "LATE1"})
        self.assertEqual(collection.state, "paid")
        self.assertEqual(self.policy.premium_residual, 0)
        # ... while a late rejection changes nothing.
        other = self._request(NO_ANSWER, policy=self._policy(pay=False))
        other.sudo().write({"expiry_date": fields.Datetime.now() - timedelta(minutes=1)})
        self.env["g2p.payment.collection"].sudo()._cron_expire()
        other.sudo()._apply_status({"status": "rejected"})
        self.assertEqual(other.state, "expired")

    def test_partial_payments_leave_the_rest_due(self):
        first = self._request(APPROVES, amount=12_000)
        self._settle(first)
        self.assertEqual(first.state, "paid")
        self.assertEqual(self.policy.premium_residual, 18_000)
        self.assertFalse(self.policy.premium_paid)
        # The payer approves only half of the second request: a partly paid collection.
        second = self._request(PAYS_HALF)
        self.assertEqual(second.amount, 18_000)
        self._settle(second)
        self.assertEqual(second.state, "partial")
        self.assertEqual(second.amount_collected, 9_000)
        self.assertEqual(self.policy.premium_residual, 9_000)
        self.assertEqual(
            sorted(
                self.policy.sudo()
                .move_ids.filtered(lambda m: m.journal_id == self.acc["journal"])
                .mapped(lambda m: sum(m.line_ids.mapped("debit")))
            ),
            [9_000, 12_000, 30_000],
        )
        with self.assertRaises(ValidationError):
            self._request(APPROVES, amount=9_001)

    def test_duplicate_callbacks_post_once(self):
        collection = self._request(CALLS_BACK_THRICE)
        jobs = self._settle(collection, callbacks=3)
        self.assertEqual(jobs, 1, "three identical callbacks are one event, one status job")
        self.assertEqual(len(collection.sudo().log_ids.filtered(lambda log: log.kind == "callback")), 1)
        self.assertEqual(collection.state, "paid")
        move = collection.move_id
        # Whatever asks again (the button, the cron, a replayed job) posts nothing more.
        collection.with_user(self.finance).action_check_status()
        collection.sudo()._fetch_and_apply_status()
        collection.sudo()._apply_status({"status": "paid"})
        self.assertEqual(collection.move_id, move)
        journal_moves = self.policy.sudo().move_ids.filtered(lambda m: m.journal_id == self.acc["journal"])
        self.assertEqual(len(journal_moves), 2)  # the premium and one collection
        self.assertAskedOnce(collection)

    def test_forged_callbacks_are_refused(self):
        collection = self._request(NO_ANSWER)
        url = "%s/g2p/payment_hub/collection/callback/%s" % (self.base_url(), collection.request_id)
        body = {"transactionId": collection.external_id, "state": "ACCEPTED"}
        self.env.flush_all()
        with trap_jobs() as trap, self.allow_requests(all_requests=True):
            missing = requests.post(url, json=body, timeout=10)
            wrong = requests.post(url, params={"token": "A" * 43}, json=body, timeout=10)
            unknown = requests.post(
                url.replace(collection.request_id, "00000000-0000-4000-8000-000000000000"),
                params={"token": collection.sudo().callback_token},
                json=body,
                timeout=10,
            )
        self.assertEqual([r.status_code for r in (missing, wrong, unknown)], [403, 403, 403])
        self.assertEqual(trap.enqueued_jobs, [])
        self.env.invalidate_all()
        self.assertFalse(collection.sudo().log_ids.filtered(lambda log: log.kind == "callback"))
        self.assertEqual(collection.state, "requested")

    def test_guards(self):
        # Not a finance officer: no collection.
        with self.assertRaises(AccessError):
            self.policy.with_user(self.officer).action_open_collect_wizard()
        # One waiting request per cover at a time.
        self._request(NO_ANSWER)
        with self.assertRaises(UserError):
            self._request(APPROVES)
        # A sent request cannot be edited or deleted.
        collection = self.policy.collection_ids
        with self.assertRaises(UserError):
            collection.with_user(self.finance).amount = 1
        with self.assertRaises(UserError):
            collection.sudo().unlink()
        # A paid cover has nothing to collect.
        paid = self._policy()
        with self.assertRaises(UserError):
            paid.with_user(self.finance).action_open_collect_wizard()
        # A processor that refuses the request (a malformed number) fails it with its words.
        refused = self._request("12", policy=self._policy(pay=False))
        self.assertEqual(refused.state, "failed")
        self.assertIn("msisdn", refused.reason.lower())


class PheeProcessor:
    """PH-EE: the channel connector's request to pay, the operations app's transaction requests."""

    simulator = run_phee_simulator
    addon = "g2p_payment_hub_phee"

    @classmethod
    def _start_simulator(cls):
        return run_phee_simulator(oauth=True, collection_delay=0.2)

    @classmethod
    def _connector_values(cls):
        return {
            **connector_values(cls.sim.url),
            "phee_channel_url": cls.sim.url,
            "phee_callback_base_url": cls.base_url(),
        }

    def _callbacks(self):
        return self.sim.control("callbacks")["callbacks"]

    def _asked(self):
        return [entry["clientCorrelationId"] for entry in self.sim.control("received")["transactionRequests"]]


@tagged("post_install", "-at_install")
class TestPheePremiumCollection(PheeProcessor, CollectionScenarios, HttpCase, InsuranceCase):
    pass


@tagged("post_install", "-at_install")
class TestPremiumCollectionTour(PheeProcessor, CollectionSetup, HttpCase, InsuranceCase):
    """An insurance finance officer (only that role) collects a cover's premium in the browser."""

    def test_finance_officer_collects_a_premium_by_mobile_money(self):
        self.policy.sudo().holder_id.phone = APPROVES
        # The callback may come while the browser still runs (its requests alone are served then):
        # the stand-in retries it, as PH-EE does, until the test serves it.
        self.sim.control("config", {"callback_max_retry": 60})
        self._answered_before = len(self._answered())
        self.start_tour("/odoo", "g2p_premium_collection_tour", login=self.finance.login)
        collection = self.policy.collection_ids
        self.assertEqual(len(collection), 1)
        self.assertEqual(
            (collection.state, collection.amount, collection.payer_msisdn), ("requested", 30_000, APPROVES)
        )
        self.assertEqual(collection.create_uid, self.finance)
        self._settle(collection)
        self.assertEqual(collection.state, "paid")
        self.assertTrue(self.policy.premium_paid)
        # The officer sees it paid in the list, and the cover no longer offers a collection.
        self.start_tour("/odoo", "g2p_premium_collection_paid_tour", login=self.finance.login)


@tagged("post_install", "-at_install")
class TestGsmaPremiumCollection(CollectionScenarios, HttpCase, InsuranceCase):
    """GSMA Mobile Money API: a payee-initiated merchant payment, its request state and transaction."""

    simulator = run_gsma_simulator
    addon = "g2p_payment_hub_gsma"

    @classmethod
    def _start_simulator(cls):
        return run_gsma_simulator(auth={"api_key": "s3cret-api-key"}, merchantpay_delay=0.2)

    @classmethod
    def _connector_values(cls):
        return {
            "code": "gsma",
            "gsma_url": cls.sim.url,
            "gsma_auth_mode": "api_key",
            "gsma_api_key": "s3cret-api-key",
            "gsma_use_callback": True,
            "gsma_callback_base_url": cls.base_url(),
            "payer_identifier_type": "accountid",
            "payer_identifier": "2000",
        }

    def _callbacks(self):
        return self.sim.control("callbacks")

    def _asked(self):
        received = self.sim.control("received", path_prefix="/transactions/type/merchantpay")
        return [entry["headers"].get("X-CorrelationID") for entry in received]
