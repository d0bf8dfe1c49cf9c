from odoo import fields, models

# The money events of health insurance, added to g2p_account's ``g2p_event``: one per kind of
# entry the covers and claims post (see the Kinoti scenario in README.rst).
INSURANCE_EVENTS = [
    ("ins_premium", "Insurance premium due"),
    ("ins_premium_payment", "Insurance premium paid"),
    ("ins_refund", "Insurance premium refund (cover cancelled)"),
    ("ins_refund_payment", "Insurance refund paid"),
    ("ins_claim_received", "Claim received"),
    ("ins_claim_approved", "Claim approved"),
    ("ins_claim_rejected", "Claim rejected (receipt reversed)"),
    ("ins_excess", "Claim excess collected"),
    ("ins_provider_payment", "Provider paid"),
    ("ins_employer_payment", "Employer premium payment"),
    ("ins_employer_payment_cancel", "Employer premium payment cancelled"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    g2p_policy_id = fields.Many2one(
        "g2p.insurance.policy", string="Insurance Cover", index="btree_not_null", readonly=True, copy=False
    )
    g2p_claim_id = fields.Many2one(
        "g2p.insurance.claim", string="Insurance Claim", index="btree_not_null", readonly=True, copy=False
    )
    g2p_employer_payment_id = fields.Many2one(
        "g2p.insurance.employer.payment",
        string="Employer Payment",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    g2p_event = fields.Selection(
        selection_add=INSURANCE_EVENTS,
        # Uninstalling insurance keeps its entries; only their event is cleared.
        ondelete=dict.fromkeys(dict(INSURANCE_EVENTS), "set null"),
    )
