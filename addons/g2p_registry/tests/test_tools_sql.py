import datetime
from decimal import Decimal

from odoo.tests import TransactionCase

from odoo.addons.g2p_registry.tools.sql import pg_array


class TestPgArray(TransactionCase):
    def _round_trip(self, values, cast):
        self.env.cr.execute("SELECT %%s::%s" % cast, (pg_array(values),))
        return self.env.cr.fetchone()[0]

    def test_text_survives_every_special_character(self):
        values = ["a,b", "{x}", 'say "hi"', "back\\slash", "NULL", "", " padded ", "é ü 中", "l'apostrophe"]
        # Text alone takes a shorter path than text with NULLs: both must give the same values.
        self.assertEqual(self._round_trip(values, "varchar[]"), values)
        values.append(None)
        self.assertEqual(self._round_trip(values, "varchar[]"), values)

    def test_numbers_dates_and_nulls(self):
        self.assertEqual(self._round_trip([1, None, -7, 2**31 - 1], "int[]"), [1, None, -7, 2**31 - 1])
        self.assertEqual(self._round_trip((n for n in (3, -1, 0)), "int[]"), [3, -1, 0])
        # Read back as text: Odoo's cursor turns numerics into floats.
        self.assertEqual(
            self._round_trip([Decimal("10.05"), 3, 2.5, None], "numeric[]::text"), "{10.05,3,2.5,NULL}"
        )
        days = [datetime.date(2026, 11, 24), None]
        self.assertEqual(self._round_trip(days, "date[]"), days)
        self.assertEqual(self._round_trip([True, False, None], "bool[]"), [True, False, None])
        self.assertEqual(self._round_trip([], "int[]"), [])

    def test_unsupported_values_are_refused(self):
        with self.assertRaises(TypeError):
            pg_array([{"a": 1}])
        # An aware moment would lose its offset in a timestamp array.
        with self.assertRaises(TypeError):
            pg_array([datetime.datetime(2026, 1, 1, 12, tzinfo=datetime.UTC)])
