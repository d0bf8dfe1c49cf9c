from odoo.exceptions import ValidationError

from .common import ProgramCase


class TestEligibility(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.single = cls._family("Single", [40])
        cls.young = cls._family("Young", [30, 28, 2])  # one child under 5
        cls.school = cls._family("School", [45, 10, 12, 15])  # three children, none under 5
        cls.elder = cls._family("Elder", [72, 65])  # two elderly
        cls.disabled = cls._family("Disabled", [50, 45], extra={1: {"disability": True}})
        cls.draft = cls._family("Draft", [30, 1], approve=False)  # not approved: never eligible
        cls.ours = cls.single | cls.young | cls.school | cls.elder | cls.disabled

    def _eligible(self, program):
        return self.env["res.partner"].search(program._eligibility_domain()) & (self.ours | self.draft)

    def test_aggregates_computed(self):
        self.assertEqual(self.young.g2p_child_count, 1)
        self.assertEqual(self.young.g2p_child_under_5_count, 1)
        self.assertEqual(self.school.g2p_child_count, 3)
        self.assertEqual(self.school.g2p_child_under_5_count, 0)
        self.assertEqual(self.elder.g2p_elderly_count, 2)
        self.assertEqual(self.disabled.g2p_disabled_member_count, 1)
        self.assertEqual(self.single.g2p_child_count, 0)

    def test_aggregate_search_including_zero(self):
        Partner = self.env["res.partner"]
        self.assertEqual(Partner.search([("g2p_child_count", ">=", 1)]) & self.ours, self.young | self.school)
        self.assertEqual(Partner.search([("g2p_child_count", ">", 2)]) & self.ours, self.school)
        self.assertEqual(Partner.search([("g2p_child_under_5_count", "=", 1)]) & self.ours, self.young)
        # conditions satisfied by zero also keep households without any matching member
        self.assertEqual(
            Partner.search([("g2p_child_count", "=", 0)]) & self.ours,
            self.single | self.elder | self.disabled,
        )
        self.assertEqual(
            Partner.search([("g2p_child_count", "<", 2)]) & self.ours,
            self.single | self.young | self.elder | self.disabled,
        )
        self.assertEqual(Partner.search([("g2p_elderly_count", "!=", 0)]) & self.ours, self.elder)
        self.assertEqual(Partner.search([("g2p_disabled_member_count", ">=", 1)]) & self.ours, self.disabled)

    def test_ended_membership_not_counted(self):
        self.young.group_membership_ids.filtered(lambda m: m.role == "child").end_date = self.today
        self.assertEqual(self.young.g2p_child_count, 0)
        self.assertFalse(self.env["res.partner"].search([("g2p_child_count", ">=", 1)]) & self.young)

    def test_no_rule_means_every_active_household(self):
        program = self._program()
        self.assertEqual(self._eligible(program), self.ours, "draft registrants are never eligible")

    def test_rules_and_or_and_exclusion(self):
        program = self._program()
        self._rule(program, [("g2p_child_count", ">=", 1)])
        self._rule(program, [("household_size", ">=", 4)])
        self.assertEqual(self._eligible(program), self.school, "AND: children and at least 4 members")
        program.rule_operator = "or"
        self.assertEqual(self._eligible(program), self.young | self.school)
        self._rule(program, [("g2p_child_under_5_count", ">=", 1)], rule_type="exclude")
        self.assertEqual(self._eligible(program), self.school, "exclusion rules subtract")

    def test_rule_on_members_path(self):
        program = self._program()
        self._rule(program, [("group_membership_ids.individual_id.disability", "=", True)])
        self.assertEqual(self._eligible(program), self.disabled)

    def test_individual_target(self):
        program = self._program(target_type="individual")
        self._rule(program, [("age", "<", 5)])
        eligible = self.env["res.partner"].search(program._eligibility_domain())
        children = self.young.group_membership_ids.filtered(lambda m: m.role == "child").individual_id
        self.assertEqual(eligible & (self.ours | self.draft).group_membership_ids.individual_id, children)

    def test_disabled_and_duplicates_not_eligible(self):
        program = self._program()
        self.single.sudo()._disable("moved away")
        self.env["res.partner"].browse(self.school.id).sudo().write({"duplicate_of_id": self.young.id})
        self.assertEqual(self._eligible(program), self.young | self.elder | self.disabled)

    def test_invalid_rule_refused(self):
        program = self._program()
        with self.assertRefused(ValidationError, "not valid"):
            self._rule(program, [("no_such_field", "=", 1)])
        with self.assertRefused(ValidationError, "not valid"):
            self.env["g2p.program.eligibility.rule"].create(
                {"program_id": program.id, "name": "sql", "domain": "[('id', '=', 1); DROP TABLE x"}
            )
        with self.assertRefused(ValidationError, "not valid"):
            self.env["g2p.program.eligibility.rule"].create(
                {"program_id": program.id, "name": "code", "domain": "__import__('os').system('true')"}
            )
        self.assertFalse(program.eligibility_rule_ids)

    def test_preview_counts_equal_enrolment(self):
        program = self._program()
        self._rule(program, [("g2p_child_count", ">=", 1)], rule_type="include")
        self._rule(program, [("g2p_elderly_count", ">=", 1)])
        program.rule_operator = "or"
        count, sample = program._preview_eligibility(sample_size=3)
        self.assertFalse(program.membership_ids, "preview does not enrol")
        self.assertEqual(len(sample), min(count, 3))
        self.assertGreaterEqual(count, 3)  # young, school, elder (+ any other active household)
        program.with_user(self.manager).action_preview_eligibility()
        self.assertEqual(program.preview_count, count)
        program.action_activate()
        self.assertEqual(program._enrol_eligible(), count)
        self.assertEqual(len(self._members(program)), count)
        self.assertEqual(self._members(program).partner_id & self.ours, self.young | self.school | self.elder)
