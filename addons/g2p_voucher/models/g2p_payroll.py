from collections import defaultdict

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.g2p_registry.tools.notify import notification


class G2pPayroll(models.Model):
    _inherit = "g2p.payroll"

    voucher_ids = fields.One2many("g2p.voucher", "payroll_id", string="Vouchers", readonly=True)
    voucher_count = fields.Integer(compute="_compute_voucher_count", string="Voucher Count")
    cash_due_count = fields.Integer(
        compute="_compute_voucher_count",
        string="Cash Payments without Voucher",
        help="Approved payments in cash at a pay point that have no voucher yet.",
    )

    def _compute_voucher_count(self):
        self.env["g2p.voucher"].flush_model(["payroll_id", "state", "payroll_line_id"])
        self.env["g2p.payroll.line"].flush_model(["payroll_id", "state", "account_type"])
        figures = defaultdict(lambda: (0, 0))
        if self.ids:
            rows = self.env.execute_query(
                SQL(
                    """SELECT l.payroll_id,
                              count(v.id),
                              count(*) FILTER (WHERE v.id IS NULL AND l.state = 'approved')
                         FROM g2p_payroll_line l
                    LEFT JOIN g2p_voucher v ON v.payroll_line_id = l.id AND v.state != 'cancelled'
                        WHERE l.payroll_id = ANY(%s) AND l.account_type = 'cash'
                     GROUP BY 1""",
                    self.ids,
                )
            )
            figures.update({payroll_id: (vouchers, due) for payroll_id, vouchers, due in rows})
        for payroll in self:
            payroll.voucher_count, payroll.cash_due_count = figures[payroll.id]

    def action_issue_vouchers(self):
        """One voucher per cash payment at a pay point that has none (idempotent)."""
        self._check_finance()
        self._g2p_check_idle()
        messages = []
        for payroll in self:
            if payroll.state not in ("approved", "in_payment"):
                raise UserError(_("Payroll %s must be approved before vouchers are issued.", payroll.name))
            vouchers, missing = self.env["g2p.voucher"]._issue(payroll)
            message = _(
                "%(payroll)s: %(count)s vouchers issued for %(pay_points)s pay points.",
                payroll=payroll.name,
                count=len(vouchers),
                pay_points=len(vouchers.pay_point_id),
            )
            if missing:
                message += " " + _(
                    "%(count)s cash payments have no known pay point: fix their payment accounts.",
                    count=missing,
                )
            if vouchers:
                payroll.message_post(body=message)
            messages.append(message)
        return notification(_("Vouchers issued"), "\n".join(messages))

    def action_expire_vouchers(self):
        """What the daily job does, now, for these payrolls: vouchers past their last day expire
        and their payments fail as not collected."""
        self._check_finance()
        expired, summary = self.env["g2p.voucher"]._expire_overdue(self)
        message = _(
            "%(count)s vouchers expired; %(failed)s payments failed as not collected.",
            count=len(expired),
            failed=summary["failed"],
        )
        for payroll in self:
            if expired.filtered(lambda v, p=payroll: v.payroll_id == p):
                payroll.message_post(body=message)
        return notification(_("Vouchers expired"), message, "info")

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_voucher.action_g2p_voucher")
        action.update(
            name=_("Vouchers of %s", self.name),
            domain=[("payroll_id", "=", self.id)],
            context={"search_default_group_pay_point": 1},
        )
        return action

    def _live_vouchers(self):
        return self.voucher_ids.filtered(lambda v: v.state != "cancelled")

    def action_print_pay_lists(self):
        self.ensure_one()
        if not self._live_vouchers():
            raise UserError(_("Payroll %s has no vouchers: issue them first.", self.name))
        return self.env.ref("g2p_voucher.action_report_g2p_pay_list").report_action(self)

    def action_print_vouchers(self):
        self.ensure_one()
        vouchers = self.voucher_ids.filtered(lambda v: v.state == "issued")
        if not vouchers:
            raise UserError(_("Payroll %s has no issued vouchers to print.", self.name))
        return self.env.ref("g2p_voucher.action_report_g2p_voucher").report_action(vouchers)

    def _pay_lists(self):
        """[(pay point, vouchers)] of the payroll for the pay lists, in pay point order."""
        self.ensure_one()
        by_pay_point = defaultdict(lambda: self.env["g2p.voucher"])
        for voucher in self._live_vouchers().sorted(lambda v: (v.pay_point_id.name, v.payment_number)):
            by_pay_point[voucher.pay_point_id] |= voucher
        return list(by_pay_point.items())
