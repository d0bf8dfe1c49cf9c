"""Shared by the connector addons' tests (GSMA, Fineract, bank file): a payroll case whose test HTTP
reaches the local stand-ins (each under its addon's tests/simulators) and helpers to read outcomes."""

import time
from urllib.parse import urlsplit

from odoo.tests import Form, common

from .common import PaymentHubCase

#: Connector settings for tests against a local stand-in: no retry, no wait, a short timeout.
FAST_TRANSPORT = {"retry_backoff": 0, "max_transport_retries": 0, "timeout": 5}


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

    def assertConnectorForm(self, code, values):
        """A connector of type ``code`` can be created through its form with ``values``: its fields
        are on the form, and those the type requires are filled."""
        form = Form(self.env["g2p.payment.connector"])
        form.name = code
        form.psp_id = self.bank_psp
        form.code = code
        for field, value in values.items():
            setattr(form, field, value)
        self.assertEqual(form.save().code, code)
