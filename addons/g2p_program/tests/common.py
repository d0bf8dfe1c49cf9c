from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.g2p_registry.tests.common import RegistryCase


class ProgramCase(RegistryCase):
    """Registry fixtures plus a program manager and helpers to build households by ages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, "program_manager", groups="g2p_program.group_g2p_program_manager"
        )
        cls.today = fields.Date.context_today(cls.env["res.partner"])

    @classmethod
    def _born(cls, years, days=30):
        """A birthdate giving ``years`` full years today (``days`` past the birthday)."""
        return cls.today - relativedelta(years=years, days=days)

    @classmethod
    def _person(cls, given, age, approve=True, **vals):
        person = cls._individual(given, "Test", birthdate=cls._born(age), **vals)
        if approve:
            person.sudo().action_approve()
        return person

    @classmethod
    def _family(cls, name, ages, approve=True, extra=None):
        """A household whose first age is the head's; the others are children (under 18),
        dependants (60+) or spouses. ``extra`` maps a member index to extra vals for that member."""
        members = []
        for i, age in enumerate(ages):
            person = cls._person("%s-%s" % (name, i), age, approve=approve, **(extra or {}).get(i, {}))
            role = "head" if i == 0 else "child" if age < 18 else "dependant" if age >= 60 else "spouse"
            members.append((person, role))
        household = cls._household(name, members)
        if approve:
            household.sudo().action_approve()
        return household

    @classmethod
    def _program(cls, **vals):
        return cls.env["g2p.program"].create(
            {"name": "Test Program", "target_type": "group", "start_date": cls.today, **vals}
        )

    def _rule(self, program, domain, rule_type="include", name="rule"):
        return self.env["g2p.program.eligibility.rule"].create(
            {"program_id": program.id, "name": name, "domain": repr(domain), "rule_type": rule_type}
        )

    def _members(self, program, state="enrolled"):
        return self.env["g2p.program.membership"].search(
            [("program_id", "=", program.id), ("state", "=", state)]
        )
