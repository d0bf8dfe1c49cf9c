"""Provider payment runs end to end over real HTTP: a run pays each provider its approved claims by
one transfer through the PH-EE simulator (its own process: channel connector and operations API);
the simulator commits or aborts the transfer by the last character of the payee's account
(TRANSFER_SCENARIOS), calls back into Odoo's HTTP server, the callback queues a status job, and the
job fetches the transfer's state and posts the entry."""

import time
from datetime import date

import requests

from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.g2p_insurance_accounting.tests.common import InsuranceCase
from odoo.addons.g2p_payment_hub.tests.common import perform_trapped_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

try:
    from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values, run_phee_simulator
except ImportError:  # the PH-EE connector is not in the addons path
    run_phee_simulator = None

COMMITS, ABORTS, NEVER_SETTLES, CALLS_BACK_THRICE = (
    "0110812345671",
    "0110812345679",
    "0110812345678",
    "0110812345677",
)
CORRECTED = "0110899999991"  # commits too


class ProviderPaymentSetup:
    """A transferring PH-EE connector to the simulator, two finance officers and approved claims."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if run_phee_simulator is None or not cls.env["ir.module.module"].search_count(
            [("name", "=", "g2p_payment_hub_phee"), ("state", "=", "installed")]
        ):
            cls.skipTest(cls, "g2p_payment_hub_phee is not installed")
        cls._sim_context = run_phee_simulator(oauth=True, transfer_delay=0.2)
        cls.sim = cls._sim_context.__enter__()
        cls.addClassCleanup(cls._sim_context.__exit__, None, None, None)
        cls.psp = (
            cls.env["res.partner"]
            .sudo()
            .create({"name": "Bank via PH-EE (test)", "is_company": True, "is_psp": True})
        )
        cls.connector = (
            cls.env["g2p.payment.connector"]
            .sudo()
            .create(
                {
                    "name": "Provider payments",
                    "state": "test",
                    "psp_id": cls.psp.id,
                    "company_id": cls.company.id,
                    "timeout": 5,
                    "retry_backoff": 0.01,
                    **connector_values(cls.sim.url),
                    "phee_channel_url": cls.sim.url,
                    "phee_callback_base_url": cls.base_url(),
                }
            )
        )
        cls.clearing = cls.psp._g2p_psp_clearing_account(cls.company).sudo(False)
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.checker = new_test_user(
            cls.env, "ins_checker", groups="g2p_insurance_accounting.group_g2p_insurance_finance", **user_vals
        )
        # A finance officer who is also a claims officer: may not approve the payment of claims
        # they adjudicated.
        cls.adjudicator = new_test_user(
            cls.env,
            "ins_adjudicator",
            groups="g2p_insurance_accounting.group_g2p_insurance_finance,"
            "g2p_insurance_accounting.group_g2p_claims_officer",
            **user_vals,
        )

    def setUp(self):
        super().setUp()
        self.sim.control("reset")
        self.policy = self._policy()
        self._set_account(self.gertrude, COMMITS)
        self._set_account(self.nairobi, COMMITS)

    # ------------------------------------------------------------------ helpers

    def _set_account(self, provider, number):
        provider = provider.sudo()
        provider.bank_ids.unlink()
        self.env["res.partner.bank"].sudo().create({"partner_id": provider.id, "acc_number": number})

    def _approved_claim(self, provider, reference, amount, officer=None):
        claim = self._claim(self.policy, provider, reference, self.brian, self.inpatient, amount)
        claim._receive()
        if officer:
            claim = claim.with_user(officer)
        claim._approve(date(2020, 3, 20))
        self.assertEqual(claim.state, "approved")
        return claim.with_user(self.officer)

    def _approved_run(self, **vals):
        run = (
            self.env["g2p.provider.payment.run"]
            .with_user(self.finance)
            .create({"connector_id": self.connector.id, "company_id": self.company.id, **vals})
        )
        run.action_load_claims()
        run.action_submit()
        run.with_user(self.checker).action_approve()
        return run

    def _callbacks(self):
        return self.sim.control("callbacks")["callbacks"]

    def _answered(self):
        return [c for c in self._callbacks() if c.get("status") == 200]

    def _sent_payees(self):
        return [entry["payee"] for entry in self.sim.control("received")["channelTransfers"]]

    def _send(self, run, user=None):
        self._answered_before = len(self._answered())
        run.with_user(user or self.finance).action_send()

    def _settle(self, expected, timeout=60):
        """Serve Odoo's HTTP server until ``expected`` more callbacks were answered, then perform
        the status jobs they queued; returns the number of jobs."""
        self.env.flush_all()
        expected += self._answered_before
        deadline = time.monotonic() + timeout
        with trap_jobs() as trap:
            with self.allow_requests(all_requests=True):
                while len(self._answered()) < expected:
                    self.assertLess(time.monotonic(), deadline, "callbacks not answered in time")
                    time.sleep(0.1)
            jobs = len(trap.enqueued_jobs)
            perform_trapped_jobs(trap, self.env.cr)
        self.env.invalidate_all()
        return jobs

    def _payable_items(self, claims):
        return claims.sudo().receipt_move_id.line_ids.filtered(
            lambda line: line.account_id == self.acc["g2p_ins_provider_payable_account_id"]
        )


@tagged("post_install", "-at_install")
class TestProviderPaymentRun(ProviderPaymentSetup, HttpCase, InsuranceCase):
    def test_run_pays_each_provider_once_with_its_entry(self):
        first = self._approved_claim(self.gertrude, "GCH-1", 30_000)
        second = self._approved_claim(self.gertrude, "GCH-2", 12_500)
        other = self._approved_claim(self.nairobi, "TNH-1", 7_250)
        run = self._approved_run()
        self.assertEqual(run.state, "approved")
        self.assertEqual(run.line_count, 2)
        self.assertEqual(run.claim_count, 3)
        self.assertEqual(run.total_amount, 49_750)
        gertrude_line = run.line_ids.filtered(lambda line: line.payee_id == self.gertrude)
        self.assertEqual((gertrude_line.amount, gertrude_line.payee_identifier), (42_500, COMMITS))
        self._send(run)
        self.assertEqual(run.state, "in_payment")
        self.assertEqual(set(run.line_ids.mapped("state")), {"sent"})
        self.assertEqual(self._settle(2), 2)
        self.assertEqual(run.state, "done")
        self.assertEqual(set(run.line_ids.mapped("state")), {"paid"})
        self.assertEqual(set((first | second | other).mapped("state")), {"paid"})
        transfer = gertrude_line.transfer_ids
        self.assertEqual(len(transfer), 1)
        self.assertEqual(transfer.state, "paid")
        self.assertTrue(transfer.psp_reference)
        payable = self.acc["g2p_ins_provider_payable_account_id"]
        self.assertMove(
            gertrude_line.move_id,
            transfer.done_date,
            self.acc["journal"],
            [
                (payable, self.gertrude, 30_000, 0),
                (payable, self.gertrude, 12_500, 0),
                (self.clearing, self.gertrude, 0, 42_500),
            ],
        )
        self.assertEqual(first.payment_move_id, gertrude_line.move_id)
        # Every claim's payable is cleared by its own item of the payment.
        items = self._payable_items(first | second | other)
        self.assertTrue(all(items.mapped("reconciled")))
        self.assertEqual(sum(items.mapped("amount_residual")), 0)
        # PH-EE was asked once per provider; whatever asks again posts nothing more.
        self.assertEqual(sorted(self._sent_payees()), [COMMITS, COMMITS])
        transfer.with_user(self.finance).action_check_status()
        transfer.sudo()._fetch_and_apply_status()
        transfer.sudo()._apply_status({"status": "paid"})
        self.assertEqual(gertrude_line.move_id, transfer.move_id)
        self.assertEqual(len(self.env["account.move"].sudo().search([("ref", "like", run.name)])), 2)
        # The log holds the transfer, its answer, the callback and the status fetch, no secret.
        logs = transfer.sudo().log_ids
        self.assertTrue({"request", "response", "callback"} <= set(logs.mapped("kind")))
        self.assertNotIn(transfer.sudo().callback_token, "".join(logs.mapped("url")))

    def test_reimbursement_pays_the_member_to_their_wallet(self):
        """The member paid the hospital's bill: the cover pays the member back, to the wallet of the
        registry, in the same run as the providers."""
        wallets = self.env["g2p.payment.mechanism"].sudo().search([("code", "=", "mobile_wallet")])
        self.psp.sudo().psp_mechanism_ids = [Command.link(wallet.id) for wallet in wallets]
        self.env["g2p.payment.account"].sudo().create(
            {
                "partner_id": self.mary.id,
                "account_type": "mobile_wallet",
                "provider_id": self.psp.id,
                "msisdn": "+254711000001",
                "is_default": True,
            }
        )
        provider_claim = self._approved_claim(self.gertrude, "GCH-R0", 10_000)
        claim = self._claim(
            self.policy, self.nairobi, "TNH-R1", self.brian, self.inpatient, 3_200, reimbursement=True
        )
        self.assertEqual(claim.payee_id, self.brian)  # the member by default, changed to the parent
        claim.sudo().payee_id = self.mary
        claim._receive()
        claim._approve(date(2020, 3, 20))
        payable = self.acc["g2p_ins_provider_payable_account_id"]
        self.assertEqual(self._payable_items(claim).partner_id, self.mary)
        run = self._approved_run()
        mary_line = run.line_ids.filtered(lambda line: line.payee_id == self.mary)
        self.assertEqual(
            (mary_line.amount, mary_line.payee_identifier_type, mary_line.payee_identifier),
            (3_200, "msisdn", "+254711000001"),
        )
        self.assertEqual(mary_line.claim_ids, claim)
        self._send(run)
        self._settle(2)
        self.assertEqual(run.state, "done")
        self.assertEqual((claim.state, provider_claim.state), ("paid", "paid"))
        self.assertMove(
            mary_line.move_id,
            mary_line.paid_date,
            self.acc["journal"],
            [(payable, self.mary, 3_200, 0), (self.clearing, self.mary, 0, 3_200)],
        )
        self.assertIn("254711000001", self._sent_payees())
        # A reimbursement goes to a person of the cover only.
        other = self._claim(
            self.policy, self.nairobi, "TNH-R2", self.brian, self.inpatient, 100, reimbursement=True
        )
        with self.assertRaises(ValidationError):
            other.sudo().payee_id = self.gertrude

    def test_failed_payment_leaves_claims_payable_and_a_retry_pays_once(self):
        claim = self._approved_claim(self.gertrude, "GCH-9", 20_000)
        self._set_account(self.gertrude, ABORTS)
        run = self._approved_run()
        self._send(run)
        self._settle(1)
        line = run.line_ids
        self.assertEqual(line.state, "failed")
        self.assertIn("account closed", line.reason)
        self.assertEqual(run.failed_count, 1)
        self.assertEqual(run.state, "in_payment")
        self.assertEqual(claim.state, "approved")
        self.assertFalse(line.move_id)
        self.assertFalse(self._payable_items(claim).reconciled)
        # The claim stays in its run: not paid another way meanwhile.
        with self.assertRaises(UserError):
            claim.with_user(self.finance)._pay_provider(date(2020, 4, 1))
        # The provider's account is corrected; Retry Failed sends a new transfer to it.
        self._set_account(self.gertrude, CORRECTED)
        self._answered_before = len(self._answered())
        run.with_user(self.finance).action_retry_failed()
        self._settle(1)
        self.assertEqual(line.state, "paid")
        self.assertEqual(run.state, "done")
        self.assertEqual(claim.state, "paid")
        failed, paid = line.transfer_ids.sorted("id")
        self.assertEqual((failed.state, paid.state), ("failed", "paid"))
        self.assertEqual(paid.retry_of_id, failed)
        self.assertNotEqual(failed.request_id, paid.request_id)
        self.assertEqual(self._sent_payees(), [ABORTS, CORRECTED])
        self.assertEqual(paid.payee_identifier, CORRECTED)
        self.assertTrue(self._payable_items(claim).reconciled)
        # A paid payment holds its transfer: the database refuses another live one.
        with self.assertRaises(UserError):
            run.with_user(self.finance).action_retry_failed()
        with self.assertRaises(Exception), self.cr.savepoint():
            paid.sudo().copy({"origin_key": paid.origin_key, "provider_payment_line_id": line.id})

    def test_lost_answer_is_found_by_correlation_id_and_paid_once(self):
        """PH-EE registers the transfer but its answer is lost (HTTP 500): the transfer awaits its
        status, found by our correlation id; nothing is sent twice."""
        claim = self._approved_claim(self.gertrude, "GCH-L1", 15_000)
        run = self._approved_run()
        self.sim.control("faults", {"channel_accept_then_fail": 1})
        self._send(run)
        transfer = run.line_ids.transfer_ids
        self.assertEqual(transfer.state, "sent")
        self.assertFalse(transfer.external_id)
        self._settle(1)
        self.assertEqual(transfer.state, "paid")
        self.assertTrue(transfer.external_id)  # learnt from the operations app
        self.assertEqual(claim.state, "paid")
        self.assertEqual(self._sent_payees(), [COMMITS])

    def test_processor_not_reached_leaves_the_payment_to_send_again(self):
        claim = self._approved_claim(self.gertrude, "GCH-U1", 6_000)
        run = self._approved_run()
        url = self.connector.phee_channel_url
        self.connector.sudo().phee_channel_url = "http://127.0.0.1:9"  # nothing listens there
        self.addCleanup(setattr, self.connector.sudo(), "phee_channel_url", url)
        self._send(run)
        line = run.line_ids
        self.assertEqual(line.state, "failed")
        self.assertTrue(line.reason)
        self.assertEqual(line.transfer_ids.state, "cancelled")
        self.assertEqual(self._sent_payees(), [])
        self.connector.sudo().phee_channel_url = url
        self._answered_before = len(self._answered())
        run.with_user(self.finance).action_retry_failed()
        self._settle(1)
        self.assertEqual((line.state, claim.state, run.state), ("paid", "paid", "done"))
        self.assertEqual(self._sent_payees(), [COMMITS])

    def test_duplicate_callbacks_post_one_entry(self):
        claim = self._approved_claim(self.nairobi, "TNH-7", 9_999)
        self._set_account(self.nairobi, CALLS_BACK_THRICE)
        run = self._approved_run()
        self._send(run)
        jobs = self._settle(3)
        self.assertLessEqual(jobs, 1)  # three callbacks, one waiting job
        self.assertEqual(claim.state, "paid")
        moves = self.env["account.move"].sudo().search([("ref", "like", run.name)])
        self.assertEqual(len(moves), 1)
        callbacks = run.line_ids.transfer_ids.sudo().log_ids.filtered(lambda log: log.kind == "callback")
        self.assertEqual(len(callbacks), 1)  # the same body stored once

    def test_maker_checker_and_guards(self):
        claim = self._approved_claim(self.gertrude, "GCH-5", 5_000, officer=self.adjudicator)
        run = (
            self.env["g2p.provider.payment.run"]
            .with_user(self.finance)
            .create({"connector_id": self.connector.id, "company_id": self.company.id})
        )
        run.action_load_claims()
        self.assertEqual(run.line_ids.claim_ids, claim)
        # A second run does not take the claims of the first.
        other = run.copy()
        with self.assertRaises(UserError):
            other.action_load_claims()
        run.action_submit()
        with self.assertRaises(UserError):  # who submitted does not approve
            run.action_approve()
        with self.assertRaises(UserError):  # who adjudicated a claim does not approve
            run.with_user(self.adjudicator).action_approve()
        with self.assertRaises(UserError):  # a claims officer does not approve
            run.with_user(self.officer).action_approve()
        with self.assertRaises(UserError):  # nothing is sent before approval
            run.action_send()
        # The claim of a run is paid by the run only.
        with self.assertRaises(UserError):
            claim.with_user(self.finance)._pay_provider(date(2020, 4, 1))
        run.with_user(self.checker).action_approve()
        self.assertEqual(run.approved_by_id, self.checker)
        # A provider without a bank account cannot be submitted.
        self._approved_claim(self.nairobi, "TNH-5", 1_000)
        self.nairobi.sudo().bank_ids.unlink()
        late = other
        late.action_load_claims()
        with self.assertRaises(UserError):
            late.action_submit()
        # Cancelling frees the claims; the bank path is open again.
        late.action_cancel()
        nairobi_claim = self.env["g2p.insurance.claim"].sudo().search([("provider_reference", "=", "TNH-5")])
        self.assertFalse(nairobi_claim.provider_payment_line_id)
        nairobi_claim.with_user(self.finance)._pay_provider(date(2020, 4, 1))
        self.assertEqual(nairobi_claim.state, "paid")

    def test_forged_callbacks_are_refused(self):
        self._approved_claim(self.gertrude, "GCH-8", 4_000)
        self._set_account(self.gertrude, NEVER_SETTLES)
        run = self._approved_run()
        self._send(run)
        transfer = run.line_ids.transfer_ids
        self.assertEqual(transfer.state, "sent")
        url = "%s/g2p/payment_hub/transfer/callback/%s" % (self.base_url(), transfer.request_id)
        body = {"transactionId": transfer.external_id, "transferState": "COMMITTED"}
        self.env.flush_all()
        with trap_jobs() as trap, self.allow_requests(all_requests=True):
            missing = requests.post(url, json=body, timeout=10)
            wrong = requests.post(url, params={"token": "A" * 43}, json=body, timeout=10)
        self.assertEqual([r.status_code for r in (missing, wrong)], [403, 403])
        self.assertEqual(trap.enqueued_jobs, [])
        # The status fetched is what counts: a transfer still RECEIVED at PH-EE stays awaiting.
        transfer.with_user(self.finance).action_check_status()
        self.assertEqual(transfer.state, "sent")
        self.assertFalse(run.line_ids.move_id)


@tagged("post_install", "-at_install")
class TestProviderPaymentTour(ProviderPaymentSetup, HttpCase, InsuranceCase):
    """Maker and checker, each an insurance finance officer (only that role), in the browser."""

    def test_finance_officers_prepare_approve_and_send_a_run(self):
        first = self._approved_claim(self.gertrude, "GCH-T1", 30_000)
        second = self._approved_claim(self.gertrude, "GCH-T2", 12_500)
        # The callback may come while the browser still runs: the stand-in retries it, as PH-EE does.
        self.sim.control("config", {"callback_max_retry": 60})
        self.start_tour("/odoo", "g2p_provider_payment_prepare_tour", login=self.finance.login)
        run = self.env["g2p.provider.payment.run"].sudo().search([], order="id desc", limit=1)
        self.assertEqual((run.state, run.submitted_by_id), ("to_approve", self.finance))
        self._answered_before = len(self._answered())
        self.start_tour("/odoo", "g2p_provider_payment_approve_tour", login=self.checker.login)
        self.assertEqual(run.approved_by_id, self.checker)
        self._settle(1)
        self.assertEqual(run.state, "done")
        self.assertEqual(set((first | second).mapped("state")), {"paid"})
