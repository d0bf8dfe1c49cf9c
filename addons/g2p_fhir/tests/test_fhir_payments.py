"""PaymentNotice (payroll payments) and PaymentReconciliation (payroll outcomes) over real HTTP."""

from odoo.tests import new_test_user, tagged

from .common import API_GROUP, FhirHttpCase
from .test_fhir_insurance import assert_batched
from odoo.addons.g2p_fhir.models.g2p_fhir_insurance import FM_STATUS, REMITTANCE_OUTCOMES
from odoo.addons.g2p_payroll.tests.common import PayrollCase

PAYROLL_FINANCE = "g2p_payroll.group_g2p_finance_officer"


@tagged("post_install", "-at_install")
class TestFhirPayments(FhirHttpCase, PayrollCase):
    """Four households paid by mobile money (1,500 each: 1,000 base + 250 x 2 members); the
    payroll is approved, three payments are sent, then two are reported paid and one failed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for role, groups in {"pay_finance": [API_GROUP, PAYROLL_FINANCE]}.items():
            user = new_test_user(cls.env, "fhir_%s" % role, groups=",".join(groups))
            cls.users[role] = user
            cls.keys[role] = cls._make_key(user)
        cls.households = [cls._paid_household("FP%s" % i, [40, 7], number="+25471%07d" % i) for i in range(4)]
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(4 * 1500)

    def setUp(self):
        super().setUp()
        self.payroll = self._payroll(self._approved_cycle())
        self._approve(self.payroll)
        self.lines = self.payroll.line_ids.sorted("payment_number")
        self.assertEqual(len(self.lines), 4)
        self.lines[:3]._mark_sent()
        Line = self.env["g2p.payroll.line"].with_user(self.finance)
        summary = Line._apply_payment_results(
            [
                {
                    "payment_number": self.lines[0].payment_number,
                    "status": "paid",
                    "date": str(self.today),
                    "psp_reference": "MP-A",
                },
                {"payment_number": self.lines[1].payment_number, "status": "paid", "date": str(self.today)},
                {
                    "payment_number": self.lines[2].payment_number,
                    "status": "failed",
                    "date": str(self.today),
                    "reason_code": "ACCOUNT_CLOSED",
                },
            ]
        )
        self.assertEqual((summary["paid"], summary["failed"], summary["errors"]), (2, 1, []))
        self.env.invalidate_all()
        self.paid, self.failed, self.unsent = self.lines[:2], self.lines[2], self.lines[3]

    def search(self, fhir_type, params, key="pay_finance"):
        status, body = self.fhir_get("/%s" % fhir_type, params=params, key=key)
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        return {int(e["resource"]["id"]) for e in body.get("entry") or []}

    def test_payment_notices(self):
        paid = self.paid[0]
        status, body = self.fhir_get("/PaymentNotice/%s" % paid.id, key="pay_finance")
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertIn(body["status"], FM_STATUS)
        self.assertEqual(body["status"], "active")
        self.assertEqual(body["amount"], {"value": 1500, "currency": paid.currency_id.name})
        self.assertEqual(body["paymentStatus"]["coding"][0]["code"], "paid")
        self.assertEqual(body["paymentDate"], str(self.today))
        self.assertEqual(body["payment"], {"reference": "PaymentReconciliation/%s" % self.payroll.id})
        self.assertEqual(body["recipient"], {"reference": "Organization/%s" % self.mobile_psp.id})
        self.assertEqual(body["request"], {"reference": "Group/%s" % paid.beneficiary_id.id})
        self.assertEqual(
            [(i["value"]) for i in body["identifier"]],
            [paid.payment_number, "MP-A"],
            "payment number, PSP ref",
        )
        status, body = self.fhir_get("/PaymentNotice/%s" % self.failed.id, key="pay_finance")
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "cancelled")
        self.assertNotIn("paymentStatus", body)
        failure = [e for e in body["extension"] if e["url"].endswith("/payment-failure")]
        self.assertTrue(failure and failure[0]["valueString"])
        # A payment not sent yet has no notice.
        status, body = self.fhir_get("/PaymentNotice/%s" % self.unsent.id, key="pay_finance")
        self.assertOutcome(status, body, 404)

        ours = set(self.lines.ids)
        self.assertEqual(self.search("PaymentNotice", {"status": "active"}) & ours, set(self.paid.ids))
        self.assertEqual(self.search("PaymentNotice", {"status": "cancelled"}) & ours, {self.failed.id})
        self.assertEqual(self.search("PaymentNotice", {"payment-status": "paid"}) & ours, set(self.paid.ids))
        self.assertEqual(self.search("PaymentNotice", {"identifier": paid.payment_number}), {paid.id})
        self.assertEqual(self.search("PaymentNotice", {"identifier": "MP-A"}), {paid.id})
        self.assertEqual(
            self.search("PaymentNotice", {"request": "Group/%s" % self.failed.beneficiary_id.id}),
            {self.failed.id},
        )
        sent_ours = set((self.paid | self.failed).ids)
        self.assertEqual(self.search("PaymentNotice", {"created": "ge%s" % self.today}) & ours, sent_ours)
        self.assertEqual(self.search("PaymentNotice", {"created": "lt%s" % self.today}) & ours, set())
        self.assertEqual(self.search("PaymentNotice", {"_lastUpdated": "gt2000-01-01"}) & ours, sent_ours)
        status, body = self.fhir_get("/PaymentNotice", params={"status": "paid"}, key="pay_finance")
        self.assertOutcome(status, body, 400, "status")
        # Payment data is the finance officers': a registrar reads none of it.
        status, body = self.fhir_get("/PaymentNotice/%s" % paid.id, key="registrar")
        self.assertOutcome(status, body, 403)

    def test_payment_reconciliation(self):
        status, body = self.fhir_get("/PaymentReconciliation/%s" % self.payroll.id, key="pay_finance")
        self.assertEqual(status, 200, body)
        self.assertFhirValid(body)
        self.assertEqual(body["status"], "active")
        self.assertIn(body["outcome"], REMITTANCE_OUTCOMES)
        self.assertEqual(body["outcome"], "partial", "one payment is not sent yet")
        self.assertEqual(body["paymentAmount"], {"value": 3000, "currency": self.payroll.currency_id.name})
        self.assertEqual(body["paymentDate"], str(self.today))
        self.assertEqual(body["identifier"][0]["value"], self.payroll.name)
        details = {d["identifier"]["value"]: d for d in body["detail"]}
        self.assertEqual(set(details), set(self.paid.mapped("payment_number")))
        for line in self.paid:
            detail = details[line.payment_number]
            self.assertEqual(detail["amount"]["value"], line.amount)
            self.assertEqual(detail["date"], str(self.today))
            self.assertEqual(detail["request"], {"reference": "PaymentNotice/%s" % line.id})

        # The last payment reported paid: every payment has its outcome.
        self.unsent._mark_sent()
        self.env["g2p.payroll.line"].with_user(self.finance)._apply_payment_results(
            [{"payment_number": self.unsent.payment_number, "status": "paid", "date": str(self.today)}]
        )
        self.env.invalidate_all()
        status, body = self.fhir_get("/PaymentReconciliation/%s" % self.payroll.id, key="pay_finance")
        self.assertFhirValid(body)
        self.assertEqual((body["outcome"], len(body["detail"])), ("complete", 3))
        self.assertEqual(body["paymentAmount"]["value"], 4500)

        mine = {self.payroll.id}
        self.assertEqual(self.search("PaymentReconciliation", {"status": "active"}) & mine, mine)
        self.assertEqual(self.search("PaymentReconciliation", {"status": "cancelled"}) & mine, set())
        self.assertEqual(self.search("PaymentReconciliation", {"identifier": self.payroll.name}), mine)
        self.assertEqual(
            self.search("PaymentReconciliation", {"created": str(self.payroll.date)}) & mine, mine
        )
        self.assertEqual(self.search("PaymentReconciliation", {"created": "lt2000-01-01"}), set())
        self.assertEqual(self.search("PaymentReconciliation", {"_lastUpdated": "gt2000-01-01"}) & mine, mine)

    def test_pages_are_read_in_batch(self):
        """Mapping a page costs as many queries for 1 payment or payroll as for several."""
        self.unsent._mark_sent()
        notices = (self.paid | self.unsent).with_user(self.finance)
        self.assertBatched(self.env["g2p.fhir.payment.notice"].with_user(self.finance), notices)
        payrolls = self.payroll
        self.program.allow_overlapping_cycles = True
        for _i in range(2):
            payroll = self._payroll(self._approved_cycle())
            self._fund(4 * 1500)
            self._approve(payroll)
            payroll.line_ids._mark_sent()
            payrolls |= payroll
        self.assertBatched(
            self.env["g2p.fhir.payment.reconciliation"].with_user(self.finance),
            payrolls.with_user(self.finance),
        )

    assertBatched = assert_batched
