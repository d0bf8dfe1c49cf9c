from .common import RegistryCase


class TestRegistrantNumbers(RegistryCase):
    """Registrant numbers come from the registry's sequences, drawn for a whole batch at once."""

    def _create(self, count, **vals):
        return self.env["res.partner"].create(
            [{"given_name": "Person%s" % n, "is_registrant": True, **vals} for n in range(count)]
        )

    def test_a_batch_is_numbered_in_order_from_the_sequence(self):
        sequence = self.env.ref("g2p_registry.seq_registrant_individual")
        expected = sequence.number_next_actual
        people = self._create(4)
        households = self._create(2, is_group=True, name="Batch household")
        self.assertEqual(people.mapped("registrant_number"), ["IND-%07d" % (expected + n) for n in range(4)])
        self.assertTrue(all(n.startswith("HH-") for n in households.mapped("registrant_number")))
        sequence.invalidate_recordset(["number_next_actual"])
        self.assertEqual(sequence.number_next_actual, expected + 4)
        # Given numbers are kept; partners that are not registrants get none.
        kept = self._create(1, registrant_number="IND-LEGACY-1")
        self.assertEqual(kept.registrant_number, "IND-LEGACY-1")
        contact = self.env["res.partner"].create({"name": "A supplier"})
        self.assertFalse(contact.registrant_number)
        # A contact that becomes a registrant is numbered then.
        contact.write({"is_registrant": True})
        self.assertEqual(contact.registrant_number, "IND-%07d" % (expected + 4))

    def test_sequences_with_date_ranges_are_drawn_one_by_one(self):
        sequence = self.env.ref("g2p_registry.seq_registrant_individual")
        sequence.write({"use_date_range": True, "prefix": "IND-%(range_year)s-"})
        people = self._create(3)
        numbers = people.mapped("registrant_number")
        self.assertEqual(len(set(numbers)), 3)
        self.assertTrue(
            all(n.startswith("IND-%s-" % sequence.date_range_ids[:1].date_from.year) for n in numbers)
        )
