from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase

from .common import PaymentHubCase


class TestPaymentHubMenu(TransactionCase):
    def test_menu_for_finance_officers(self):
        menu = self.env.ref("g2p_payment_hub.menu_g2p_payment_hub")
        self.assertEqual(menu.group_ids, self.env.ref("g2p_payroll.group_g2p_finance_officer"))
        self.assertEqual(menu.parent_id, self.env.ref("g2p_registry.menu_g2p_root"))


class TestPaymentHubAccess(PaymentHubCase):
    def test_roles(self):
        Connector = self.env["g2p.payment.connector"]
        vals = {"name": "Wallet", "psp_id": self.mobile_psp.id}
        # G2P administrators configure connectors; finance officers only read them.
        connector = Connector.with_user(self.g2p_admin).create(vals)
        connector.with_user(self.finance).read(["name", "state"])
        with self.assertRaises(AccessError):
            Connector.with_user(self.finance).create(vals)
        with self.assertRaises(AccessError):
            connector.with_user(self.finance).write({"state": "enabled"})
        with self.assertRaises(AccessError):
            Connector.with_user(self.manager).search([])
        # Program managers follow batches read-only; registrars see nothing of the hub.
        self.env["g2p.payment.batch"].with_user(self.manager).search([])
        with self.assertRaises(AccessError):
            self.env["g2p.payment.batch"].with_user(self.registrar).search([])
        with self.assertRaises(AccessError):
            self.env["g2p.payment.batch.log"].with_user(self.manager).search([])

    def test_batches_of_another_company_are_invisible(self):
        other = self.env["res.company"].create({"name": "Other Agency"})
        connector = self.env["g2p.payment.connector"].create(
            {"name": "Other", "psp_id": self.mobile_psp.id, "company_id": other.id}
        )
        self.finance.write({"company_ids": [Command.link(other.id)]})
        self.assertIn(connector, self.env["g2p.payment.connector"].with_user(self.finance).search([]))
        visible = (
            self.env["g2p.payment.connector"]
            .with_user(self.finance)
            .with_context(allowed_company_ids=[self.company.id])
            .search([])
        )
        self.assertNotIn(connector, visible)

    def test_only_finance_sends(self):
        with self.assertRaisesRegex(AccessError, "finance officers"):
            self.env["g2p.payment.batch"].with_user(self.manager).action_send()
