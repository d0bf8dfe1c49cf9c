from odoo import fields, models

ACCOUNT_TYPES = [
    ("bank", "Bank Account"),
    ("mobile_wallet", "Mobile Money Wallet"),
    ("cash", "Cash Pay Point"),
]


class G2pPaymentMechanism(models.Model):
    _name = "g2p.payment.mechanism"
    _description = "Payment Mechanism"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        ACCOUNT_TYPES,
        required=True,
        help="The kind of payment account this mechanism pays into.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _code_uniq = models.Constraint("UNIQUE (code)", "There is already a mechanism for this account type.")
