import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date, format_datetime

from ..tools import voucher_token
from odoo.addons.g2p_registry.tools.notify import notification
from odoo.addons.g2p_registry.tools.sql import pg_array

_logger = logging.getLogger(__name__)

VOUCHER_STATES = [
    ("issued", "Issued"),
    ("redeemed", "Redeemed"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
AGENT_GROUP = "g2p_voucher.group_g2p_pay_point_agent"
FINANCE_GROUP = "g2p_payroll.group_g2p_finance_officer"
#: Reason of the payments whose voucher expired unredeemed (g2p_payroll's data; retryable).
NOT_COLLECTED = "NOT_COLLECTED"


class VoucherRefused(UserError):
    """A voucher that must not be paid out, with the reason in words for the agent."""


class G2pVoucher(models.Model):
    """A cash voucher for one payroll payment at a cash pay point. Created in bulk by the payroll
    (one per payment, never a second live one), redeemed once by an agent of its pay point, which
    marks the payment paid through the payroll's outcome service; unredeemed at the end of its
    validity, it expires and the payment fails as not collected."""

    _name = "g2p.voucher"
    _description = "Cash Voucher"
    _order = "payroll_id desc, pay_point_id, payment_number, id"
    _rec_name = "payment_number"
    _check_company_auto = True

    payroll_line_id = fields.Many2one(
        "g2p.payroll.line", string="Payment", required=True, readonly=True, ondelete="restrict"
    )
    payroll_id = fields.Many2one(
        "g2p.payroll", required=True, readonly=True, ondelete="restrict", index=True, check_company=True
    )
    program_id = fields.Many2one("g2p.program", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    # Copied from the payment at issue: agents read vouchers, not payrolls or the registry.
    payment_number = fields.Char(required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    beneficiary_id = fields.Many2one(
        "res.partner", string="Registrant", required=True, readonly=True, ondelete="restrict"
    )
    beneficiary_name = fields.Char(string="Beneficiary", readonly=True)
    registrant_number = fields.Char(readonly=True)
    recipient_name = fields.Char(
        string="Collected by", readonly=True, help="Who collects the cash: the household's head."
    )
    pay_point_id = fields.Many2one(
        "g2p.pay.point", required=True, readonly=True, ondelete="restrict", index=True, check_company=True
    )
    token = fields.Char(
        string="Code",
        readonly=True,
        copy=False,
        groups="g2p_payroll.group_g2p_finance_officer",
        help="Signed code printed on the voucher (text and QR code).",
    )
    valid_from = fields.Date(required=True, readonly=True)
    valid_until = fields.Date(required=True, readonly=True, help="Last day the voucher can be redeemed.")
    state = fields.Selection(VOUCHER_STATES, default="issued", required=True, readonly=True)
    redeemed_by_id = fields.Many2one("res.users", string="Redeemed by", readonly=True, ondelete="restrict")
    redeemed_date = fields.Datetime(string="Redeemed on", readonly=True)

    _one_live_voucher_per_payment = models.UniqueIndex(
        "(payroll_line_id) WHERE state != 'cancelled'", "This payment already has a voucher."
    )
    # The daily expiry looks for issued vouchers past their last day.
    _issued_until_idx = models.Index("(valid_until) WHERE state = 'issued'")

    # ------------------------------------------------------------------ issue (set-based)

    @api.model
    def _issue(self, payroll):
        """Vouchers for the cash payments of ``payroll`` that have none: one INSERT … SELECT, one
        UPDATE for the signed codes, then the payments are marked sent (handed to their pay
        points, so the payment hub leaves them alone). Repeating it creates nothing new; a
        payment whose voucher was cancelled gets a new one. Returns (vouchers, cash payments
        left without a voucher because no pay point matches their account)."""
        payroll.ensure_one()
        # Serialise issuing per payroll; the unique index refuses a second live voucher anyway.
        self.env.cr.execute(SQL("SELECT id FROM g2p_payroll WHERE id = %s FOR UPDATE", payroll.id))
        self.env["g2p.payroll.line"].flush_model()
        self.flush_model()
        today = fields.Date.context_today(self)
        until = today + timedelta(days=max(payroll.program_id.voucher_validity_days, 1) - 1)
        due = SQL(
            """l.payroll_id = %(payroll)s AND l.account_type = 'cash'
               AND (l.state = 'approved'
                    OR (l.state = 'sent' AND EXISTS (SELECT 1 FROM g2p_voucher c
                                                      WHERE c.payroll_line_id = l.id
                                                        AND c.state = 'cancelled')))
               AND NOT EXISTS (SELECT 1 FROM g2p_voucher v
                                WHERE v.payroll_line_id = l.id AND v.state != 'cancelled')""",
            payroll=payroll.id,
        )
        # The pay point of the account snapshot (PSP and pay point code at generation), else the
        # account's current one.
        rows = self.env.execute_query(
            SQL(
                """INSERT INTO g2p_voucher
                          (payroll_line_id, payroll_id, program_id, company_id, currency_id, payment_number,
                           amount, beneficiary_id, beneficiary_name, registrant_number, recipient_name,
                           pay_point_id, valid_from, valid_until, state,
                           create_uid, create_date, write_uid, write_date)
                   SELECT l.id, l.payroll_id, l.program_id, l.company_id, l.currency_id, l.payment_number,
                          l.amount, l.beneficiary_id, b.name, b.registrant_number,
                          COALESCE(r.name, b.name), COALESCE(snap.id, a.pay_point_id),
                          %(today)s, %(until)s, 'issued',
                          %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                     FROM g2p_payroll_line l
                     JOIN res_partner b ON b.id = l.beneficiary_id
                LEFT JOIN res_partner r ON r.id = l.recipient_id
                LEFT JOIN g2p_pay_point snap ON snap.psp_id = l.psp_id AND snap.code = l.account_identifier
                LEFT JOIN g2p_payment_account a ON a.id = l.payment_account_id
                    WHERE %(due)s AND COALESCE(snap.id, a.pay_point_id) IS NOT NULL
                 ORDER BY COALESCE(snap.id, a.pay_point_id), l.payment_number
                   ON CONFLICT DO NOTHING
                RETURNING id, payroll_line_id""",
                today=today,
                until=until,
                uid=self.env.uid,
                due=due,
            )
        )
        [(missing,)] = self.env.execute_query(
            SQL(
                """SELECT count(*) FROM g2p_payroll_line l
                LEFT JOIN g2p_voucher v ON v.payroll_line_id = l.id AND v.state != 'cancelled'
                    WHERE l.payroll_id = %s AND l.account_type = 'cash' AND l.state = 'approved'
                      AND v.id IS NULL""",
                payroll.id,
            )
        )
        if not rows:
            return self.browse(), missing
        ids = [voucher_id for voucher_id, _line in rows]
        codes = [voucher_token.encode(self.env, voucher_id, until) for voucher_id in ids]
        self.env.cr.execute(
            SQL(
                """UPDATE g2p_voucher v SET token = t.code
                     FROM unnest(%s::int[], %s::varchar[]) AS t(id, code) WHERE v.id = t.id""",
                pg_array(ids),
                pg_array(codes),
            )
        )
        self.invalidate_model()
        self.env["g2p.payroll.line"].browse([line for _voucher, line in rows])._mark_sent()
        return self.browse(ids), missing

    # ------------------------------------------------------------------ redemption

    def _refused_pay_point(self):
        return VoucherRefused(
            _(
                "This voucher is for pay point %(pay_point)s, not yours: the beneficiary collects the "
                "cash there. Do not pay it.",
                pay_point=self.pay_point_id.display_name,
            )
        )

    @api.model
    def _find_for_code(self, code):
        """The voucher (sudo) of a code typed or scanned by the current user, if it may be paid
        out now by them; raises VoucherRefused saying why not. Changes nothing."""
        try:
            voucher_id, until = voucher_token.decode(self.env, code)
        except voucher_token.InvalidToken:
            raise VoucherRefused(
                _(
                    "This code is not a valid voucher. Check that it was typed exactly as printed; "
                    "if it still does not read, the voucher is forged or altered: do not pay it."
                )
            ) from None
        voucher = self.sudo().browse(voucher_id).exists()
        if not voucher or voucher.valid_until != until:
            # Signed by this database but not matching: a voucher deleted, or a date altered.
            raise VoucherRefused(_("This voucher is not known to the program: do not pay it."))
        user = self.env.user
        if not self.env.su and user not in voucher.pay_point_id.agent_user_ids:
            raise voucher._refused_pay_point()
        try:
            # The record rules agree with the pay point's agents; checked too, not assumed.
            self.browse(voucher.id).check_access("read")
        except AccessError:
            raise voucher._refused_pay_point() from None
        if voucher.state == "redeemed":
            raise VoucherRefused(
                _(
                    "Already paid: voucher %(number)s was redeemed on %(when)s by %(agent)s at "
                    "%(pay_point)s. Do not pay it again.",
                    number=voucher.payment_number,
                    when=format_datetime(self.env, voucher.redeemed_date, dt_format="short"),
                    agent=voucher.redeemed_by_id.name,
                    pay_point=voucher.pay_point_id.name,
                )
            )
        if voucher.state == "cancelled":
            raise VoucherRefused(
                _(
                    "Voucher %(number)s was cancelled by the program: do not pay it. If the payment "
                    "is still due, the beneficiary receives a new voucher.",
                    number=voucher.payment_number,
                )
            )
        today = fields.Date.context_today(self)
        if voucher.state == "expired" or voucher.valid_until < today:
            raise VoucherRefused(
                _(
                    "Voucher %(number)s expired on %(date)s: it can no longer be paid out here.",
                    number=voucher.payment_number,
                    date=format_date(self.env, voucher.valid_until),
                )
            )
        if voucher.valid_from > today:
            raise VoucherRefused(
                _(
                    "Voucher %(number)s is valid from %(date)s only.",
                    number=voucher.payment_number,
                    date=format_date(self.env, voucher.valid_from),
                )
            )
        if voucher.payroll_line_id.state not in ("approved", "sent"):
            raise VoucherRefused(
                _(
                    "The payment of voucher %(number)s is no longer due (%(state)s): do not pay it.",
                    number=voucher.payment_number,
                    state=dict(voucher.payroll_line_id._fields["state"]._description_selection(self.env))[
                        voucher.payroll_line_id.state
                    ],
                )
            )
        return voucher

    @api.model
    def _redeem(self, code):
        """Pay out the voucher of ``code`` once: the voucher row is locked (a second agent at the
        same moment waits, then fails to serialize and has its request retried, and then sees
        it redeemed), checked again under the lock, and its payment marked paid through the
        payroll's outcome service (Dr beneficiary payable / Cr PSP clearing, as a PSP report
        would). Returns the voucher (sudo); raises VoucherRefused, changing nothing."""
        voucher = self._find_for_code(code)
        self.env.cr.execute(SQL("SELECT id FROM g2p_voucher WHERE id = %s FOR UPDATE", voucher.id))
        self.invalidate_model()
        self.env["g2p.payroll.line"].invalidate_model()
        voucher = self._find_for_code(code)
        # sudo on purpose: agents have no access to payrolls or journals; the agent is recorded on
        # the voucher (and as the writer of the payment).
        summary = (
            self.env["g2p.payroll.line"]
            .sudo()
            ._apply_payment_results(
                [
                    {
                        "line_id": voucher.payroll_line_id.id,
                        "status": "paid",
                        "amount": voucher.amount,
                        # A reference, not a sentence: the voucher and its pay point.
                        "psp_reference": "VOUCHER-%s-%s" % (voucher.id, voucher.pay_point_id.code),
                    }
                ]
            )
        )
        if summary["errors"] or summary["paid"] != 1:
            raise VoucherRefused(
                _(
                    "Voucher %(number)s cannot be paid out: %(errors)s",
                    number=voucher.payment_number,
                    errors="; ".join(message for _row, message in summary["errors"])
                    or _("the payment is already settled."),
                )
            )
        voucher.write(
            {"state": "redeemed", "redeemed_by_id": self.env.uid, "redeemed_date": fields.Datetime.now()}
        )
        return voucher

    # ------------------------------------------------------------------ expiry

    @api.model
    def _expire_overdue(self, payrolls=None):
        """Issued vouchers past their last day become expired (one UPDATE, which also locks them
        against a redemption at the same moment) and their payments fail with the reason "not
        collected" through the payroll's outcome service, in one call. Returns (expired vouchers,
        outcome summary)."""
        today = fields.Date.context_today(self)
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """UPDATE g2p_voucher SET state = 'expired', write_uid = %(uid)s,
                          write_date = now() AT TIME ZONE 'UTC'
                    WHERE state = 'issued' AND valid_until < %(today)s %(payrolls)s
                RETURNING id, payroll_line_id""",
                uid=self.env.uid,
                today=today,
                payrolls=SQL("AND payroll_id = ANY(%s)", payrolls.ids) if payrolls is not None else SQL(),
            )
        )
        self.invalidate_model()
        if not rows:
            return self.browse(), {"paid": 0, "failed": 0, "skipped": 0, "errors": [], "line_ids": []}
        note = _("Voucher not redeemed before the end of its validity")
        summary = (
            self.env["g2p.payroll.line"]
            .sudo()
            ._apply_payment_results(
                [
                    {"line_id": line_id, "status": "failed", "reason_code": NOT_COLLECTED, "reason": note}
                    for _voucher, line_id in rows
                ],
                atomic=False,
            )
        )
        for row, message in summary["errors"]:
            # Payments settled by another path meanwhile (a PSP report): the voucher still expires.
            _logger.warning("Expired voucher, payment not failed (row %s): %s", row, message)
        return self.browse([voucher_id for voucher_id, _line in rows]), summary

    @api.model
    def _cron_expire(self):
        expired, summary = self._expire_overdue()
        _logger.info(
            "Vouchers expired: %s, payments failed as not collected: %s", len(expired), summary["failed"]
        )

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(_("Only finance officers issue, cancel or expire vouchers."))

    def action_cancel(self):
        """Void issued vouchers (lost, damaged): their payments stay due, and Issue Vouchers on the
        payroll gives them new ones with new codes."""
        self._check_finance()
        if any(voucher.state != "issued" for voucher in self):
            raise UserError(_("Only issued vouchers can be cancelled."))
        self.sudo().write({"state": "cancelled"})
        return notification(
            _("Vouchers cancelled"),
            _(
                "%(count)s vouchers cancelled: their codes are refused at the pay points. Their payments "
                "are still due: Issue Vouchers on the payroll gives them new vouchers.",
                count=len(self),
            ),
            "info",
        )

    def _format_amount(self):
        self.ensure_one()
        return format_amount(self.env, self.amount, self.currency_id)
