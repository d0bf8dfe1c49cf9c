from odoo import _, fields, models
from odoo.tools import SQL

from .g2p_payroll_line import LINE_STATES

# In the order the dashboard shows them: the money in, what payrolls owe, where it is, what was paid.
FIGURE_KINDS = [
    ("funds_received", "Funds received"),
    ("funds_committed", "Funds committed"),
    ("funds_left", "Funds left"),
    ("payable", "Open beneficiary payables"),
    ("clearing", "PSP clearing balance"),
    ("reconciliation", "Payments by state"),
]
# Entries that move a program's commitment: approvals add to it, failures and cancellations
# release it (their payable items sum to minus the committed amount).
COMMITMENT_EVENTS = ("approval", "failure", "cancellation")


class G2pFinanceFigure(models.Model):
    """Figures of the finance dashboard, read from the ledger at each request (never stored):
    open beneficiary payables by program and PSP, PSP clearing balances, funds by program, and
    payments by state per payroll. Each row opens the journal items behind it."""

    _name = "g2p.finance.figure"
    _description = "Finance Dashboard Figure"
    _auto = False
    _order = "kind_sequence, program_id, psp_id, payroll_id, line_state"
    _rec_name = "kind"
    _depends = {
        "account.move.line": [
            "account_id",
            "move_id",
            "balance",
            "amount_residual",
            "reconciled",
            "parent_state",
            "g2p_psp_id",
        ],
        "account.move": ["g2p_payroll_id", "g2p_fund_id", "g2p_event"],
        "g2p.payroll.line": ["payroll_id", "state", "amount"],
        "g2p.payroll": ["program_id"],
        "g2p.program.fund": ["program_id"],
        "g2p.program": ["beneficiary_payable_account_id", "funding_account_id"],
        "res.partner": ["g2p_clearing_account_id"],
    }

    kind = fields.Selection(FIGURE_KINDS, string="Figure", readonly=True)
    # Groups by figure are ordered by their raw value unless ordered by this (the list's default order).
    kind_sequence = fields.Integer(readonly=True, aggregator="min")
    program_id = fields.Many2one("g2p.program", readonly=True)
    psp_id = fields.Many2one("res.partner", string="PSP", readonly=True)
    payroll_id = fields.Many2one("g2p.payroll", readonly=True)
    line_state = fields.Selection(LINE_STATES, string="Payment State", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(readonly=True, aggregator="sum")
    item_count = fields.Integer(string="Items", readonly=True, aggregator="sum")

    @property
    def _table_query(self):
        return SQL(
            """WITH payable AS (
                   SELECT p.id AS program_id, aml.g2p_psp_id AS psp_id, aml.company_id,
                          -sum(aml.amount_residual) AS amount, count(*) AS n
                     FROM account_move_line aml
                     JOIN account_move m ON m.id = aml.move_id
                     JOIN g2p_payroll pr ON pr.id = m.g2p_payroll_id
                     JOIN g2p_program p ON p.id = pr.program_id
                    WHERE aml.account_id = p.beneficiary_payable_account_id
                      AND aml.parent_state = 'posted' AND NOT aml.reconciled
                    GROUP BY p.id, aml.g2p_psp_id, aml.company_id),
               clearing AS (
                   SELECT rp.id AS psp_id, aml.company_id, sum(aml.balance) AS amount, count(*) AS n
                     FROM account_move_line aml
                     JOIN res_partner rp
                       ON (rp.g2p_clearing_account_id ->> aml.company_id::text)::int = aml.account_id
                    WHERE aml.parent_state = 'posted'
                    GROUP BY rp.id, aml.company_id),
               received AS (
                   SELECT p.id AS program_id, aml.company_id, -sum(aml.balance) AS amount, count(*) AS n
                     FROM account_move_line aml
                     JOIN account_move m ON m.id = aml.move_id
                     JOIN g2p_program_fund f ON f.id = m.g2p_fund_id
                     JOIN g2p_program p ON p.id = f.program_id
                    WHERE aml.account_id = p.funding_account_id AND aml.parent_state = 'posted'
                    GROUP BY p.id, aml.company_id),
               committed AS (
                   SELECT p.id AS program_id, aml.company_id, -sum(aml.balance) AS amount, count(*) AS n
                     FROM account_move_line aml
                     JOIN account_move m ON m.id = aml.move_id
                     JOIN g2p_payroll pr ON pr.id = m.g2p_payroll_id
                     JOIN g2p_program p ON p.id = pr.program_id
                    WHERE aml.account_id = p.beneficiary_payable_account_id
                      AND aml.parent_state = 'posted' AND m.g2p_event IN %(events)s
                    GROUP BY p.id, aml.company_id),
               figures AS (
                   SELECT 'payable' AS kind, program_id, psp_id, NULL::int AS payroll_id,
                          NULL::varchar AS line_state, company_id, amount, n FROM payable
                   UNION ALL
                   SELECT 'clearing', NULL, psp_id, NULL, NULL, company_id, amount, n FROM clearing
                   UNION ALL
                   SELECT 'funds_received', program_id, NULL, NULL, NULL, company_id, amount, n
                     FROM received
                   UNION ALL
                   SELECT 'funds_committed', program_id, NULL, NULL, NULL, company_id, amount, n
                     FROM committed
                   UNION ALL
                   SELECT 'funds_left', COALESCE(r.program_id, c.program_id), NULL, NULL, NULL,
                          COALESCE(r.company_id, c.company_id),
                          COALESCE(r.amount, 0) - COALESCE(c.amount, 0), COALESCE(r.n, 0) + COALESCE(c.n, 0)
                     FROM received r FULL JOIN committed c
                          ON c.program_id = r.program_id AND c.company_id = r.company_id
                   UNION ALL
                   SELECT 'reconciliation', pr.program_id, NULL, l.payroll_id, l.state, l.company_id,
                          sum(l.amount), count(*)
                     FROM g2p_payroll_line l JOIN g2p_payroll pr ON pr.id = l.payroll_id
                    GROUP BY pr.program_id, l.payroll_id, l.state, l.company_id)
            -- An id from the figure's key, not its rank: a row keeps its id when other figures come
            -- or go (a list open in the browser still opens the right items). 52 bits: exact in JS.
            SELECT (hashtextextended(concat_ws('|', f.kind, f.program_id, f.psp_id, f.payroll_id,
                                               f.line_state, f.company_id), 0)
                    & 4503599627370495) + 1 AS id,
                   f.kind, array_position(%(kinds)s::varchar[], f.kind::varchar) AS kind_sequence,
                   f.program_id, f.psp_id, f.payroll_id, f.line_state, f.company_id,
                   c.currency_id, f.amount, f.n AS item_count
              FROM figures f JOIN res_company c ON c.id = f.company_id""",
            events=COMMITMENT_EVENTS,
            kinds=[kind for kind, _label in FIGURE_KINDS],
        )

    # ------------------------------------------------------------------ the items behind a figure

    def _items_domain(self):
        """Domain of the journal items (account.move.line) that make up this figure."""
        self.ensure_one()
        posted = [("parent_state", "=", "posted"), ("company_id", "=", self.company_id.id)]
        program = self.program_id.sudo()
        if self.kind == "payable":
            return [
                *posted,
                ("account_id", "=", program.beneficiary_payable_account_id.id),
                ("move_id.g2p_payroll_id.program_id", "=", program.id),
                ("reconciled", "=", False),
                ("g2p_psp_id", "=", self.psp_id.id),
            ]
        if self.kind == "clearing":
            account = self.psp_id.sudo().with_company(self.company_id).g2p_clearing_account_id
            return [*posted, ("account_id", "=", account.id)]
        received = [
            ("account_id", "=", program.funding_account_id.id),
            ("move_id.g2p_fund_id.program_id", "=", program.id),
        ]
        committed = [
            ("account_id", "=", program.beneficiary_payable_account_id.id),
            ("move_id.g2p_payroll_id.program_id", "=", program.id),
            ("move_id.g2p_event", "in", list(COMMITMENT_EVENTS)),
        ]
        if self.kind == "funds_received":
            return [*posted, *received]
        if self.kind == "funds_committed":
            return [*posted, *committed]
        if self.kind == "funds_left":
            return [*posted, "|", "&", *received, "&", "&", *committed]
        lines = self.env["g2p.payroll.line"].search(
            [("payroll_id", "=", self.payroll_id.id), ("state", "=", self.line_state)]
        )
        items = lines.approval_move_line_id | lines.settlement_move_line_id
        return [("id", "in", items.ids)]

    def _items_group_by(self):
        return {
            "payable": ["g2p_psp_id", "partner_id"],
            "clearing": ["move_id"],
            "funds_received": ["move_id"],
            "funds_committed": ["move_id"],
            "funds_left": ["account_id"],
            "reconciliation": ["move_id"],
        }[self.kind]

    def action_open_items(self):
        self.ensure_one()
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        subject = self.program_id.display_name or self.psp_id.display_name or ""
        if self.kind == "reconciliation":
            states = dict(self._fields["line_state"]._description_selection(self.env))
            subject = "%s – %s" % (self.payroll_id.display_name, states.get(self.line_state, ""))
        return {
            "type": "ir.actions.act_window",
            "name": _("%(figure)s: %(subject)s", figure=kinds[self.kind], subject=subject),
            "res_model": "account.move.line",
            "view_mode": "list,pivot,graph,form",
            "views": [
                (self.env.ref("account.view_move_line_tree").id, "list"),
                (self.env.ref("account.view_move_line_pivot").id, "pivot"),
                (False, "graph"),
                (self.env.ref("account.view_move_line_form").id, "form"),
            ],
            "search_view_id": [self.env.ref("account.view_account_move_line_filter").id],
            "domain": self._items_domain(),
            "context": {"group_by": self._items_group_by(), "create": False, "expand": True},
        }
