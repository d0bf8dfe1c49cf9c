from odoo import fields, models


class G2pProgram(models.Model):
    _inherit = "g2p.program"

    notice_payment_sent = fields.Boolean(
        string="Tell When Sent", help="Send a notice (SMS, and e-mail where known) when a payment is sent."
    )
    notice_payment_paid = fields.Boolean(
        string="Tell When Paid", help="Send a notice when a payment is paid."
    )
    notice_payment_failed = fields.Boolean(
        string="Tell When Failed", help="Send a notice when a payment fails."
    )
    notice_count = fields.Integer(
        compute="_compute_notice_count",
        string="Notices",
        groups="g2p_program.group_g2p_program_manager,g2p_payroll.group_g2p_finance_officer,"
        "g2p_registry.group_g2p_admin",
    )

    def _compute_notice_count(self):
        counts = dict(
            self.env["g2p.notice"]._read_group([("program_id", "in", self.ids)], ["program_id"], ["__count"])
        )
        for program in self:
            program.notice_count = counts.get(program, 0)

    def action_view_notices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_notice.action_g2p_notice")
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"search_default_group_kind": 1}
        return action
