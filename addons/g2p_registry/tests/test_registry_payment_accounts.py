from odoo.exceptions import ValidationError

from .common import RegistryCase


class TestPaymentAccounts(RegistryCase):
    def test_first_account_is_default_and_default_is_unique(self):
        person = self._individual("Wambui")
        Account = self.env["g2p.payment.account"]
        wallet = Account.create(
            {
                "partner_id": person.id,
                "account_type": "mobile_wallet",
                "provider_id": self.mobile_psp.id,
                "msisdn": "0712000111",
            }
        )
        bank = Account.create(
            {
                "partner_id": person.id,
                "account_type": "bank",
                "provider_id": self.bank_psp.id,
                "iban": "gb82 west 1234 5698 7654 32",
                "bic": "deut de ff",
            }
        )
        self.assertTrue(wallet.is_default)
        self.assertFalse(bank.is_default)
        self.assertEqual(bank.iban, "GB82WEST12345698765432")
        self.assertEqual(bank.bic, "DEUTDEFF")
        self.assertEqual(person.default_payment_account_id, wallet)
        # Ticking another account's Default box moves the default: never two, never a refusal.
        bank.write({"is_default": True})
        self.assertFalse(wallet.is_default)
        self.assertEqual(person.default_payment_account_id, bank)
        wallet.action_set_default()
        self.assertEqual(person.default_payment_account_id, wallet)
        self.assertFalse(bank.is_default)
        self.assertEqual(len(person.payment_account_ids.filtered("is_default")), 1)

    def test_registrant_with_accounts_has_a_default(self):
        """The form sends its unticked "Default" box: the first account still becomes the default,
        a second one stays as sent."""
        person = self._individual("Njoki")
        Account = self.env["g2p.payment.account"]
        vals = {"partner_id": person.id, "account_type": "mobile_wallet", "provider_id": self.mobile_psp.id}
        first = Account.create({**vals, "msisdn": "0712000222", "is_default": False})
        second = Account.create({**vals, "msisdn": "0712000333", "is_default": False})
        self.assertTrue(first.is_default)
        self.assertFalse(second.is_default)
        # Several at once, one of them ticked: only that one is the default.
        other = self._individual("Kerubo")
        vals["partner_id"] = other.id
        accounts = Account.create(
            [
                {**vals, "msisdn": "0712000444", "is_default": False},
                {**vals, "msisdn": "0712000555", "is_default": True},
            ]
        )
        self.assertEqual(accounts.mapped("is_default"), [False, True])

    def test_invalid_accounts_refused(self):
        person = self._individual("Chebet")
        Account = self.env["g2p.payment.account"]
        cases = [
            (
                {"account_type": "bank", "provider_id": self.bank_psp.id, "iban": "GB82WEST12345698765433"},
                "not a valid IBAN: its check digits do not match",
            ),
            ({"account_type": "bank", "provider_id": self.bank_psp.id, "bic": "XX"}, "not a valid BIC"),
            ({"account_type": "bank", "provider_id": self.bank_psp.id}, "needs an IBAN or an account number"),
            ({"account_type": "mobile_wallet", "provider_id": self.mobile_psp.id}, "needs its phone number"),
            (
                {"account_type": "mobile_wallet", "provider_id": self.mobile_psp.id, "msisdn": "123"},
                "not a valid phone number",
            ),
            (
                {"account_type": "mobile_wallet", "provider_id": self.bank_psp.id, "msisdn": "0712000111"},
                "Bank Co does not offer Mobile Money Wallet",
            ),
            ({"account_type": "cash", "provider_id": self.cash_psp.id}, "needs a pay point"),
            (
                {"account_type": "bank", "provider_id": person.id, "account_number": "1"},
                "not a registered payment service provider",
            ),
        ]
        for vals, message in cases:
            with self.subTest(message=message), self.assertRefused(ValidationError, message):
                Account.create({"partner_id": person.id, **vals})
        self.assertFalse(person.payment_account_ids, "no refused account was stored")

    def test_cash_account_pay_point_belongs_to_psp(self):
        person = self._individual("Nafula")
        other_cash = self.env["res.partner"].create(
            {
                "name": "Other Cash",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": [(6, 0, self.cash_psp.psp_mechanism_ids.ids)],
            }
        )
        with self.assertRefused(ValidationError, "belongs to Cash Co, not to Other Cash"):
            self.env["g2p.payment.account"].create(
                {
                    "partner_id": person.id,
                    "account_type": "cash",
                    "provider_id": other_cash.id,
                    "pay_point_id": self.pay_point.id,
                }
            )
        account = self.env["g2p.payment.account"].create(
            {
                "partner_id": person.id,
                "account_type": "cash",
                "provider_id": self.cash_psp.id,
                "pay_point_id": self.pay_point.id,
            }
        )
        self.assertEqual(account.display_name, "Cash Co – Kisumu PO")
