"""Two agents confirm the same voucher at the same moment, in two real transactions: one pays,
the other waits on the voucher's row lock, fails to serialize, is retried as Odoo retries a
request, and is refused as already paid. Transactions only see committed data, so this test
commits its own fixture (a program with its own payable account, so no other test's figures
move) and removes it afterwards."""

import threading
import time
import uuid

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL

from odoo.addons.g2p_voucher.models.g2p_voucher import VoucherRefused


@tagged("post_install", "-at_install")
class TestVoucherConcurrency(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = odoo.modules.registry.Registry(get_db_name())

    def _env(self, cr, uid=SUPERUSER_ID):
        return api.Environment(cr, uid, {})

    def _fixture(self, env):
        """Committed: a cash PSP and pay point with two agents, one person paid in cash, an
        approved payroll for them, its voucher issued."""
        # Unique per run: a run stopped before its cleanup leaves nothing in the way of the next.
        tag = uuid.uuid4().hex[:6]
        mechanism = env["g2p.payment.mechanism"].search([("code", "=", "cash")])
        psp = env["res.partner"].create(
            {
                "name": "Race Cash %s (test)" % tag,
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": mechanism.ids,
            }
        )
        pay_point = env["g2p.pay.point"].create({"name": "Race PO", "code": tag, "psp_id": psp.id})
        group = env.ref("g2p_voucher.group_g2p_pay_point_agent")
        agents = env["res.users"].create(
            [
                {
                    "name": "Race Agent %s" % n,
                    "login": "race_agent_%s_%s" % (n, tag),
                    "group_ids": [Command.set(group.ids)],
                }
                for n in (1, 2)
            ]
        )
        pay_point.agent_user_ids = [Command.set(agents.ids)]
        person = env["res.partner"].create(
            {"given_name": "Racer", "family_name": "Concurrency", "is_registrant": True}
        )
        person.action_approve()
        env["g2p.payment.account"].create(
            {
                "partner_id": person.id,
                "is_default": True,
                "account_type": "cash",
                "provider_id": psp.id,
                "pay_point_id": pay_point.id,
            }
        )
        company = env.company
        payable = env["account.account"].create(
            {
                "name": "Race payables (test)",
                "code": "G2P29%04d" % (int(tag, 16) % 10000),
                "account_type": "liability_current",
                "reconcile": True,
                "company_ids": company.ids,
            }
        )
        program = env["g2p.program"].create(
            {
                "name": "Race %s (test)" % tag,
                "target_type": "individual",
                "start_date": fields.Date.today(),
                "base_amount": 700,
                "psp_ids": [Command.set(psp.ids)],
            }
        )
        program._g2p_accounting()
        program.beneficiary_payable_account_id = payable
        env["g2p.program"]._demo_activate_enrol_and_approve_cycle(program.id)
        fund = env["g2p.program.fund"].create({"program_id": program.id, "amount": 1000})
        fund.action_post()
        payroll = env["g2p.payroll"].create({"cycle_id": program.cycle_ids[:1].id})
        payroll.action_generate()
        payroll.action_submit()
        payroll.action_approve()
        vouchers, _missing = env["g2p.voucher"]._issue(payroll)
        assert len(vouchers) == 1, vouchers
        return {
            "voucher": vouchers.id,
            "code": vouchers.token,
            "agents": agents.ids,
            "payroll": payroll.id,
            "program": program.id,
            "fund": fund.id,
            "people": (person | psp | agents.partner_id).ids,
            "pay_point": pay_point.id,
            "payable": payable.id,
        }

    def _cleanup(self, ids):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            payroll = env["g2p.payroll"].browse(ids["payroll"])
            fund = env["g2p.program.fund"].browse(ids["fund"])
            moves = payroll.move_ids | fund.move_id
            moves.line_ids.remove_move_reconcile()
            moves.button_draft()
            moves.with_context(force_delete=True).unlink()
            cr.execute(SQL("DELETE FROM g2p_voucher WHERE payroll_id = %s", payroll.id))
            cr.execute(SQL("DELETE FROM g2p_payroll WHERE id = %s", payroll.id))
            cr.execute(SQL("DELETE FROM g2p_program_fund WHERE id = %s", fund.id))
            cr.execute(SQL("DELETE FROM g2p_program_membership WHERE program_id = %s", ids["program"]))
            cr.execute(SQL("DELETE FROM g2p_cycle WHERE program_id = %s", ids["program"]))
            cr.execute(SQL("DELETE FROM g2p_program WHERE id = %s", ids["program"]))
            cr.execute(SQL("DELETE FROM account_account WHERE id = %s", ids["payable"]))
            env.invalidate_all()
            env["res.users"].browse(ids["agents"]).unlink()
            env["g2p.payment.account"].search([("partner_id", "in", ids["people"])]).unlink()
            env["g2p.pay.point"].browse(ids["pay_point"]).unlink()
            env["res.partner"].browse(ids["people"]).unlink()

    def test_two_agents_confirm_at_once_pay_once(self):
        with self.registry.cursor() as cr:
            ids = self._fixture(self._env(cr))
        self.addCleanup(self._cleanup, ids)
        agent_1, agent_2 = ids["agents"]
        outcome = {"tries": 0}

        def second_agent():
            with self.registry.cursor() as cr:
                env = self._env(cr, agent_2)
                cr.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cr.fetchone()[0]

                def confirm():
                    outcome["tries"] += 1
                    try:
                        env["g2p.voucher"]._redeem(ids["code"])
                        outcome["result"] = "paid"
                    except VoucherRefused as refusal:
                        outcome["result"] = str(refusal)

                retrying(confirm, env)

        with self.registry.cursor() as cr_1:
            first = self._env(cr_1, agent_1)["g2p.voucher"]._redeem(ids["code"])
            self.assertEqual(first.state, "redeemed")
            thread = threading.Thread(target=second_agent)
            thread.start()
            # The second agent is waiting on the voucher's row lock before the first commits.
            with self.registry.cursor() as watch:
                for _i in range(200):
                    watch.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [outcome.get("pid", 0)]
                    )
                    row = watch.fetchone()
                    if row and row[0] == "Lock":
                        break
                    watch.rollback()
                    time.sleep(0.05)
                else:
                    self.fail("the second confirmation never waited for the first")
            cr_1.commit()
        thread.join(60)
        self.assertFalse(thread.is_alive())
        self.assertEqual(outcome["tries"], 2, "a serialization failure, then a retry")
        self.assertRegex(outcome["result"], r"Already paid: .* by Race Agent 1 at Race PO")

        with self.registry.cursor() as cr:
            env = self._env(cr)
            voucher = env["g2p.voucher"].browse(ids["voucher"])
            self.assertEqual((voucher.state, voucher.redeemed_by_id.id), ("redeemed", agent_1))
            self.assertEqual(voucher.payroll_line_id.state, "paid")
            payments = (
                env["g2p.payroll"]
                .browse(ids["payroll"])
                .move_ids.filtered(lambda m: m.g2p_event == "payment")
            )
            self.assertEqual(len(payments), 1, "paid once")
            self.assertEqual(sum(payments.line_ids.mapped("debit")), 700)
