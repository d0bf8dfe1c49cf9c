"""Shared by the GSMA, Fineract and bank file connector tests: the provider stand-ins (started as
subprocesses from tests/simulators at the repository root) and small helpers."""

import importlib
import importlib.util
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from odoo.tests import common

from .common import PaymentHubCase

SIMULATORS = Path(__file__).resolve().parents[3] / "tests" / "simulators"


def load_simulator(name):
    """The stand-in module ``tests/simulators/<name>.py``. Not an Odoo module, nor on the path: the
    folder is loaded by path as package ``g2p_test_simulators`` so that the stand-in finds its
    neighbour ``base.py``."""
    package = "g2p_test_simulators"
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            package, SIMULATORS / "__init__.py", submodule_search_locations=[str(SIMULATORS)]
        )
        sys.modules[package] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[package])
    return importlib.import_module("%s.%s" % (package, name))


class PspCase(PaymentHubCase):
    """An approved payroll (9 mobile-money and 3 bank households) and helpers to read its outcome."""

    @classmethod
    def _request_handler(cls, s, r, **kw):
        # Odoo's test harness raises timeouts below 10 s to 10 s; the stand-ins run locally and the
        # timeout tests need the connector's own (short) timeout.
        if urlsplit(r.url).hostname == "127.0.0.1":
            return common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def _lines(self, payroll, psp):
        return payroll.line_ids.filtered(lambda line: line.psp_id == psp)

    def _wait_for(self, predicate, timeout=15, message="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        self.fail("Timed out waiting for %s" % message)

    def assertSettled(self, payroll, paid, failed):
        """``paid`` and ``failed`` lines have their state, and the payroll's payment and failure
        entries are posted, balanced and for exactly their amounts."""
        self.assertEqual(set(paid.mapped("state")), {"paid"} if paid else set())
        self.assertEqual(set(failed.mapped("state")), {"failed"} if failed else set())
        for event, lines in (("payment", paid), ("failure", failed)):
            moves = payroll.move_ids.filtered(lambda m, e=event: m.g2p_event == e)
            self.assertBalanced(moves)
            payable = moves.line_ids.filtered(
                lambda aml: aml.account_id == self.program.beneficiary_payable_account_id
            )
            self.assertAlmostEqual(sum(payable.mapped("debit")), sum(lines.mapped("amount")), 2)
            for line in lines:
                self.assertTrue(line.settlement_move_line_id, line.payment_number)
                self.assertEqual(line.settlement_move_line_id.move_id.g2p_event, event)
