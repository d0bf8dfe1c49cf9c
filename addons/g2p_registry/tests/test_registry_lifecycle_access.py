import logging

from odoo.exceptions import AccessError, UserError

from .common import RegistryCase


class TestLifecycleAndAccess(RegistryCase):
    def _commit_tracking(self):
        # Tracking values are written when the transaction commits; each step is its own request.
        self.env.flush_all()
        self.env.cr.precommit.run()

    def test_validator_approves_disables_and_reenables(self):
        person = self._individual("Kevin")
        self._commit_tracking()
        person.with_user(self.validator).action_approve()
        self._commit_tracking()
        self.assertEqual(person.registrant_state, "active")
        self.assertEqual(person.approved_by_id, self.validator)
        person._ensure_can_receive_benefits()  # no error for an active registrant

        wizard = (
            self.env["g2p.registrant.disable.wizard"]
            .with_user(self.validator)
            .create({"partner_ids": [(6, 0, person.ids)], "reason": "Deceased"})
        )
        wizard.action_disable()
        self._commit_tracking()
        self.assertEqual(person.registrant_state, "disabled")
        self.assertEqual(person.disabled_reason, "Deceased")
        self.assertEqual(person.disabled_by_id, self.validator)
        with self.assertRefused(UserError, "not active and cannot be enrolled or paid"):
            person._ensure_can_receive_benefits()

        person.with_user(self.validator).action_enable()
        self._commit_tracking()
        self.assertEqual(person.registrant_state, "active")
        self.assertFalse(person.disabled_reason)
        tracked = person.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "registrant_state"
        )
        self.assertEqual(
            tracked.sorted("id").mapped(lambda t: (t.old_value_char, t.new_value_char)),
            [("Draft", "Active"), ("Active", "Disabled"), ("Disabled", "Active")],
            "approval, disabling and re-enabling are tracked in the chatter",
        )

    def test_transition_guards(self):
        person = self._individual("Juma")
        with self.assertRefused(UserError, "Only disabled registrants can be re-enabled"):
            person.action_enable()
        with self.assertRefused(UserError, "Give a reason"):
            person._disable("  ")
        person.action_approve()
        # A repeat is a logged no-op (it used to be refused; see g2p.state.mixin).
        with self.assertLogs("odoo.addons.g2p_registry.models.g2p_state_mixin", logging.INFO):
            person.action_approve()
        self.assertEqual(person.registrant_state, "active")
        person._disable("Moved away")
        with self.assertLogs("odoo.addons.g2p_registry.models.g2p_state_mixin", logging.INFO):
            self.assertFalse(person._disable("Again"))
        self.assertEqual(person.disabled_reason, "Moved away", "a repeated disabling changes nothing")
        with self.assertRefused(UserError, "Only draft registrants can be approved"):
            person.action_approve()
        draft = self._individual("Draft")
        with self.assertRefused(UserError, "not active"):
            draft._ensure_can_receive_benefits()

    def test_registrar_cannot_approve_or_disable(self):
        person = self._individual("Salim").with_user(self.registrar)
        with self.assertRaises(AccessError):
            person.action_approve()
        with self.assertRaises(AccessError):
            person._disable("no")
        with self.assertRaises(AccessError):
            person.write({"registrant_state": "active"})
        with self.assertRaises(AccessError):
            person.action_open_disable_wizard()
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.registrar).create(
                {
                    "given_name": "Sneaky",
                    "family_name": "Active",
                    "is_registrant": True,
                    "registrant_state": "active",
                }
            )
        person.invalidate_recordset()
        self.assertEqual(person.registrant_state, "draft", "the refused change left the registrant untouched")

    def test_registrar_registers_households(self):
        Partner = self.env["res.partner"].with_user(self.registrar)
        head = Partner.create({"given_name": "Mwende", "family_name": "Kilonzo", "is_registrant": True})
        household = Partner.create({"name": "Kilonzo", "is_registrant": True, "is_group": True})
        self.env["g2p.group.membership"].with_user(self.registrar).create(
            {"group_id": household.id, "individual_id": head.id, "role": "head"}
        )
        self.env["g2p.registrant.id"].with_user(self.registrar).create(
            {"partner_id": head.id, "id_type_id": self.national_id.id, "value": "11223344"}
        )
        self.env["g2p.phone.number"].with_user(self.registrar).create(
            {"partner_id": head.id, "phone_number": "0711000222"}
        )
        self.env["g2p.payment.account"].with_user(self.registrar).create(
            {
                "partner_id": head.id,
                "account_type": "mobile_wallet",
                "provider_id": self.mobile_psp.id,
                "msisdn": "0711000222",
            }
        )
        self.assertEqual(household.head_id, head)
        self.assertEqual(head.default_payment_account_id.msisdn, "+254711000222")

    def test_registrar_cannot_configure_or_touch_other_contacts(self):
        with self.assertRaises(AccessError):
            self.env["g2p.id.type"].with_user(self.registrar).create({"name": "X", "code": "X"})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.registrar).create(
                {"name": "Rogue PSP", "is_company": True, "is_psp": True}
            )
        with self.assertRaises(AccessError):
            self.mobile_psp.with_user(self.registrar).psp_active = False
        supplier = self.env["res.partner"].create({"name": "Some Supplier"})
        with self.assertRaises(AccessError):
            supplier.with_user(self.registrar).write({"name": "Renamed"})
        self.assertEqual(supplier.name, "Some Supplier")
        self.assertTrue(self.mobile_psp.psp_active)

    def test_admin_registers_psp(self):
        psp = (
            self.env["res.partner"]
            .with_user(self.g2p_admin)
            .create({"name": "New PSP", "is_company": True, "is_psp": True})
        )
        self.assertTrue(psp.is_psp and psp.psp_active)
