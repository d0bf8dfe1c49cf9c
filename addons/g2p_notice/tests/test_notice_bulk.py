from odoo.tests import tagged
from odoo.tools import SQL

from .test_notice import NoticeCase
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestNoticeBulk(NoticeCase):
    """Thousands of payments: the notices are logged, rendered and their SMS and e-mails created in a
    number of queries that does not grow with the number of payments."""

    def _lines_for(self, count, tag):
        """``count`` approved payments of the test payroll, each to its own person (half of them with an
        e-mail address), made with two batched statements."""
        template = self._template_line
        people = self.env["res.partner"].create(
            [
                {
                    "name": "Bulk %s %s" % (tag, i),
                    "phone": "+2547%s%07d" % (tag, i),
                    "email": "bulk.%s.%s@example.org" % (tag, i) if i % 2 else False,
                }
                for i in range(count)
            ]
        )
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """INSERT INTO g2p_payroll_line (payroll_id, program_id, cycle_id, entitlement_cycle_id,
                                                company_id, currency_id, payment_number, beneficiary_id,
                                                recipient_id, psp_id, amount, state)
                   SELECT l.payroll_id, l.program_id, l.cycle_id, l.entitlement_cycle_id, l.company_id,
                          l.currency_id, l.payment_number || '-' || p.id, p.id, p.id, l.psp_id, l.amount,
                          'approved'
                     FROM g2p_payroll_line l, unnest(%s::int[]) AS p(id)
                    WHERE l.id = %s
                   RETURNING id""",
                people.ids,
                template.id,
            )
        )
        return self.env["g2p.payroll.line"].browse(sorted(row[0] for row in rows))

    def test_2000_payments_in_a_fixed_number_of_queries(self):
        self._template_line = self._approved_lines()[0]
        Notice = self.env["g2p.notice"]
        small, large = self._lines_for(40, "1"), self._lines_for(2000, "2")
        counts = {}
        with trap_jobs() as trap:
            for name, lines in (("small", small), ("large", large)):
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                Notice._job_prepare("payment_paid", lines.ids)
                self.env.flush_all()
                counts[name] = self.cr.sql_log_count - before
            # 2,000 SMS are sent by 4 jobs of 500, 40 by one.
            send_jobs = [job for job in trap.enqueued_jobs if job.method_name == "_job_send_sms"]
            self.assertEqual(sorted(len(job.args[0]) for job in send_jobs), [40, 500, 500, 500, 500])
            self.assertLessEqual(
                counts["large"],
                counts["small"] + 25,
                "preparing 2,000 payments costs the queries of 40, plus a few per chunk of 1,000 records "
                "the ORM prefetches: %s" % counts,
            )
            self.assertLess(counts["large"], 150, counts)
            for job in send_jobs[1:3]:  # a job of 500 SMS: one request each, batched writes
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                job.perform()
                self.env.flush_all()
                counts.setdefault("send", []).append(self.cr.sql_log_count - before)
        self.assertLess(max(counts["send"]), 120, counts)
        notices = Notice.search([("res_model", "=", "g2p.payroll.line"), ("res_id", "in", large.ids)])
        self.assertEqual(len(notices.filtered(lambda n: n.channel == "sms")), 2000)
        self.assertEqual(len(notices.filtered(lambda n: n.channel == "email")), 1000)
        self.assertEqual(len(notices.filtered(lambda n: n.state == "sent" and n.channel == "sms")), 1000)
        self.assertEqual(len(self.sim.messages()), 1000)
        mails = notices.mail_id
        self.assertEqual(len(mails), 1000)
        self.assertEqual(len(mails.recipient_ids), 1000)
