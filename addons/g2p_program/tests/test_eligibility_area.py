"""Eligibility by administrative area: a rule ``area_id child_of <county>`` enrols the county's
households, those of its sub-counties included, and nobody else."""

from .common import ProgramCase


class TestEligibilityArea(ProgramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Area = cls.env["g2p.area"]
        cls.kisumu = Area.create({"name": "Kisumu E", "code": "E-042", "level": "county"})
        cls.nyando = Area.create(
            {"name": "Nyando E", "code": "E-042-3", "level": "sub_county", "parent_id": cls.kisumu.id}
        )
        cls.mombasa = Area.create({"name": "Mombasa E", "code": "E-001", "level": "county"})
        cls.in_county = cls._family("County", [40, 5])
        cls.in_sub_county = cls._family("SubCounty", [33])
        cls.elsewhere = cls._family("Elsewhere", [50, 7])
        cls.nowhere = cls._family("Nowhere", [45])
        cls.in_county.area_id = cls.kisumu
        cls.in_sub_county.area_id = cls.nyando
        cls.elsewhere.area_id = cls.mombasa
        cls.ours = cls.in_county | cls.in_sub_county | cls.elsewhere | cls.nowhere

    def test_domain_editor_offers_the_area(self):
        fields = (
            self.env["res.partner"]
            .with_user(self.manager)
            .fields_get(["area_id"], ["searchable", "relation"])
        )
        self.assertEqual(fields["area_id"], {"searchable": True, "relation": "g2p.area"})

    def test_enrols_only_the_county(self):
        program = self._program()
        self._rule(program, [("area_id", "child_of", self.kisumu.id)], name="Kisumu County")
        program.action_activate()
        program.with_user(self.manager)._enrol_eligible()
        self.assertEqual(self._members(program).partner_id & self.ours, self.in_county | self.in_sub_county)

    def test_exclusion_by_area(self):
        program = self._program()
        self._rule(program, [("area_id", "child_of", self.nyando.id)], rule_type="exclude", name="Not Nyando")
        program.action_activate()
        program._enrol_eligible()
        self.assertEqual(
            self._members(program).partner_id & self.ours, self.in_county | self.elsewhere | self.nowhere
        )

    def test_rule_by_area_code(self):
        # An area can also be named in a rule through its fields (here the county's code).
        program = self._program()
        self._rule(program, [("area_id.parent_id.code", "=", "E-042")], name="Sub-counties of Kisumu")
        program.action_activate()
        program._enrol_eligible()
        self.assertEqual(self._members(program).partner_id & self.ours, self.in_sub_county)
