from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from odoo.addons.g2p_registry.tools.notify import notification

FINANCE_GROUP = "g2p_payroll.group_g2p_finance_officer"


class G2pProgramFund(models.Model):
    """Money received for a program (treasury release, donor grant). Posting it books
    Dr bank / Cr program funding; only posted receipts count as available funds."""

    _name = "g2p.program.fund"
    _description = "Program Fund Receipt"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, copy=False, default=lambda self: _("New"))
    # No check_company here: the receipt's company *is* the program's (related below), so Odoo's
    # company domain would offer only programs without a company while the receipt is new. The
    # multi-company record rule on programs already limits the choice to the user's companies.
    program_id = fields.Many2one(
        "g2p.program",
        required=True,
        index=True,
        tracking=True,
        domain=[("state", "!=", "ended")],
        help="The program the money is for; only posted receipts count as its available funds.",
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id", store=True)
    amount = fields.Monetary(required=True, tracking=True)
    program_funds_available = fields.Monetary(
        related="program_id.funds_available",
        string="Program's Available Funds",
        help="Posted receipts of the program minus what its approved payrolls commit; a draft receipt "
        "counts once posted.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    source_partner_id = fields.Many2one(
        "res.partner",
        string="Received From",
        tracking=True,
        index="btree_not_null",
        help="Treasury, donor or funder.",
    )
    note = fields.Char(help="Budget line, grant agreement, transfer reference …")
    state = fields.Selection(
        [("draft", "Draft"), ("posted", "Posted"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, copy=False)
    reversal_move_id = fields.Many2one("account.move", string="Reversal Entry", readonly=True, copy=False)
    posted_by_id = fields.Many2one("res.users", readonly=True, copy=False)

    _amount_positive = models.Constraint("CHECK (amount > 0)", "A fund receipt must be a positive amount.")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("g2p.program.fund") or _("New")
        return super().create(vals_list)

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(_("Only finance officers record program funds."))

    def action_post(self):
        self._check_finance()
        todo = self._g2p_transition_todo(
            "posted", {"draft"}, why=_("Only draft fund receipts can be posted.")
        )
        for fund in todo:
            program = fund.program_id._g2p_accounting()
            journal = program.funding_journal_id
            if not journal.default_account_id:
                raise UserError(_("The bank journal %s has no default account.", journal.display_name))
            line = {"partner_id": fund.source_partner_id.id, "name": _("Funds for %s", program.name)}
            move = self.env["account.move"]._g2p_post(
                [
                    {
                        "journal_id": journal.id,
                        "date": fund.date,
                        "ref": fund.name,
                        "g2p_fund_id": fund.id,
                        "g2p_event": "fund",
                        "currency_id": fund.currency_id.id,
                        "line_ids": [
                            Command.create(
                                {
                                    **line,
                                    "account_id": journal.default_account_id.id,
                                    **fund._amount_vals(fund.amount),
                                }
                            ),
                            Command.create(
                                {
                                    **line,
                                    "account_id": program.funding_account_id.id,
                                    **fund._amount_vals(-fund.amount),
                                }
                            ),
                        ],
                    }
                ]
            )
            fund.move_id = move
        todo._g2p_transition("posted", {"draft"}, {"posted_by_id": self.env.uid})
        self.program_id.invalidate_recordset(["funds_received", "funds_available"])
        return notification(
            _("Funds received"),
            "\n".join(
                _(
                    "%(fund)s: %(amount)s posted to %(journal)s (entry %(move)s); %(program)s now has "
                    "%(available)s available.",
                    fund=fund.name,
                    amount=format_amount(self.env, fund.amount, fund.currency_id),
                    journal=fund.move_id.journal_id.name,
                    move=fund.move_id.name,
                    program=fund.program_id.name,
                    available=format_amount(self.env, fund.program_id.funds_available, fund.currency_id),
                )
                for fund in todo
            ),
        )

    def _amount_vals(self, signed_amount):
        """Debit/credit in company currency and amount_currency in the program's currency."""
        self.ensure_one()
        company_currency = self.company_id.currency_id
        balance = self.currency_id._convert(signed_amount, company_currency, self.company_id, self.date)
        return {
            "balance": balance,
            "amount_currency": signed_amount,
            "currency_id": self.currency_id.id,
        }

    def action_cancel(self):
        """Reverse a posted receipt (never delete it), unless the funds are already committed."""
        self._check_finance()
        todo = self._g2p_transition_todo("cancelled", {"draft", "posted"})
        for fund in todo:
            if fund.state == "posted":
                program = fund.program_id
                program.invalidate_recordset(["funds_available"])
                if program.currency_id.compare_amounts(program.funds_available, fund.amount) < 0:
                    raise UserError(
                        _(
                            "Fund receipt %(fund)s cannot be cancelled: approved payrolls already use "
                            "these funds (available %(available)s).",
                            fund=fund.name,
                            available=format_amount(self.env, program.funds_available, program.currency_id),
                        )
                    )
                today = fields.Date.context_today(fund)
                journal = fund.move_id.journal_id
                if fund.company_id._get_violated_lock_dates(today, False, journal):
                    raise UserError(
                        _("The period of %(date)s is locked: the receipt cannot be reversed.", date=today)
                    )
                reversal = fund.move_id.sudo()._reverse_moves(
                    [{"ref": _("Reversal of %s", fund.name), "date": today, "g2p_event": "fund_reversal"}]
                )
                reversal.action_post()
                fund.reversal_move_id = reversal
        todo._g2p_transition("cancelled", {"draft", "posted"})
        self.program_id.invalidate_recordset(["funds_received", "funds_available"])
        return True

    def unlink(self):
        if any(fund.state != "draft" for fund in self):
            raise UserError(_("Posted fund receipts are cancelled (reversed), never deleted."))
        return super().unlink()
