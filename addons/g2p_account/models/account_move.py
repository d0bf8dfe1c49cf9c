from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date


class AccountMove(models.Model):
    _inherit = "account.move"

    # Each G2P addon adds its events with ``selection_add`` (and ``ondelete``), so finance can
    # filter and group every G2P entry by what it records.
    g2p_event = fields.Selection(
        selection=[],
        string="G2P Event",
        readonly=True,
        copy=False,
        help="Which G2P money event this entry records.",
    )

    @api.model
    def _g2p_post(self, vals_list):
        """Create and post balanced G2P entries (``move_type`` entry) in one create and one post.

        Each vals must name its ``journal_id``, ``date`` and ``g2p_event``. Lock dates are checked
        first: ``_post()`` would silently move an entry dated in a locked period. Posting runs as
        superuser on purpose: the callers check the G2P role and record who acted (approver,
        finance officer, claims officer) on their own records."""
        Journal = self.env["account.journal"].sudo()
        for vals in vals_list:
            if not vals.get("g2p_event"):
                raise ValueError("A G2P entry must say which event it records (g2p_event).")
            journal = Journal.browse(vals["journal_id"])
            if journal.company_id._get_violated_lock_dates(vals["date"], False, journal):
                raise UserError(
                    _(
                        "The accounting period of %(date)s is locked for %(journal)s: the entry cannot "
                        "be posted on that date. Ask an accountant to reopen the period or use another date.",
                        date=format_date(self.env, vals["date"]),
                        journal=journal.display_name,
                    )
                )
        moves = self.sudo().create([{"move_type": "entry", **vals} for vals in vals_list])
        moves.action_post()
        return moves.sudo(False)

    @api.model
    def _g2p_entries_action(self, domain, name):
        """Window action listing the journal entries of ``domain`` as journal entries (journal,
        date, reference, amount, state), not in the invoice-style list of the default views."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("account.view_move_tree").id, "list"),
                (self.env.ref("account.view_move_form").id, "form"),
            ],
            "search_view_id": [self.env.ref("account.view_account_move_filter").id, "search"],
            "domain": domain,
            "context": {"create": False, "default_move_type": "entry"},
        }
