from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    g2p_policy_id = fields.Many2one(
        "g2p.insurance.policy", string="Insurance Cover", index="btree_not_null", readonly=True, copy=False
    )
    g2p_claim_id = fields.Many2one(
        "g2p.insurance.claim", string="Insurance Claim", index="btree_not_null", readonly=True, copy=False
    )

    @api.model
    def _g2p_insurance_post(self, vals_list):
        """Create and post balanced insurance entries in one go.

        Lock dates are checked here: ``_post()`` would silently move the date of an entry that falls
        in a locked period. Posting runs as superuser on purpose: the caller checked the G2P role and
        records who acted on the cover or the claim."""
        Journal = self.env["account.journal"].sudo()
        for vals in vals_list:
            journal = Journal.browse(vals["journal_id"])
            company = journal.company_id
            if company._get_violated_lock_dates(vals["date"], False, journal):
                raise UserError(
                    _(
                        "The accounting period of %(date)s is locked for %(journal)s: insurance entries "
                        "cannot be posted on that date. Ask an accountant to reopen the period or use "
                        "another date.",
                        date=vals["date"],
                        journal=journal.display_name,
                    )
                )
        moves = self.sudo().create([{"move_type": "entry", **vals} for vals in vals_list])
        moves.action_post()
        return moves.sudo(False)
