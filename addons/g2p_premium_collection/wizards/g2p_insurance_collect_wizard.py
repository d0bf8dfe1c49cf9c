from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_payment_hub.models.g2p_payment_collection import DEFAULT_EXPIRY_HOURS


class G2PInsuranceCollectWizard(models.TransientModel):
    """Ask the payer of a cover's premium to pay it (or part of it) from their mobile wallet."""

    _name = "g2p.insurance.collect.wizard"
    _description = "Collect Premium by Mobile Money"

    policy_id = fields.Many2one("g2p.insurance.policy", string="Cover", required=True, readonly=True)
    company_id = fields.Many2one(related="policy_id.company_id")
    currency_id = fields.Many2one(related="policy_id.currency_id")
    payer_id = fields.Many2one(related="policy_id.premium_partner_id", string="Payer")
    premium_residual = fields.Monetary(related="policy_id.premium_residual", string="Premium Due")
    connector_id = fields.Many2one(
        "g2p.payment.connector",
        required=True,
        domain="[('can_collect', '=', True), ('state', '!=', 'disabled'), ('company_id', '=', company_id)]",
        default=lambda self: self.env["g2p.payment.connector"].search(
            [
                ("can_collect", "=", True),
                ("state", "!=", "disabled"),
                ("company_id", "=", self.env.company.id),
            ],
            limit=1,
        ),
        help="The processor that sends the request to the payer's phone.",
    )
    payer_msisdn = fields.Char(
        string="Payer's Mobile Number",
        compute="_compute_payer_msisdn",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        help="The wallet asked to pay: the payer's mobile wallet, else their primary phone.",
    )
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        help="At most the premium still due; a part leaves the rest due.",
    )
    expiry_hours = fields.Integer(string="Valid for (hours)", default=DEFAULT_EXPIRY_HOURS, required=True)

    @api.depends("policy_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.policy_id.premium_residual

    @api.depends("policy_id")
    def _compute_payer_msisdn(self):
        for wizard in self:
            payer = wizard.policy_id.premium_partner_id.sudo()
            wallets = payer.payment_account_ids.filtered(lambda a: a.active and a.msisdn)
            phones = payer.phone_number_ids.filtered(lambda p: not p.disabled).sorted(
                lambda p: not p.is_primary
            )
            wizard.payer_msisdn = (
                wallets[:1].msisdn or phones[:1].phone_number or payer.phone or wizard.payer_msisdn or False
            )

    def action_request(self):
        self.ensure_one()
        policy = self.policy_id
        policy._check_finance()
        if policy.collection_pending:
            raise UserError(
                _("A request to pay for cover %s is still waiting for the payer's answer.", policy.name)
            )
        policy._check_amount(self.amount, policy.premium_residual)
        collection = self.env["g2p.payment.collection"].create(
            {
                "policy_id": policy.id,
                "connector_id": self.connector_id.id,
                "company_id": policy.company_id.id,
                "currency_id": policy.currency_id.id,
                "payer_id": policy.premium_partner_id.id,
                "payer_msisdn": self.payer_msisdn,
                "amount": self.amount,
                "expiry_hours": self.expiry_hours,
                "description": _("Premium %s", policy.name),
            }
        )
        result = collection.action_request()
        policy.message_post(
            body=_(
                "Request to pay %(collection)s sent to %(msisdn)s.",
                collection=collection.name,
                msisdn=collection.payer_msisdn,
            )
            if collection.state == "requested"
            else _(
                "Request to pay %(collection)s not sent: %(why)s",
                collection=collection.name,
                why=collection.reason or collection.last_error or "",
            )
        )
        return result
