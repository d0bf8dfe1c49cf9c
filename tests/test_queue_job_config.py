"""queue_job as deployed: every channel the addons' job functions and channel records name is
listed in odoo.conf's ``[queue_job] channels``, under ``root.g2p`` (one cap for all G2P work), so
the job runner runs G2P jobs where the data says."""

import configparser
from pathlib import Path

from odoo.tests import TransactionCase

REPO = Path(__file__).resolve().parent.parent


def configured_channels():
    """{channel: capacity} from odoo.conf's ``[queue_job] channels``."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "odoo.conf")
    channels = {}
    for item in parser.get("queue_job", "channels").split(","):
        name, _sep, capacity = item.strip().partition(":")
        channels[name.strip()] = int(capacity.split(":")[0]) if capacity else 1
    return channels


class TestQueueJobConfig(TransactionCase):
    # Outside odoo.addons, Odoo does not tag test classes by itself.
    test_tags = {"standard", "at_install"}
    test_module = "g2p_suite"

    def _g2p_records(self, model):
        ids = (
            self.env["ir.model.data"]
            .search([("model", "=", model), ("module", "=like", "g2p\\_%")])
            .mapped("res_id")
        )
        return self.env[model].browse(ids)

    def test_job_channels_are_configured(self):
        configured = configured_channels()
        self.assertIn("root.g2p", configured)
        functions = self._g2p_records("queue.job.function")
        self.assertTrue(functions, "the addons declare their job functions")
        channels = self._g2p_records("queue.job.channel")
        names = set(functions.mapped("channel")) | set(channels.mapped("complete_name"))
        self.assertIn("root.g2p.payment_hub.status", names)
        for name in sorted(names):
            self.assertIn(name, configured, "%s is not in odoo.conf's [queue_job] channels" % name)
            self.assertTrue(name.startswith("root.g2p"), "%s is not under root.g2p" % name)
        # The G2P cap does not exceed the runner's.
        self.assertLessEqual(configured["root.g2p"], configured["root"])

    def test_stage_channels_of_the_lower_addons_are_configured(self):
        # Addons below the payment hub (which holds the root.g2p channel record) name their
        # channel in with_delay: it must be configured all the same.
        from odoo.addons.g2p_intake.const import JOB_CHANNEL as INTAKE
        from odoo.addons.g2p_notice.const import JOB_CHANNEL as NOTICE
        from odoo.addons.g2p_payroll.models.g2p_payroll import PAYROLL_JOB_CHANNEL
        from odoo.addons.g2p_program.models.g2p_program import PROGRAM_JOB_CHANNEL

        configured = configured_channels()
        stages = [
            *self.env["g2p.program"]._g2p_job_stages.values(),
            *self.env["g2p.payroll"]._g2p_job_stages.values(),
        ]
        names = {INTAKE, NOTICE, PROGRAM_JOB_CHANNEL, PAYROLL_JOB_CHANNEL}
        names |= {stage["channel"] for stage in stages}
        self.assertEqual(
            {stage["channel"] for stage in stages},
            {
                "root.g2p.program",
                "root.g2p.payroll",
                # The payment hub's stages of the payroll: batches, sending, status.
                "root.g2p.payment_hub",
                "root.g2p.payment_hub.send",
                "root.g2p.payment_hub.status",
            },
        )
        for name in sorted(names):
            self.assertIn(name, configured, "%s is not in odoo.conf's [queue_job] channels" % name)
            self.assertTrue(name.startswith("root.g2p."), "%s is not under root.g2p" % name)

    def test_status_fetch_runs_in_its_channel_with_a_retry_pattern(self):
        function = self.env["queue.job.function"].search(
            [("name", "=", "<g2p.payment.batch>._fetch_and_apply")]
        )
        self.assertEqual(function.channel, "root.g2p.payment_hub.status")
        self.assertTrue(function.retry_pattern)

    def test_staged_outcomes_are_applied_one_job_at_a_time(self):
        function = self.env["queue.job.function"].search(
            [("name", "=", "<g2p.payroll>._apply_staged_outcomes")]
        )
        self.assertEqual(function.channel, "root.g2p.payment_hub.apply")
        self.assertEqual(configured_channels()["root.g2p.payment_hub.apply"], 1, "one apply run at a time")
