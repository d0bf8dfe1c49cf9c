from odoo import fields, models
from odoo.tools import SQL


class G2PInsurancePoolReport(models.Model):
    """Pool view: balances of the insurance accounts per product, region and family, read from the
    posted journal items. A pool is only this report; no entry ever debits or credits a pool."""

    _name = "g2p.insurance.pool.report"
    _description = "Insurance Pool Report"
    _auto = False
    _order = "product_id, holder_id, account_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one("g2p.insurance.product", string="Product (Pool)", readonly=True)
    policy_id = fields.Many2one("g2p.insurance.policy", string="Cover", readonly=True)
    holder_id = fields.Many2one("res.partner", string="Family / Holder", readonly=True)
    region_id = fields.Many2one("res.country.state", string="Region", readonly=True)
    account_id = fields.Many2one("account.account", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    date = fields.Date(readonly=True)
    debit = fields.Monetary(readonly=True)
    credit = fields.Monetary(readonly=True)
    balance = fields.Monetary(readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT line.id AS id,
                   line.company_id AS company_id,
                   policy.product_id AS product_id,
                   policy.id AS policy_id,
                   policy.holder_id AS holder_id,
                   holder.state_id AS region_id,
                   line.account_id AS account_id,
                   line.partner_id AS partner_id,
                   line.date AS date,
                   line.debit AS debit,
                   line.credit AS credit,
                   line.balance AS balance
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN g2p_insurance_policy policy ON policy.id = move.g2p_policy_id
              JOIN res_partner holder ON holder.id = policy.holder_id
             WHERE move.state = 'posted'
            """
        )
