from datetime import date

from odoo.tests import tagged

from odoo.addons.g2p_insurance_accounting.tests.common import InsuranceCase
from odoo.addons.g2p_sms_gateway.tests.simulators.sms_gateway import run_sms_gateway
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestClaimNotice(InsuranceCase):
    """A claim approved or rejected tells the family's head by SMS, once, through the stand-in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim_context = run_sms_gateway()
        cls.sim = cls.sim_context.__enter__()
        cls.addClassCleanup(cls.sim_context.__exit__, None, None, None)
        gateway = cls.env["g2p.sms.gateway"].sudo().create({"name": "Stand-in", "url": cls.sim.url + "/sms"})
        cls.company.sudo().sms_g2p_gateway_id = gateway
        cls.product.sudo().write({"notice_claim_approved": True, "notice_claim_rejected": True})
        cls.env["g2p.phone.number"].sudo().create(
            {"partner_id": cls.joseph.id, "phone_number": "+254733000111"}
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def _notices(self, claims):
        return (
            self.env["g2p.notice"]
            .sudo()
            .search([("res_model", "=", "g2p.insurance.claim"), ("res_id", "in", claims.ids)])
        )

    def test_approved_and_rejected_claims_are_told_once(self):
        policy = self._policy()
        approved = self._claim(policy, self.gertrude, "GCH-1", self.brian, self.inpatient, 20_000)
        rejected = self._claim(policy, self.nairobi, "NH-1", self.mary, self.inpatient, 5_000)
        with trap_jobs() as trap:
            approved._receive()
            rejected._receive()
            trap.assert_jobs_count(0)
            approved._approve(date=date(2020, 3, 20))
            rejected._reject("Not a covered treatment.", date=date(2020, 3, 20))
            # Rejecting again is a no-op of the state mixin: no second event.
            rejected._set_rejected("Not a covered treatment.", date(2020, 3, 20))
            trap.assert_jobs_count(2)
            for _round in range(3):
                trap.perform_enqueued_jobs()
        notices = self._notices(approved | rejected)
        self.assertEqual(sorted(notices.mapped("kind")), ["claim_approved", "claim_rejected"])
        self.assertEqual(set(notices.mapped("channel")), {"sms"}, "the claim's chatter already e-mails")
        self.assertEqual(notices.partner_id, self.joseph, "the household's head is told")
        self.assertEqual(set(notices.mapped("state")), {"sent"})
        texts = sorted(m["fields"]["message"] for m in self.sim.messages())
        self.assertEqual(len(texts), 2)
        self.assertIn("is approved", texts[0])
        self.assertIn("Not a covered treatment.", texts[1])

    def test_product_switch_off(self):
        self.product.sudo().notice_claim_approved = False
        policy = self._policy()
        claim = self._claim(policy, self.gertrude, "GCH-2", self.brian, self.inpatient, 1_000)
        with trap_jobs() as trap:
            claim._receive()
            claim._approve(date=date(2020, 3, 20))
            trap.assert_jobs_count(0)
        self.assertEqual(claim.state, "approved")
