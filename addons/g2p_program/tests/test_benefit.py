from .common import ProgramCase


class TestBenefitFormula(ProgramCase):
    """A dozen households whose amounts are computed by hand.

    Formula: base 100 + 20 per current member (at most 4 counted)
             + 50 per child under 5 (at most 2 counted)          (per matching member)
             + 30 per member with a disability                    (per matching member)
             + 40 once if the household has an elderly member     (once per beneficiary)
             capped at 300.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program(base_amount=100, amount_per_member=20, max_members=4, ceiling_amount=300)
        Topup = cls.env["g2p.program.benefit.topup"]
        Topup.create(
            [
                {
                    "program_id": cls.program.id,
                    "name": "Per child under 5",
                    "applies_to": "member",
                    "domain": "[('age', '<', 5)]",
                    "amount": 50,
                    "max_count": 2,
                },
                {
                    "program_id": cls.program.id,
                    "name": "Per disabled member",
                    "applies_to": "member",
                    "domain": "[('disability', '=', True)]",
                    "amount": 30,
                },
                {
                    "program_id": cls.program.id,
                    "name": "Elderly in household",
                    "applies_to": "beneficiary",
                    "domain": "[('g2p_elderly_count', '>=', 1)]",
                    "amount": 40,
                },
            ]
        )
        dis = {"disability": True}
        cls.expected = {}

        def add(name, ages, amount, extra=None):
            household = cls._family(name, ages, extra=extra)
            cls.expected[household] = amount
            return household

        add("B01 single adult", [35], 120)  # 100 + 20
        add("B02 couple + baby", [30, 28, 2], 210)  # 100 + 60 + 50
        add("B03 three under 5", [30, 1, 2, 3], 280)  # 100 + 80 + 2x50 (cap)
        add("B04 six members", [40, 38, 10, 11, 12, 13], 180)  # 100 + 4x20 (member cap)
        add("B05 elderly alone", [70], 160)  # 100 + 20 + 40
        add("B06 disabled head + disabled baby", [50, 1], 250, {0: dis, 1: dis})  # 100+40+50+60
        add("B07 over the ceiling", [45, 40, 1, 2, 65], 300, {1: dis})  # 100+80+100+30+40=350 → 300
        h8 = add("B08 one child left", [33, 4, 3], 190)  # 100 + 40 + 50 (the 4-year-old left)
        h8.group_membership_ids.filtered(lambda m: m.individual_id.age == 4).end_date = cls.today
        add("B09 child exactly 5", [59, 5], 140)  # 100 + 40, 5 is not under 5, 59 not elderly
        child5 = cls.env["res.partner"].search([("name", "=", "B09 child exactly 5-1")])
        child5.birthdate = cls._born(5, days=0)  # fifth birthday today
        add("B10 baby + disabled grandparent", [30, 2, 80], 280, {2: dis})  # 100+60+50+30+40
        add("B11 baby twins + newborn", [25, 24, 0, 4, 3], 280)  # 100 + 80 + 2x50 (3 under 5, cap 2)
        cls.empty = cls._household("B12 no members")
        cls.empty.sudo().action_approve()
        cls.expected[cls.empty] = 100  # base only

        cls.program.action_activate()
        cls.program._enrol_eligible()

    def test_hand_computed_amounts_set_based(self):
        ours = list(self.expected)
        amounts = self.program._compute_benefit_amounts([p.id for p in ours])
        self.assertEqual(
            {p.name: amounts.get(p.id) for p in ours}, {p.name: amount for p, amount in self.expected.items()}
        )

    def _queries(self, partner_ids):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.program._compute_benefit_amounts(partner_ids)
        return self.env.cr.sql_log_count - before

    def test_no_query_per_beneficiary(self):
        ids = [p.id for p in self.expected]
        self._queries(ids)  # warm-up
        self.assertEqual(self._queries(ids[:1]), self._queries(ids))

    def test_sql_for_payroll(self):
        """The SQL can be embedded in an INSERT … SELECT; it covers every enrolled member."""
        rows = dict(self.env.execute_query(self.program._benefit_amounts_sql()))
        self.assertEqual(set(rows), set(self.program.membership_ids.partner_id.ids))
        for partner, amount in self.expected.items():
            self.assertAlmostEqual(float(rows[partner.id]), amount)

    def test_only_enrolled_and_membership_amount(self):
        members = self.program.membership_ids.filtered(lambda m: m.partner_id in self.expected)
        by_partner = {m.partner_id: m for m in members}
        self.assertEqual(by_partner[self.empty].benefit_amount, 100)
        by_partner[self.empty].action_pause()
        self.assertNotIn(self.empty.id, self.program._compute_benefit_amounts([self.empty.id]))

    def test_rounding_and_individual_program(self):
        program = self._program(target_type="individual", base_amount=10.10, amount_per_member=0.2)
        self.env["g2p.program.benefit.topup"].create(
            {"program_id": program.id, "name": "Under 5", "domain": "[('age', '<', 5)]", "amount": 3.33}
        )
        self.env["g2p.program.eligibility.rule"].create(
            {"program_id": program.id, "name": "B02", "domain": "[('name', 'like', 'B02 couple + baby-')]"}
        )
        program.action_activate()
        self.assertEqual(program._enrol_eligible(), 3)
        amounts = program._compute_benefit_amounts()
        baby = self.env["res.partner"].search([("name", "=", "B02 couple + baby-2 Test")])
        self.assertEqual(sorted(amounts.values()), [10.30, 10.30, 13.63])
        self.assertEqual(amounts[baby.id], 13.63)
