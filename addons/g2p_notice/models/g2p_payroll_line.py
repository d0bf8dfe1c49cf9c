from odoo import api, fields, models
from odoo.tools import SQL

from ..const import PROGRAM_SWITCHES


class G2pPayrollLine(models.Model):
    _inherit = "g2p.payroll.line"

    notice_partner_id = fields.Many2one(
        "res.partner",
        compute="_compute_notice_partner_id",
        string="Told",
        help="The person told of the payment: the account holder, the head for a household.",
    )

    @api.depends("recipient_id.head_id", "beneficiary_id.head_id")
    def _compute_notice_partner_id(self):
        for line in self:
            partner = line.recipient_id or line.beneficiary_id
            line.notice_partner_id = partner.head_id if partner.is_group and partner.head_id else partner

    # ------------------------------------------------------------------ the events

    def _mark_sent(self):
        sent = super()._mark_sent()
        self._g2p_notice_event("payment_sent", sent)
        return sent

    @api.model
    def _apply_checked_results(self, todo):
        # ``todo`` holds only real transitions (the service skips a line already in the reported
        # state), and the notice log's unique key covers a replay anyway.
        result = super()._apply_checked_results(todo)
        for status in ("paid", "failed"):
            self._g2p_notice_event("payment_" + status, self.browse([e[0] for e in todo if e[1] == status]))
        return result

    @api.model
    def _g2p_notice_event(self, kind, lines):
        """The one extension point: ``lines`` just became sent, paid or failed."""
        self.env["g2p.notice"]._g2p_notify(kind, lines)

    # ------------------------------------------------------------------ notice source

    def _g2p_notice_enabled_ids(self, kind):
        """Ids of ``self`` whose program sends ``kind`` notices, in one query."""
        if not self:
            return []
        self.env["g2p.program"].flush_model([PROGRAM_SWITCHES[kind]])
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """SELECT l.id FROM g2p_payroll_line l JOIN g2p_program p ON p.id = l.program_id
                        WHERE l.id = ANY(%s) AND p.%s ORDER BY l.id""",
                    self.ids,
                    SQL.identifier(PROGRAM_SWITCHES[kind]),
                )
            )
        ]

    def _g2p_notice_targets(self):
        """[{res_id, partner_id, program_id, company_id, reference}]: the payment account's holder (the
        head for a household), else the beneficiary (as ``notice_partner_id``); one query."""
        self.flush_recordset(["recipient_id", "beneficiary_id", "program_id", "company_id", "payment_number"])
        self.env["res.partner"].flush_model(["is_group", "head_id"])
        return self.env.execute_query_dict(
            SQL(
                """SELECT l.id AS res_id,
                          CASE WHEN r.is_group THEN COALESCE(r.head_id, r.id) ELSE r.id END AS partner_id,
                          l.program_id, l.company_id, l.payment_number AS reference
                     FROM g2p_payroll_line l
                     JOIN res_partner r ON r.id = COALESCE(l.recipient_id, l.beneficiary_id)
                    WHERE l.id = ANY(%s) ORDER BY l.id""",
                self.ids,
            )
        )
