from datetime import date

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form

from .common import InsuranceCase


class TestWizards(InsuranceCase):
    """The buttons that need a value open a wizard; the others take no argument."""

    def _wizard_form(self, opener, user):
        action = opener()
        self.assertEqual((action["type"], action["target"]), ("ir.actions.act_window", "new"))
        return Form(self.env[action["res_model"]].with_user(user).with_context(action["context"]))

    def test_premium_payment_wizard(self):
        policy = self._policy(pay=False)
        wizard_form = self._wizard_form(
            policy.with_user(self.finance).action_open_premium_payment_wizard, self.finance
        )
        self.assertEqual(wizard_form.amount, 30_000, "the amount due by default")
        self.assertEqual(wizard_form.date, fields.Date.context_today(policy))
        wizard_form.amount = 12_000
        wizard_form.date = date(2020, 1, 5)
        action = wizard_form.save().action_register()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("still due", action["params"]["message"])
        self.assertEqual(policy.premium_residual, 18_000)
        self.assertFalse(policy.premium_paid)
        self.assertIn("Premium payment of", policy.message_ids[0].body)
        wizard = self._wizard_form(
            policy.with_user(self.finance).action_open_premium_payment_wizard, self.finance
        )
        self.assertEqual(wizard.amount, 18_000)
        wizard.date = date(2020, 1, 20)
        wizard.save().action_register()
        self.assertTrue(policy.premium_paid)

    def test_cancel_wizard(self):
        policy = self._policy()
        wizard_form = self._wizard_form(
            policy.with_user(self.finance).action_open_cancel_wizard, self.finance
        )
        self.assertEqual(wizard_form.date, fields.Date.context_today(policy))
        wizard_form.date = date(2020, 7, 1)
        action = wizard_form.save().action_cancel_cover()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("to refund", action["params"]["message"])
        self.assertEqual((policy.state, policy.cancel_date), ("cancelled", date(2020, 7, 1)))
        self.assertTrue(policy.refund_amount)
        action = policy.with_user(self.finance).action_pay_refund()
        self.assertIn("Refund of", action["params"]["message"])
        self.assertTrue(policy.refund_paid)
        self.assertEqual(policy.refund_payment_move_id.sudo().date, fields.Date.context_today(policy))

    def test_reject_wizard(self):
        policy = self._policy()
        claim = self._claim(policy, self.gertrude, "WIZ", self.brian, self.inpatient, 1_000)
        self.assertEqual(claim.action_receive()["params"]["title"], "Claim received")
        self.assertEqual(claim.state, "received")
        claim.write({"rejection_reason": "Invoice not signed"})
        wizard_form = self._wizard_form(claim.action_open_reject_wizard, self.officer)
        self.assertEqual(wizard_form.reason, "Invoice not signed", "the reason on the claim by default")
        wizard_form.reason = "Forged invoice"
        wizard_form.date = date(2020, 3, 20)
        action = wizard_form.save().action_reject()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual((claim.state, claim.rejection_reason), ("rejected", "Forged invoice"))
        self.assertEqual(claim.date_adjudicated, date(2020, 3, 20))
        with self.assertRaises(AccessError):
            claim.with_user(self.finance).action_open_reject_wizard()
        with self.assertRaises(AccessError):
            policy.with_user(self.officer).action_open_cancel_wizard()

    def _message(self, action, title, kind="success"):
        """The notification a button returns: its title, its kind, and a reload after it."""
        self.assertEqual(action["tag"], "display_notification")
        params = action["params"]
        self.assertEqual((params["title"], params["type"]), (title, kind))
        self.assertEqual(params["next"]["tag"], "soft_reload")
        return params["message"]

    def test_buttons_without_arguments(self):
        """Each button says what it did, with the amounts."""
        policy = self._policy(activate=False, pay=False)
        message = self._message(policy.action_activate(), "Cover activated")
        self.assertIn("premium of $\xa030,000.00 invoiced to Kinoti Family", message)
        self.assertEqual(self._message(policy.action_activate(), "Nothing to activate", "info"),
                         "The cover is already active.")  # fmt: skip
        policy._register_premium_payment(date=date(2020, 1, 10))
        claim = self._claim(policy, self.gertrude, "BTN", self.brian, self.maternity, 150_000)
        message = self._message(claim.action_receive(), "Claim received")
        self.assertIn("$\xa0150,000.00 claimed by Gertrude Children's Hospital", message)
        message = self._message(claim.action_approve(), "Claim approved")
        self.assertIn("the cover pays $\xa0100,000.00", message)
        self.assertIn("excess of $\xa050,000.00 charged to the family", message)
        self.assertEqual(claim.state, "approved")
        self.assertEqual(claim.date_adjudicated, fields.Date.context_today(claim))
        self.assertEqual(claim.excess_amount, 50_000)
        message = self._message(claim.with_user(self.finance).action_collect_excess(), "Excess collected")
        self.assertIn("$\xa050,000.00 collected from Kinoti Family", message)
        self.assertTrue(claim.excess_collected)
        message = self._message(claim.with_user(self.finance).action_pay_provider(), "Provider paid")
        self.assertIn("$\xa0150,000.00 paid to Gertrude Children's Hospital", message)
        self.assertEqual((claim.state, claim.date_paid), ("paid", fields.Date.context_today(claim)))

    def test_buttons_say_when_a_claim_is_rejected(self):
        policy = self._policy()
        dental = self._claim(policy, self.dentist, "DENT", self.mary, self.dental, 2_000)
        message = self._message(dental.action_receive(), "Claim rejected", "warning")
        self.assertIn("Dental is excluded from Family Cover.", message)
        self.assertEqual(dental.state, "rejected")
