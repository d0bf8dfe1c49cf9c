from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

GRANULARITIES = [
    ("beneficiary", "One payable line per beneficiary"),
    ("psp", "One payable line per PSP"),
    ("total", "One payable line for the payroll"),
]
# Lines whose amount is committed against the program's funds.
COMMITTED_LINE_STATES = ("approved", "sent", "paid")


class G2pProgram(models.Model):
    _inherit = "g2p.program"

    benefits_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        tracking=True,
        help="Journal of the approval, payment, failure and cancellation entries. Default: the "
        "company's G2P Benefits journal.",
    )
    funding_journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        tracking=True,
        domain="[('type', '=', 'bank')]",
        help="Bank journal that receives the program's funds and transfers them to PSPs.",
    )
    benefit_expense_account_id = fields.Many2one("account.account", check_company=True, tracking=True)
    beneficiary_payable_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        tracking=True,
        help="Reconcilable liability: open items are what is owed to beneficiaries.",
    )
    funding_account_id = fields.Many2one(
        "account.account",
        string="Program Funding Account",
        check_company=True,
        tracking=True,
        help="Credited by fund receipts (Dr bank).",
    )
    fee_expense_account_id = fields.Many2one("account.account", check_company=True, tracking=True)
    analytic_account_id = fields.Many2one(
        "account.analytic.account",
        string="Analytic Account",
        copy=False,
        help="Benefit expenses are analysed per program and cycle. Created on first approval.",
    )
    posting_granularity = fields.Selection(
        GRANULARITIES,
        default="beneficiary",
        required=True,
        tracking=True,
        help="Per beneficiary: the partner is on each payable line, so open payables per person "
        "show in the ledger. Per PSP or a single total: fewer lines, recommended for very large "
        "payrolls or single-account programs.",
    )
    fund_ids = fields.One2many("g2p.program.fund", "program_id", string="Fund Receipts")
    payroll_ids = fields.One2many("g2p.payroll", "program_id", string="Payrolls")
    payroll_count = fields.Integer(compute="_compute_payroll_count")
    funds_received = fields.Monetary(compute="_compute_funds", help="Posted fund receipts.")
    funds_committed = fields.Monetary(
        compute="_compute_funds", help="Approved payroll lines not failed or cancelled."
    )
    funds_available = fields.Monetary(compute="_compute_funds", help="Received minus committed.")

    @api.model_create_multi
    def create(self, vals_list):
        programs = super().create(vals_list)
        programs._g2p_default_accounting(log=False)
        return programs

    def _g2p_default_accounting(self, log=True):
        """Fill empty accounting settings from the company defaults, when the company has a chart.

        Not tracked field by field (the chatter would read "None → account" for each): a new
        program's creation message says enough; later, with ``log``, one note lists what was set."""
        for program in self:
            company = program.company_id
            if not company.chart_template:
                continue
            company = company._g2p_payroll_accounts()
            defaults = {
                "benefits_journal_id": company.g2p_benefits_journal_id,
                "funding_journal_id": company.g2p_funding_journal_id,
                "benefit_expense_account_id": company.g2p_benefit_expense_account_id,
                "beneficiary_payable_account_id": company.g2p_beneficiary_payable_account_id,
                "funding_account_id": company.g2p_funding_account_id,
                "fee_expense_account_id": company.g2p_fee_expense_account_id,
            }
            vals = {name: value.id for name, value in defaults.items() if not program[name]}
            if vals:
                program.sudo().with_context(mail_notrack=True).write(vals)
                if log:
                    program.sudo()._message_log(
                        body=_(
                            "Accounting settings completed from the company defaults: %s.",
                            ", ".join(
                                "%s: %s"
                                % (
                                    program._fields[name].get_description(self.env)["string"],
                                    defaults[name].display_name,
                                )
                                for name in vals
                            ),
                        )
                    )

    def _g2p_accounting(self):
        """The program's accounting settings, completed from company defaults; clear error if one
        is still missing or unusable."""
        self.ensure_one()
        self._g2p_default_accounting()
        labels = {
            "benefits_journal_id": _("Benefits Journal"),
            "funding_journal_id": _("Funding Bank Journal"),
            "benefit_expense_account_id": _("Benefit Expense Account"),
            "beneficiary_payable_account_id": _("Beneficiary Payable Account"),
            "funding_account_id": _("Program Funding Account"),
        }
        program = self.sudo()
        missing = [label for name, label in labels.items() if not program[name]]
        if missing:
            raise UserError(
                _(
                    "Program %(program)s has no %(settings)s: set them on the Accounting tab.",
                    program=self.name,
                    settings=", ".join(missing),
                )
            )
        if not program.beneficiary_payable_account_id.reconcile:
            raise UserError(
                _(
                    "The beneficiary payable account %(account)s must allow reconciliation.",
                    account=program.beneficiary_payable_account_id.display_name,
                )
            )
        return program

    def _analytic_distribution(self, cycle):
        """Analytic distribution of benefit expenses: the program's account and the cycle's, each
        in its own plan."""
        self.ensure_one()
        program = self.sudo()
        Analytic = self.env["account.analytic.account"].sudo()
        if not program.analytic_account_id:
            program.analytic_account_id = Analytic.create(
                {
                    "name": program.name,
                    "plan_id": self.env.ref("g2p_payroll.analytic_plan_g2p_program").id,
                    "company_id": program.company_id.id,
                }
            )
        cycle = cycle.sudo()
        if not cycle.analytic_account_id:
            cycle.analytic_account_id = Analytic.create(
                {
                    "name": "%s / %s" % (program.name, cycle.name),
                    "plan_id": self.env.ref("g2p_payroll.analytic_plan_g2p_cycle").id,
                    "company_id": program.company_id.id,
                }
            )
        return {"%s,%s" % (program.analytic_account_id.id, cycle.analytic_account_id.id): 100}

    def _funds_sql(self):
        return SQL(
            """SELECT p.id,
                      COALESCE((SELECT sum(f.amount) FROM g2p_program_fund f
                                 WHERE f.program_id = p.id AND f.state = 'posted'), 0),
                      COALESCE((SELECT sum(l.amount) FROM g2p_payroll pr
                                  JOIN g2p_payroll_line l ON l.payroll_id = pr.id
                                 WHERE pr.program_id = p.id AND l.state IN %s), 0)
                 FROM g2p_program p WHERE p.id IN %s""",
            COMMITTED_LINE_STATES,
            tuple(self.ids) or (None,),
        )

    def _compute_funds(self):
        self.env["g2p.program.fund"].flush_model(["amount", "state", "program_id"])
        self.env["g2p.payroll.line"].flush_model(["amount", "state", "payroll_id"])
        self.env["g2p.payroll"].flush_model(["program_id"])
        figures = {
            pid: (received, committed)
            for pid, received, committed in self.env.execute_query(self._funds_sql())
        }
        for program in self:
            received, committed = figures.get(program.id, (0, 0))
            program.funds_received = float(received)
            program.funds_committed = float(committed)
            program.funds_available = float(received) - float(committed)

    def _lock_and_check_funds(self, amount):
        """Lock the program row, so concurrent approvals queue up, then check that ``amount`` fits
        in the available funds. One check per payroll, never per line."""
        self.ensure_one()
        self.env.cr.execute(SQL("SELECT id FROM g2p_program WHERE id = %s FOR NO KEY UPDATE", self.id))
        self.invalidate_recordset(["funds_received", "funds_committed", "funds_available"])
        available = self.funds_available
        if self.currency_id.compare_amounts(amount, available) > 0:
            raise UserError(
                _(
                    "Insufficient funds in program %(program)s: this payroll needs %(needed)s but only "
                    "%(available)s is available (received %(received)s, committed %(committed)s). "
                    "Record a fund receipt first.",
                    program=self.name,
                    needed=format_amount(self.env, amount, self.currency_id),
                    available=format_amount(self.env, available, self.currency_id),
                    received=format_amount(self.env, self.funds_received, self.currency_id),
                    committed=format_amount(self.env, self.funds_committed, self.currency_id),
                )
            )
        return available

    def action_view_funds(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Funds of %s", self.name),
            "res_model": "g2p.program.fund",
            "view_mode": "list,form",
            "domain": [("program_id", "=", self.id)],
            "context": {"default_program_id": self.id},
        }

    def _compute_payroll_count(self):
        counts = dict(
            self.env["g2p.payroll"]._read_group([("program_id", "in", self.ids)], ["program_id"], ["__count"])
        )
        for program in self:
            program.payroll_count = counts.get(program, 0)

    def action_view_payrolls(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Payrolls of %s", self.name),
            "res_model": "g2p.payroll",
            "view_mode": "list,form",
            "domain": [("program_id", "=", self.id)],
            "context": {"default_program_id": self.id},
        }
