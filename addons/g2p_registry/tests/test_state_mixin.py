import logging

from odoo.exceptions import UserError
from odoo.tests import Form
from odoo.tools import SQL

from .common import RegistryCase

MIXIN_LOGGER = "odoo.addons.g2p_registry.models.g2p_state_mixin"


class TestStateMixin(RegistryCase):
    """g2p.state.mixin, through the registrant lifecycle (res.partner, state field
    ``registrant_state``)."""

    def _people(self, count, prefix="P"):
        Partner = self.env["res.partner"]
        return Partner.create(
            [
                {"given_name": "%s%s" % (prefix, i), "family_name": "Mixin", "is_registrant": True}
                for i in range(count)
            ]
        )

    def test_repeat_is_a_logged_noop(self):
        people = self._people(3)
        people[0].action_approve()
        approved_date = people[0].approved_date
        with self.assertLogs(MIXIN_LOGGER, logging.INFO) as logs:
            changed = people._g2p_transition("active", {"draft"}, {"approved_by_id": self.validator.id})
        self.assertEqual(changed, people[1:], "only the records not yet there change")
        self.assertEqual(len(logs.records), 1, "one log line per call, not one per record")
        self.assertIn("ids [%s]" % people[0].id, logs.output[0])
        self.assertIn("already in state active", logs.output[0])
        self.assertEqual(people[0].approved_date, approved_date, "the repeated record is not written")
        self.assertEqual(people[0].approved_by_id, self.env.user, "still the first approver")
        self.assertEqual(people[1:].approved_by_id, self.validator)
        self.assertEqual(set(people.mapped("registrant_state")), {"active"})

    def test_wrong_source_refused_with_labels_and_reason(self):
        person = self._individual("Amina", "Wrong")
        person._disable("Moved away")
        with self.assertRefused(
            UserError,
            r"Registrant Amina Wrong is Disabled: it cannot become Active\. "
            r"Only draft registrants can be approved\.",
        ):
            person.action_approve()
        # Without an explanation, the allowed source states are named.
        with self.assertRefused(UserError, r"is Disabled: it cannot become Draft\. Only from: Active\."):
            person._g2p_transition("draft", {"active"})
        self.assertEqual(person.registrant_state, "disabled")

    def test_mixed_sources_refused_whole(self):
        people = self._people(5)
        people[2:4]._disable("Deceased")
        with self.assertRefused(
            UserError, r"P2 Mixin is Disabled: it cannot become Active.* 2 records of the selection cannot"
        ):
            people.action_approve()
        self.assertEqual(
            people.mapped("registrant_state"), ["draft", "draft", "disabled", "disabled", "draft"]
        )
        self.assertFalse(people.filtered("approved_by_id"))

    def test_one_write_whatever_the_size(self):
        small, large = self._people(2, "S"), self._people(40, "L")
        self.env.flush_all()

        def approve(records):
            # Without tracking: the chatter's tracking costs queries per record, the mixin must not.
            changed = records.with_context(tracking_disable=True)._g2p_transition(
                "active", {"draft"}, {"approved_by_id": self.validator.id}
            )
            self.assertEqual(changed, records)

        # Counted as assertQueryCount counts, on 2 records...
        self.env.cr.flush()
        before = self.env.cr.sql_log_count
        approve(small)
        self.env.flush_all()
        self.env.cr.flush()
        expected = self.env.cr.sql_log_count - before
        # ... then on 20 times more.
        with self.assertQueryCount(expected):
            approve(large)
        self.assertEqual(set(large.mapped("registrant_state")), {"active"})
        self.assertEqual(large.approved_by_id, self.validator)

    def test_chatter_message_on_changed_records(self):
        people = self._people(2)
        people[0].action_approve()
        people._g2p_transition(
            "disabled", {"draft", "active"}, {"disabled_reason": "Audit"}, message="Audit hold"
        )
        for person in people:
            self.assertIn("Audit hold", person.message_ids.mapped("body")[0])
        people._g2p_transition("disabled", {"draft", "active"}, message="Again")
        self.assertFalse(
            people.message_ids.filtered(lambda m: "Again" in (m.body or "")), "no message for no-ops"
        )

    def test_disable_wizard(self):
        people = self._people(2)
        people[0].action_approve()
        wizard_form = Form(
            self.env["g2p.registrant.disable.wizard"]
            .with_user(self.validator)
            .with_context(default_partner_ids=people.ids)
        )
        wizard_form.reason = "  Duplicate registration  "
        wizard = wizard_form.save()
        action = wizard.action_disable()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("2 registrants disabled", action["params"]["message"])
        self.assertEqual(set(people.mapped("registrant_state")), {"disabled"})
        self.assertEqual(set(people.mapped("disabled_reason")), {"Duplicate registration"})
        self.assertEqual(people.disabled_by_id, self.validator)

    def test_new_state_is_in_the_database_at_once(self):
        """Set-based SQL run after a transition (a cron's selection, a lock) reads the new state."""
        people = self._people(2)
        people._g2p_transition("active", {"draft"})
        rows = self.env.execute_query(
            SQL("SELECT DISTINCT registrant_state FROM res_partner WHERE id = ANY(%s)", people.ids)
        )
        self.assertEqual(rows, [("active",)])
