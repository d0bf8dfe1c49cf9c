from contextlib import contextmanager

from odoo.tests import TransactionCase, new_test_user


class G2PCaseMixin:
    """Helpers shared by the G2P addons' tests."""

    @contextmanager
    def assertRefused(self, exception, message_regex):
        """Assert the block raises ``exception`` matching ``message_regex``, inside a savepoint
        rolled back on error, as a real request's transaction would be. (Odoo's assertRaises opens
        a savepoint; its assertRaisesRegex does not.)"""
        # The savepoint is inside, so the exception goes through it (rollback) before being caught.
        with self.assertRaisesRegex(exception, message_regex) as cm, self.env.cr.savepoint():
            yield cm
        self.env.invalidate_all()


class RegistryCase(G2PCaseMixin, TransactionCase):
    """Users per registry role, a national ID type, PSPs per mechanism and a Kenyan company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.ke")
        cls.registrar = new_test_user(cls.env, "registrar", groups="g2p_registry.group_g2p_registrar")
        cls.validator = new_test_user(
            cls.env, "validator", groups="g2p_registry.group_g2p_registry_validator"
        )
        cls.g2p_admin = new_test_user(cls.env, "g2p_admin", groups="g2p_registry.group_g2p_admin")
        cls.national_id = cls.env["g2p.id.type"].create(
            {
                "name": "National ID",
                "code": "NID_TEST",
                "validation_regex": r"^[0-9]{8}$",
                "validation_hint": "eight digits",
            }
        )
        cls.passport = cls.env["g2p.id.type"].create({"name": "Passport", "code": "PASSPORT_TEST"})
        mechanisms = {m.code: m for m in cls.env["g2p.payment.mechanism"].search([])}
        cls.mobile_psp = cls.env["res.partner"].create(
            {
                "name": "Wallet Co",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": [(6, 0, mechanisms["mobile_wallet"].ids)],
            }
        )
        cls.bank_psp = cls.env["res.partner"].create(
            {
                "name": "Bank Co",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": [(6, 0, mechanisms["bank"].ids)],
            }
        )
        cls.cash_psp = cls.env["res.partner"].create(
            {
                "name": "Cash Co",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": [(6, 0, mechanisms["cash"].ids)],
            }
        )
        cls.pay_point = cls.env["g2p.pay.point"].create(
            {"name": "Kisumu PO", "code": "KSM", "psp_id": cls.cash_psp.id}
        )

    @classmethod
    def _individual(cls, given, family="Test", **vals):
        return cls.env["res.partner"].create(
            {"given_name": given, "family_name": family, "is_registrant": True, **vals}
        )

    @classmethod
    def _household(cls, name="Test Household", members=(), **vals):
        """members: iterable of (individual, role)."""
        household = cls.env["res.partner"].create(
            {"name": name, "is_registrant": True, "is_group": True, **vals}
        )
        cls.env["g2p.group.membership"].create(
            [{"group_id": household.id, "individual_id": person.id, "role": role} for person, role in members]
        )
        return household
