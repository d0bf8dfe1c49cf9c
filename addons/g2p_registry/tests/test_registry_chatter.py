from odoo.tools import html2plaintext

from .common import RegistryCase


class TestRegistryChatter(RegistryCase):
    def _commit_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def test_disabling_says_why_in_words_without_none_lines(self):
        """The chatter reads "Disabled: Deceased", not "Disabled Reason: None → Deceased"."""
        person = self._individual("Wanjiku")
        person.with_user(self.validator).action_approve()
        self._commit_tracking()
        person.with_user(self.validator)._disable("Deceased")
        self._commit_tracking()
        person.with_user(self.validator).action_enable()
        self._commit_tracking()
        bodies = [html2plaintext(m.body or "") for m in person.message_ids]
        self.assertIn("Disabled: Deceased", bodies)
        tracked = person.message_ids.tracking_value_ids
        self.assertIn("registrant_state", tracked.field_id.mapped("name"))
        self.assertNotIn("disabled_reason", tracked.field_id.mapped("name"))
