from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # An employer payment is one entry for many covers: each of its receivable items names its cover.
    g2p_policy_id = fields.Many2one(
        "g2p.insurance.policy",
        string="Insurance Cover",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The cover whose premium this item pays (items of an employer payment).",
    )
