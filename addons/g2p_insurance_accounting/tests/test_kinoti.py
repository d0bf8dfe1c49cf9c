from datetime import date

from odoo.tests import tagged

from .common import InsuranceCase


@tagged("post_install", "-at_install")
class TestKinotiScenario(InsuranceCase):
    """docs/insurance-accounting.md: the Kinoti family, entry by entry."""

    def test_kinoti_family(self):
        acc, journal, bank_journal, bank = self.acc, self.acc["journal"], self.bank_journal, self.bank
        receivable, income = (
            acc["g2p_ins_premium_receivable_account_id"],
            acc["g2p_ins_premium_income_account_id"],
        )
        refundable = acc["g2p_ins_premium_refundable_account_id"]
        expense, family_acc = acc["g2p_ins_claims_expense_account_id"], acc["g2p_ins_family_account_id"]
        payable = acc["g2p_ins_provider_payable_account_id"]
        family = self.family

        # Jan 2020: cover starts, premium invoiced then paid
        policy = self._policy(activate=False, pay=False)
        self.assertEqual(policy.member_ids, self.joseph | self.mary | self.brian | self.faith | self.wanjiru)
        self.assertEqual(policy.date_end, date(2020, 12, 31))
        policy.action_activate()
        self.assertEqual(policy.state, "active")
        self.assertMove(
            policy.premium_move_id,
            date(2020, 1, 1),
            journal,
            [(receivable, family, 30_000, 0), (income, family, 0, 30_000)],
        )
        self.assertEqual(policy.premium_residual, 30_000)
        paid = policy._register_premium_payment(date=date(2020, 1, 10))
        self.assertMove(
            paid,
            date(2020, 1, 10),
            bank_journal,
            [(bank, family, 30_000, 0), (receivable, family, 0, 30_000)],
        )
        self.assertTrue(policy.premium_paid)
        self.assertEqual(policy.premium_residual, 0)

        # 15 Mar: first-born's inpatient claim, approved 20 Mar, paid
        first = self._claim(
            policy, self.gertrude, "GCH-1", self.brian, self.inpatient, 79_650, received=date(2020, 3, 15)
        )
        receipt = first._receive()
        self.assertMove(
            receipt,
            date(2020, 3, 15),
            journal,
            [(family_acc, family, 79_650, 0), (payable, self.gertrude, 0, 79_650)],
        )
        approval = first._approve(date(2020, 3, 20))
        self.assertMove(
            approval,
            date(2020, 3, 20),
            journal,
            [(expense, family, 79_650, 0), (family_acc, family, 0, 79_650)],
        )
        self.assertEqual((first.state, first.approved_amount, first.excess_amount), ("approved", 79_650, 0))
        payment = first.with_user(self.finance)._pay_provider(date(2020, 3, 25))
        self.assertMove(
            payment,
            date(2020, 3, 25),
            bank_journal,
            [(payable, self.gertrude, 79_650, 0), (bank, self.gertrude, 0, 79_650)],
        )
        self.assertEqual(first.state, "paid")

        # 10 Jul: maternity 123,753, approved up to the cap, excess collected, hospital paid in full
        maternity = self._claim(
            policy, self.nairobi, "TNH-1", self.mary, self.maternity, 123_753, received=date(2020, 7, 10)
        )
        self.assertMove(
            maternity._receive(),
            date(2020, 7, 10),
            journal,
            [(family_acc, family, 123_753, 0), (payable, self.nairobi, 0, 123_753)],
        )
        self.assertMove(
            maternity._approve(date(2020, 7, 15)),
            date(2020, 7, 15),
            journal,
            [(expense, family, 100_000, 0), (family_acc, family, 0, 100_000)],
        )
        self.assertEqual((maternity.approved_amount, maternity.excess_amount), (100_000, 23_753))
        self.assertFalse(maternity.excess_collected)
        self.assertMove(
            maternity.with_user(self.finance)._collect_excess(date(2020, 7, 20)),
            date(2020, 7, 20),
            bank_journal,
            [(bank, family, 23_753, 0), (family_acc, family, 0, 23_753)],
        )
        self.assertMove(
            maternity.with_user(self.finance)._pay_provider(date(2020, 7, 25)),
            date(2020, 7, 25),
            bank_journal,
            [(payable, self.nairobi, 123_753, 0), (bank, self.nairobi, 0, 123_753)],
        )

        # 23 Oct: optical, cost 7,500, 2,500 paid at the provider, claim of 5,000
        optical = self._claim(
            policy,
            self.kikuyu,
            "KEH-1",
            self.joseph,
            self.optical,
            5_000,
            received=date(2020, 10, 23),
            member_paid_at_provider=2_500,
        )
        self.assertMove(
            optical._receive(),
            date(2020, 10, 23),
            journal,
            [(family_acc, family, 5_000, 0), (payable, self.kikuyu, 0, 5_000)],
        )
        self.assertMove(
            optical._approve(date(2020, 10, 26)),
            date(2020, 10, 26),
            journal,
            [(expense, family, 5_000, 0), (family_acc, family, 0, 5_000)],
        )
        self.assertEqual(optical.excess_amount, 0)
        self.assertMove(
            optical.with_user(self.finance)._pay_provider(date(2020, 10, 30)),
            date(2020, 10, 30),
            bank_journal,
            [(payable, self.kikuyu, 5_000, 0), (bank, self.kikuyu, 0, 5_000)],
        )

        # Nov: dental 12,380 excluded: rejected with its reason, no entry
        moves_before = self.env["account.move"].sudo().search_count([("company_id", "=", self.company.id)])
        dental = self._claim(
            policy, self.dentist, "SDC-1", self.faith, self.dental, 12_380, service=date(2020, 11, 5)
        )
        self.assertFalse(dental._receive())
        self.assertEqual(dental.state, "rejected")
        self.assertIn("excluded", dental.rejection_reason)
        self.assertFalse(dental.sudo().move_ids)
        self.assertEqual(
            self.env["account.move"].sudo().search_count([("company_id", "=", self.company.id)]), moves_before
        )

        # 1 Dec: cancelled, one unused month refunded, refund paid
        refund = policy._cancel(date(2020, 12, 1))
        self.assertEqual(policy.state, "cancelled")
        self.assertMove(
            refund, date(2020, 12, 1), journal, [(income, family, 2_500, 0), (refundable, family, 0, 2_500)]
        )
        self.assertEqual(policy.refund_amount, 2_500)
        self.assertMove(
            policy._pay_refund(date(2020, 12, 5)),
            date(2020, 12, 5),
            bank_journal,
            [(refundable, family, 2_500, 0), (bank, family, 0, 2_500)],
        )
        self.assertTrue(policy.refund_paid)

        # After the scenario
        self.assertEqual(policy.limit_used, 184_650)
        self.assertEqual(policy.limit_remaining, 815_350)
        self.assertEqual(policy._remaining_category(self.maternity), 0)
        Line = self.env["account.move.line"].sudo()
        lines = Line.search([("company_id", "=", self.company.id), ("move_id.g2p_policy_id", "=", policy.id)])
        self.assertTrue(all(m.state == "posted" for m in lines.move_id))
        for move in lines.move_id:
            self.assertTrue(self.currency.is_zero(sum(move.line_ids.mapped("balance"))))
        self.assertEqual(
            len(lines.move_id), 14, "the 14 entries of the spec: 2 premium + 10 claim + 2 refund"
        )
        income_lines = lines.filtered(lambda line: line.account_id == income)
        self.assertEqual(-sum(income_lines.mapped("balance")), 27_500, "premium income net")
        for claim in first | maternity | optical:
            shared = claim.sudo().move_ids.line_ids.filtered(lambda line: line.account_id == family_acc)
            self.assertEqual(
                sum(shared.mapped("balance")), 0, "the family shared account nets to zero per claim"
            )
            self.assertTrue(all(shared.mapped("reconciled")))
            self.assertEqual(shared.partner_id, family, "the family is the partner on its sub-ledger")
            owed = claim.sudo().move_ids.line_ids.filtered(lambda line: line.account_id == payable)
            self.assertEqual(sum(owed.mapped("balance")), 0, "hospital payable zero after payment")
            self.assertTrue(all(owed.mapped("reconciled")))
        for hospital in self.gertrude | self.nairobi | self.kikuyu:
            balance = sum(
                Line.search([("account_id", "=", payable.id), ("partner_id", "=", hospital.id)]).mapped(
                    "balance"
                )
            )
            self.assertEqual(balance, 0)
        self.assertTrue(
            all(lines.filtered(lambda line: line.account_id in receivable | refundable).mapped("reconciled"))
        )
        self.assertIn("815,350", policy.limit_summary)
        # pool view: a report over the sub-ledgers, per product and family
        pool = self.env["g2p.insurance.pool.report"].with_user(self.finance)
        balances = dict(
            pool._read_group(
                [("product_id", "=", self.product.id), ("holder_id", "=", family.id)],
                ["account_id"],
                ["balance:sum"],
            )
        )
        self.assertEqual(balances[family_acc], 0)
        self.assertEqual(balances[income], -27_500)
        self.assertEqual(balances[payable], 0)
        self.assertEqual(balances[expense], 184_650)
        self.assertEqual(balances[receivable], 0)
        self.assertEqual(balances[refundable], 0)
        # bank: premium 30,000 + excess 23,753 - hospitals 208,403 - refund 2,500
        self.assertEqual(balances[bank], 30_000 + 23_753 - 79_650 - 123_753 - 5_000 - 2_500)
        # notifications to the family
        approved_msg = first.message_ids.filtered(lambda m: m.subject == f"Claim {first.name} approved")
        self.assertEqual(len(approved_msg), 1)
        self.assertIn("79,650", approved_msg.body)
        self.assertIn(family, approved_msg.partner_ids)
        excess_msg = maternity.message_ids.filtered(lambda m: m.subject == f"Claim {maternity.name} approved")
        self.assertIn("23,753", excess_msg.body)
        rejected_msg = dental.message_ids.filtered(lambda m: m.subject == f"Claim {dental.name} rejected")
        self.assertIn("excluded", rejected_msg.body)
        refund_msg = policy.message_ids.filtered(
            lambda m: m.subject == f"Refund paid for cover {policy.name}"
        )
        self.assertIn("2,500", refund_msg.body)
        due_msg = policy.message_ids.filtered(lambda m: m.subject == f"Premium due for cover {policy.name}")
        self.assertIn("30,000", due_msg.body)
