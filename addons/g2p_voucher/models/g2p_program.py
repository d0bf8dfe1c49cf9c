from collections import Counter

from odoo import Command, _, api, fields, models


class G2pProgram(models.Model):
    _inherit = "g2p.program"

    voucher_validity_days = fields.Integer(
        string="Voucher Validity (days)",
        default=30,
        help="Days a cash voucher can be redeemed at its pay point, from the day it is issued; "
        "afterwards the payment fails as not collected (and may be re-paid in a later payroll).",
    )

    _voucher_validity_positive = models.Constraint(
        "CHECK (voucher_validity_days > 0)", "A voucher must be valid for at least one day."
    )

    # ------------------------------------------------------------------ demo data

    @api.model
    def _demo_cash_vouchers(self, program_id, maker_id, checker_id, approver_id, finance_id, agent_id):
        """Demo data: the program pays the households whose head collects cash at a Posta Pay
        pay point; its first cycle's payroll is generated (``maker``), approved (``approver``),
        its vouchers issued (``finance``), the agent assigned to the pay point with the most
        vouchers, and one voucher redeemed there, the others left to collect."""
        program = self.browse(program_id).exists()
        if not program or program.sudo().payroll_ids:
            return False
        Users = self.env["res.users"]
        maker, approver = Users.browse(maker_id), Users.browse(approver_id)
        finance, agent = Users.browse(finance_id), Users.browse(agent_id)
        cash_psp = (
            self.env["res.partner"]
            .sudo()
            .search([("name", "=", "Posta Pay (demo)"), ("is_psp", "=", True)], limit=1)
        )
        if not cash_psp:
            return False
        program.sudo().psp_ids = [Command.set(cash_psp.ids)]
        self._demo_activate_enrol_and_approve_cycle(program.id, maker_id, checker_id)
        program.sudo()._g2p_accounting()
        cycle = program.sudo().cycle_ids.filtered(lambda c: c.state == "approved")[:1]
        if not cycle:
            return False
        payroll = self.env["g2p.payroll"].with_user(maker).create({"cycle_id": cycle.id})
        payroll.action_generate()
        if not payroll.line_ids:
            return False
        fund = (
            self.env["g2p.program.fund"]
            .with_user(finance)
            .create(
                {
                    "program_id": program.id,
                    "amount": program.currency_id.round(payroll.total_amount * 2),
                    "source_partner_id": self.env.company.partner_id.id,
                    "note": _("Treasury release (demo)"),
                }
            )
        )
        fund.action_post()
        payroll.action_submit()
        payroll.with_user(approver).action_approve()
        payroll.with_user(finance).action_issue_vouchers()
        vouchers = payroll.sudo().voucher_ids
        if not vouchers:
            return False
        counts = Counter(voucher.pay_point_id.id for voucher in vouchers)
        pay_point = vouchers.pay_point_id.browse(max(counts, key=lambda pp: (counts[pp], -pp)))
        pay_point.sudo().agent_user_ids = [Command.link(agent.id)]
        first = vouchers.filtered(lambda v: v.pay_point_id == pay_point)[:1]
        self.env["g2p.voucher"].with_user(agent)._redeem(first.token)
        return payroll.id
