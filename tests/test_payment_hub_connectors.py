"""Connector types together (each is an addon of its own): one payroll paid through a GSMA
provider (the stand-in, over real HTTP) and a bank file."""

from odoo.exceptions import AccessError
from odoo.modules import neutralize
from odoo.tests import HttpCase

from odoo.addons.g2p_payment_hub.tests.psp_common import PspCase
from odoo.addons.g2p_payment_hub_gsma.tests import test_connector_gsma as gsma_tests
from odoo.addons.g2p_payment_hub_gsma.tests.simulators import gsma


class TestConnectorsTogether(PspCase, HttpCase):
    test_tags = {"standard", "post_install"}
    test_module = "g2p_payment_hub"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim_context = gsma.run_gsma_simulator()
        cls.sim = cls.sim_context.__enter__()
        cls.addClassCleanup(cls.sim_context.__exit__, None, None, None)
        cls.connector = cls.env["g2p.payment.connector"].create(
            gsma_tests.connector_values(cls.sim.url, cls.mobile_psp)
        )

    def setUp(self):
        super().setUp()
        self.sim.control("reset", {})
        self.sim.control("config", {"auth": {"api_key": "s3cret-api-key"}})
        self.payroll = self._approved_payroll()

    def test_finance_officer_batches_and_sends_every_psp(self):
        """The finance officer's path: one click batches the payroll per PSP (GSMA for wallets, a
        bank file for IBANs), one click sends both; neither reads the connectors' secrets."""
        self.env["g2p.payment.connector"].create(
            {
                "name": "Bank file",
                "code": "file",
                "psp_id": self.bank_psp.id,
                "state": "enabled",
                "file_debtor_iban": "DE89370400440532013000",
                "file_debtor_bic": "COBADEFFXXX",
            }
        )
        self.payroll.with_user(self.finance).action_create_batches()
        batches = self.payroll.batch_ids
        self.assertEqual(set(batches.mapped("connector_code")), {"gsma", "file"})
        batches.with_user(self.finance).action_send()
        self.assertEqual(set(batches.mapped("state")), {"sent"})
        self.assertEqual(set(self.payroll.line_ids.mapped("state")), {"sent"})
        file_batch = batches.filtered(lambda b: b.connector_code == "file")
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.finance)
            .search([("res_model", "=", "g2p.payment.batch"), ("res_id", "=", file_batch.id)])
        )
        self.assertTrue(attachment.raw.startswith(b"<?xml"))
        with self.assertRaises(AccessError):
            self.connector.with_user(self.finance).read(["gsma_api_key"])

    def test_neutralize_blanks_every_connector_secret(self):
        """A copied database (odoo-bin neutralize): the hub disables the connectors and drops the
        callback tokens, each connector addon blanks its own credentials."""
        Connector = self.env["g2p.payment.connector"]
        secrets = {
            "phee": {"phee_username": "u", "phee_password": "p", "phee_jws_private_key": "k"},
            "gsma": {"gsma_api_key": "a", "gsma_consumer_key": "c", "gsma_consumer_secret": "s"},
            "fineract": {"fineract_username": "u", "fineract_password": "p"},
        }
        connectors = Connector.browse()
        for code, values in secrets.items():
            connectors |= Connector.create(
                {"name": code, "code": code, "psp_id": self.mobile_psp.id, "state": "enabled", **values}
            )
        self.payroll._create_payment_batches(self._lines(self.payroll, self.mobile_psp))
        self.assertTrue(self.payroll.batch_ids.sudo().filtered("callback_token"))
        self.env.flush_all()
        for query in neutralize.get_neutralization_queries(neutralize.get_installed_modules(self.env.cr)):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.assertEqual(set((connectors | self.connector).mapped("state")), {"disabled"})
        self.assertFalse(self.payroll.batch_ids.sudo().filtered("callback_token"))
        for connector in connectors:
            for name in secrets[connector.code]:
                self.assertFalse(connector[name], name)
