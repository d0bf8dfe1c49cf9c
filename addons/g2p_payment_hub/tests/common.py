from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.g2p_payroll.tests.common import PayrollCase
from odoo.addons.g2p_payroll.tests.test_golden import iban
from odoo.addons.queue_job.tests.common import trap_jobs

#: Where status jobs run (the job function's channel, declared in the hub's data).
STATUS_CHANNEL = "root.g2p.payment_hub.status"


def perform_trapped_jobs(trap, cr):
    """Perform the jobs ``trap`` (``trap_jobs()``) caught, on the test's cursor ``cr``, as the job
    runner performs each in a transaction of its own. Jobs enqueued by an HTTP request (a callback)
    hold that request's cursor, closed since: they are rebound to ``cr`` (user and context kept)."""
    # Jobs that the jobs queue (a status fetch queues the apply job of its payroll) are trapped
    # too, also when ``trap`` is closed already, and performed until none is left.
    with trap_jobs() as queued:
        while trap.enqueued_jobs:
            for job in trap.enqueued_jobs:
                job.recordset = job.recordset.with_env(job.env(cr=cr))
            trap.perform_enqueued_jobs()
            trap = queued


def dispatch_callbacks(trap, env):
    """What the dispatcher job does with the callbacks stored so far, in the test's transaction:
    the status fetches it queues land in ``trap``. A dispatcher job that a callback's wake put in
    ``trap`` is dropped first: wakes are throttled per process, so a test does not count on one."""
    trap.enqueued_jobs[:] = [job for job in trap.enqueued_jobs if job.method_name != "_dispatch_callbacks"]
    trap.calls[:] = [call for call in trap.calls if call.method.__name__ != "_dispatch_callbacks"]
    return env["g2p.payment.batch"]._dispatch_callbacks()


def _fake_build(connector, batch):
    """The base connector builds no payload: a placeholder lets its batches be created."""
    batch.payload = "test"


class PaymentHubCase(PayrollCase):
    """An approved payroll of mobile-money and bank households, ready to be batched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = cls.env["res.partner"]
        for i in range(12):
            psp = "bank" if i >= 9 else "mobile"
            number = iban(i) if psp == "bank" else "+25471%07d" % i
            cls.households |= cls._paid_household("HH%02d" % i, [40, 10], psp=psp, number=number)
        cls.program.with_user(cls.manager)._enrol_eligible()

    def _approved_payroll(self):
        self._fund(1_000_000)
        cycle = self._approved_cycle()
        payroll = self._payroll(cycle)
        self._approve(payroll)
        return payroll

    @classmethod
    def _base_connectors(cls, batch_max_rows):
        """A mobile-money and a bank connector of the base type, in test mode; the mobile one
        splits batches at ``batch_max_rows`` payments."""
        Connector = cls.env["g2p.payment.connector"]
        cls.mobile_connector = Connector.create(
            {"name": "Mobile", "psp_id": cls.mobile_psp.id, "state": "test", "batch_max_rows": batch_max_rows}
        )
        cls.bank_connector = Connector.create({"name": "Bank", "psp_id": cls.bank_psp.id, "state": "test"})

    @contextmanager
    def _fake_payloads(self):
        """Within: base connectors build a placeholder payload instead of refusing to build one."""
        with patch.object(type(self.env["g2p.payment.connector"]), "_build_batch", _fake_build):
            yield

    def _create_batches(self, payroll):
        """The finance officer's Create Payment Batches on ``payroll``; returns the button's action."""
        with self._fake_payloads():
            return payroll.with_user(self.finance).action_create_batches()
