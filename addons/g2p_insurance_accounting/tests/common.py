from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.g2p_registry.tests.common import G2PCaseMixin


class InsuranceCase(G2PCaseMixin, AccountTestInvoicingCommon):
    """A company with a chart of accounts, the insurance roles, the Kinoti family and its hospitals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.currency = cls.company.currency_id
        user_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.officer = new_test_user(
            cls.env, "ins_officer", groups="g2p_insurance_accounting.group_g2p_claims_officer", **user_vals
        )
        cls.finance = new_test_user(
            cls.env, "ins_finance", groups="g2p_insurance_accounting.group_g2p_insurance_finance", **user_vals
        )
        cls.acc = cls.company.with_user(cls.finance)._g2p_insurance_accounts()
        cls.bank_journal = cls.acc["bank_journal"]
        cls.bank = cls.acc["bank_account"]
        ref = cls.env.ref
        cls.inpatient = ref("g2p_insurance_accounting.category_inpatient")
        cls.maternity = ref("g2p_insurance_accounting.category_maternity")
        cls.optical = ref("g2p_insurance_accounting.category_optical")
        cls.dental = ref("g2p_insurance_accounting.category_dental")
        cls.outpatient = ref("g2p_insurance_accounting.category_outpatient")

        Partner = cls.env["res.partner"].sudo()
        names = ["Joseph", "Mary", "Brian", "Faith", "Wanjiru"]
        members = Partner.create(
            [{"given_name": n, "family_name": "Kinoti", "is_registrant": True} for n in names]
        )
        family = Partner.create({"name": "Kinoti Family", "is_registrant": True, "is_group": True})
        roles = ["head", "spouse", "child", "child", "dependant"]
        cls.env["g2p.group.membership"].sudo().create(
            [
                {"group_id": family.id, "individual_id": m.id, "role": r}
                for m, r in zip(members, roles, strict=True)
            ]
        )
        (family | members).action_approve()
        cls.family = family.sudo(False)
        cls.joseph, cls.mary, cls.brian, cls.faith, cls.wanjiru = members.sudo(False)
        cls.gertrude, cls.nairobi, cls.kikuyu, cls.dentist, cls.employer = Partner.create(
            [
                {"name": "Gertrude Children's Hospital", "is_company": True},
                {"name": "The Nairobi Hospital", "is_company": True},
                {"name": "Kikuyu Eye Hospital", "is_company": True},
                {"name": "Smile Dental Clinic", "is_company": True},
                {"name": "Acme Employer Ltd", "is_company": True},
            ]
        ).sudo(False)
        cls.product = cls._product()

    @classmethod
    def _product(cls, **vals):
        return (
            cls.env["g2p.insurance.product"]
            .with_user(cls.finance)
            .create(
                {
                    "name": "Family Cover",
                    "code": vals.pop("code", "FAM"),
                    "company_id": cls.company.id,
                    "limit_type": "family",
                    "total_limit": 1_000_000,
                    "premium": 30_000,
                    "period_months": 12,
                    "category_rule_ids": [
                        Command.create({"category_id": cls.inpatient.id}),
                        Command.create({"category_id": cls.maternity.id, "cap_period": 100_000}),
                        Command.create({"category_id": cls.optical.id, "cap_instance": 5_000}),
                        Command.create({"category_id": cls.dental.id, "excluded": True}),
                    ],
                    **vals,
                }
            )
        )

    def _policy(self, product=None, activate=True, pay=True, **vals):
        policy = (
            self.env["g2p.insurance.policy"]
            .with_user(self.finance)
            .create(
                {
                    "product_id": (product or self.product).id,
                    "holder_id": self.family.id,
                    "date_start": date(2020, 1, 1),
                    "company_id": self.company.id,
                    **vals,
                }
            )
        )
        if activate:
            policy.action_activate()
        if pay:
            policy._register_premium_payment(date=date(2020, 1, 10))
        return policy

    def _claim(
        self, policy, provider, reference, member, category, amount, service=date(2020, 3, 10), **vals
    ):
        return (
            self.env["g2p.insurance.claim"]
            .with_user(self.officer)
            .create(
                {
                    "policy_id": policy.id,
                    "provider_id": provider.id,
                    "provider_reference": reference,
                    "member_id": member.id,
                    "category_id": category.id,
                    "date_service": service,
                    "date_received": vals.pop("received", service),
                    "claimed_amount": amount,
                    **vals,
                }
            )
        )

    def assertMove(self, move, when, journal, lines):
        """lines: (account, partner, debit, credit) in any order."""
        move = move.sudo()
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.date, when)
        self.assertEqual(move.journal_id, journal)
        self.assertEqual(move.move_type, "entry")
        got = sorted(
            (line.account_id.code, line.partner_id.name or "", line.debit, line.credit)
            for line in move.line_ids
        )
        want = sorted((a.code, p.name or "", d, c) for a, p, d, c in lines)
        self.assertEqual(got, want)
        self.assertTrue(self.currency.is_zero(sum(move.line_ids.mapped("balance"))), "the move balances")
