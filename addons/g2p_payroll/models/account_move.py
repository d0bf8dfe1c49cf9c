from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    g2p_payroll_id = fields.Many2one(
        "g2p.payroll", string="Payroll", index="btree_not_null", readonly=True, copy=False
    )
    g2p_fund_id = fields.Many2one(
        "g2p.program.fund", string="Program Fund", index="btree_not_null", readonly=True, copy=False
    )
    g2p_event = fields.Selection(
        [
            ("fund", "Fund received"),
            ("approval", "Payroll approved"),
            ("prefunding", "Funds transferred to PSP"),
            ("payment", "Payment confirmed"),
            ("failure", "Payment failed"),
            ("cancellation", "Line cancelled"),
            ("fee", "PSP fee"),
        ],
        string="G2P Event",
        readonly=True,
        copy=False,
        help="Which G2P money event this entry records.",
    )

    @api.model
    def _g2p_payroll_post(self, vals_list):
        """Create and post balanced G2P entries in one go.

        Lock dates are checked first: ``_post()`` would silently move an entry dated in a locked
        period. Posting runs as superuser on purpose: callers check the G2P role and record who
        acted (approver, finance officer) on the payroll or fund."""
        Journal = self.env["account.journal"].sudo()
        for vals in vals_list:
            journal = Journal.browse(vals["journal_id"])
            if journal.company_id._get_violated_lock_dates(vals["date"], False, journal):
                raise UserError(
                    _(
                        "The accounting period of %(date)s is locked for %(journal)s: the entry cannot "
                        "be posted on that date. Ask an accountant to reopen the period or use another date.",
                        date=vals["date"],
                        journal=journal.display_name,
                    )
                )
        moves = self.sudo().create([{"move_type": "entry", **vals} for vals in vals_list])
        moves.action_post()
        return moves.sudo(False)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    g2p_payroll_line_id = fields.Many2one(
        "g2p.payroll.line",
        string="Payroll Line",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="Set when the program posts one payable line per beneficiary.",
    )
    g2p_psp_id = fields.Many2one(
        "res.partner", string="G2P PSP", index="btree_not_null", readonly=True, copy=False
    )
