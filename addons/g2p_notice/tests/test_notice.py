from odoo.tests import tagged

from odoo.addons.g2p_payroll.tests.common import PayrollCase
from odoo.addons.g2p_sms_gateway.tests.simulators.sms_gateway import run_sms_gateway
from odoo.addons.queue_job.tests.common import trap_jobs

TOKEN = "notice-test-token"


class NoticeCase(PayrollCase):
    """A program telling of paid, failed and sent payments; the company's SMS go to the stand-in
    gateway over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim_context = run_sms_gateway("--token", TOKEN)
        cls.sim = cls.sim_context.__enter__()
        cls.addClassCleanup(cls.sim_context.__exit__, None, None, None)
        cls.gateway = cls.env["g2p.sms.gateway"].create(
            {"name": "Stand-in", "url": cls.sim.url + "/sms", "auth_type": "bearer", "auth_token": TOKEN}
        )
        cls.company.sms_g2p_gateway_id = cls.gateway
        cls.program.write(
            {"notice_payment_sent": True, "notice_payment_paid": True, "notice_payment_failed": True}
        )
        cls.households = [
            cls._paid_household("NOTICE-HH-%s" % i, [35, 6], number="+25471100%04d" % i) for i in range(4)
        ]
        cls.heads = [household.head_id for household in cls.households]
        cls.env["g2p.phone.number"].create(
            [
                {"partner_id": head.id, "phone_number": "+25472200%04d" % i, "is_primary": True}
                for i, head in enumerate(cls.heads)
            ]
        )
        cls._fund(1_000_000)
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls.cycle = cls._approved_cycle()

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.Notice = self.env["g2p.notice"]

    def _approved_lines(self):
        payroll = self._payroll(self.cycle)
        self._approve(payroll)
        return payroll.line_ids

    def _report(self, lines, status="paid", **extra):
        return (
            self.env["g2p.payroll.line"]
            .with_user(self.finance)
            ._apply_payment_results(
                [{"line_id": line.id, "status": status, **extra} for line in lines], atomic=False
            )
        )

    def _notices(self, lines, kind=None):
        domain = [("res_model", "=", "g2p.payroll.line"), ("res_id", "in", lines.ids)]
        return self.Notice.search(domain + ([("kind", "=", kind)] if kind else []))

    def _run_jobs(self, trap, rounds=4):
        for _round in range(rounds):
            if not trap.enqueued_jobs:
                break
            trap.perform_enqueued_jobs()


@tagged("post_install", "-at_install")
class TestNotice(NoticeCase):
    def test_paid_twice_in_callbacks_notifies_once(self):
        lines = self._approved_lines()
        with trap_jobs() as trap:
            first = self._report(lines)
            again = self._report(lines)
            self.assertEqual(first["paid"], len(lines))
            self.assertEqual((again["paid"], again["skipped"]), (0, len(lines)))
            # Nothing is sent inside the payment's transaction: only one job is queued.
            trap.assert_jobs_count(1, only=self.Notice._job_prepare)
            self.assertFalse(self.sim.messages())
            self.assertEqual(set(lines.mapped("state")), {"paid"})
            self._run_jobs(trap)
            # A replayed event (a job run twice, a second hook call) adds nothing.
            self.Notice._g2p_notify("payment_paid", lines)
            self._run_jobs(trap)
        notices = self._notices(lines, "payment_paid")
        self.assertEqual(len(notices), len(lines))
        self.assertEqual(set(notices.mapped("state")), {"sent"})
        messages = self.sim.messages()
        self.assertEqual(len(messages), len(lines), "one SMS per payment, never two")
        self.assertEqual(sorted(m["fields"]["to"] for m in messages), sorted(notices.mapped("number")))
        line = lines[0]
        notice = notices.filtered(lambda n: n.res_id == line.id)
        self.assertEqual(notice.partner_id, line.notice_partner_id)
        self.assertEqual(notice.number, line.notice_partner_id.phone_number_ids[0].phone_number)
        self.assertIn(line.payment_number, notice.body)
        self.assertIn("has been paid", notice.body)

    def test_sent_then_failed_with_reason(self):
        lines = self._approved_lines()
        with trap_jobs() as trap:
            lines[:2]._mark_sent()
            self._report(lines[:1], status="failed", reason_code="OTHER")
            self._run_jobs(trap)
        self.assertEqual(len(self._notices(lines, "payment_sent")), 2)
        failed = self._notices(lines, "payment_failed")
        self.assertEqual(failed.res_id, lines[0].id)
        self.assertIn(lines[0].failure_reason_id.name, failed.body)
        self.assertEqual(len(self.sim.messages()), 3)

    def test_switch_off_queues_nothing(self):
        self.program.notice_payment_paid = False
        lines = self._approved_lines()
        with trap_jobs() as trap:
            self._report(lines)
            trap.assert_jobs_count(0)
        self.assertFalse(self._notices(lines))

    def test_opt_out_blacklists_and_missing_number(self):
        lines = self._approved_lines()
        by_head = {line.notice_partner_id: line for line in lines}
        opted, blacklisted, no_phone, emailed = self.heads
        opted.g2p_no_notices = True
        self.env["phone.blacklist"].sudo().add(blacklisted.phone_number_ids.phone_number)
        no_phone.phone_number_ids.disabled = True
        emailed.email = "Emailed.Head@Example.org"
        self.env["mail.blacklist"].sudo()._add("emailed.head@example.org")
        with trap_jobs() as trap:
            self._report(lines)
            self._run_jobs(trap)
        got = {(n.partner_id, n.channel): (n.state, n.skip_reason) for n in self._notices(lines)}
        self.assertEqual(got[opted, "sms"], ("skipped", "opted_out"))
        self.assertEqual(got[blacklisted, "sms"], ("skipped", "sms_blacklist"))
        self.assertEqual(got[no_phone, "sms"], ("skipped", "no_number"))
        self.assertEqual(got[emailed, "sms"], ("sent", False))
        self.assertEqual(got[emailed, "email"], ("skipped", "mail_blacklist"))
        self.assertNotIn((opted, "email"), got, "no e-mail notice for people without an address")
        self.assertEqual(
            [m["fields"]["to"] for m in self.sim.messages()], emailed.phone_number_ids.mapped("phone_number")
        )
        self.assertEqual(len(by_head), 4)

    def test_email_and_sms_in_the_persons_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["g2p_notice"], ["fr_FR"], overwrite=True)
        head = self.heads[0]
        head.write({"lang": "fr_FR", "email": "head.zero@example.org"})
        lines = self._approved_lines()
        line = lines.filtered(lambda line: line.notice_partner_id == head)
        with trap_jobs() as trap:
            self._report(line)
            self._run_jobs(trap)
        sms = self._notices(line).filtered(lambda n: n.channel == "sms")
        mail_notice = self._notices(line).filtered(lambda n: n.channel == "email")
        self.assertIn("a été payé", sms.body)
        self.assertEqual(mail_notice.state, "sent")
        self.assertEqual(mail_notice.mail_id.recipient_ids, head)
        self.assertIn("a été payé", mail_notice.mail_id.subject)
        self.assertIn(line.payment_number, mail_notice.mail_id.body_html)

    def test_failed_sms_is_retried_then_sent(self):
        lines = self._approved_lines()[:1]
        self.sim.fault(status=503, count=1)
        with trap_jobs() as trap:
            self._report(lines)
            trap.perform_enqueued_jobs()  # prepare
            trap.perform_enqueued_jobs()  # first attempt: 503
            notice = self._notices(lines)
            self.assertEqual((notice.state, notice.attempt_count), ("retry", 1))
            self.assertEqual(notice.failure_type, "sms_server")
            self.assertTrue(notice.next_try_date)
            retry = trap.enqueued_jobs
            self.assertEqual(len(retry), 1)
            self.assertTrue(retry[0].eta, "the retry waits")
            trap.perform_enqueued_jobs()
        notice.invalidate_recordset()
        self.assertEqual((notice.state, notice.attempt_count), ("sent", 2))
        self.assertEqual(len(self.sim.refused()), 1)
        self.assertEqual(len(self.sim.messages()), 1)
        self.assertEqual(lines.state, "paid", "the payment never waited for the SMS")

    def test_failed_sms_retries_are_bounded(self):
        self.env["ir.config_parameter"].sudo().set_param("g2p_notice.sms_max_attempts", 3)
        lines = self._approved_lines()[:1]
        self.sim.fault(status=500, count=-1)
        with trap_jobs() as trap:
            self._report(lines)
            self._run_jobs(trap, rounds=10)
        notice = self._notices(lines)
        self.assertEqual((notice.state, notice.attempt_count), ("failed", 3))
        self.assertEqual(len(self.sim.refused()), 3)
        self.assertFalse(self.sim.messages())
        self.assertEqual(lines.state, "paid")
        self.assertEqual(notice.sms_id.state, "error", "the failed SMS stays for Odoo's SMS screens")
        # An administrator sends it again once the gateway is back.
        self.sim.reset()
        with trap_jobs() as trap:
            notice.action_retry()
            self._run_jobs(trap)
        notice.invalidate_recordset()
        self.assertEqual(notice.state, "sent")
        self.assertEqual(len(self.sim.messages()), 1)

    def test_wrong_number_is_not_retried(self):
        lines = self._approved_lines()[:1]
        self.sim.fault(status=400)
        with trap_jobs() as trap:
            self._report(lines)
            self._run_jobs(trap)
        notice = self._notices(lines)
        self.assertEqual((notice.state, notice.attempt_count), ("failed", 1))
        self.assertEqual(len(self.sim.refused()), 1)

    def test_notices_are_read_only_for_program_managers(self):
        lines = self._approved_lines()[:1]
        with trap_jobs() as trap:
            self._report(lines)
            self._run_jobs(trap)
        notice = self._notices(lines).with_user(self.manager)
        self.assertEqual(notice.state, "sent")
        self.assertFalse(notice.has_access("write"))

    def test_demo_notices(self):
        lines = self._approved_lines()
        with trap_jobs():
            self._report(lines[:3])
            self._report(lines[3:], status="failed", reason_code="OTHER")
        notices = self.Notice._demo_notices(self.program.id)
        self.assertEqual(len(notices), 4)
        self.assertEqual(sorted(notices.mapped("state")), ["failed", "sent", "sent", "skipped"])
        self.assertTrue(all(n.body for n in notices if n.state != "skipped"))
        self.assertFalse(self.sim.messages(), "the demo sends nothing")
