from collections import defaultdict

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from ..tools import new_request_ids
from odoo.addons.g2p_registry.tools.notify import notification
from odoo.addons.g2p_registry.tools.sql import pg_array


class G2pPayroll(models.Model):
    _inherit = "g2p.payroll"

    batch_ids = fields.One2many("g2p.payment.batch", "payroll_id", string="Payment Batches", readonly=True)
    batch_count = fields.Integer(compute="_compute_batch_count")
    unbatched_count = fields.Integer(
        compute="_compute_unbatched_count",
        string="Awaiting a Batch",
        help="Approved payments not yet in a payment batch that is being sent or waits for its outcome.",
    )

    def _compute_batch_count(self):
        counts = dict(
            self.env["g2p.payment.batch"]._read_group(
                [("payroll_id", "in", self.ids)], ["payroll_id"], ["__count"]
            )
        )
        for payroll in self:
            payroll.batch_count = counts.get(payroll, 0)

    def _compute_unbatched_count(self):
        self.env["g2p.payroll.line"].flush_model(["payroll_id", "state"])
        self.env["g2p.payment.attempt"].flush_model(["payroll_line_id", "state"])
        counts = dict(
            self.env.execute_query(
                SQL(
                    """SELECT l.payroll_id, count(*) FROM g2p_payroll_line l
                        WHERE l.payroll_id = ANY(%s) AND l.state = 'approved'
                          AND NOT EXISTS (SELECT 1 FROM g2p_payment_attempt a
                                           WHERE a.payroll_line_id = l.id AND a.state = 'open')
                        GROUP BY 1""",
                    self.ids,
                )
            )
            if self.ids
            else []
        )
        for payroll in self:
            payroll.unbatched_count = counts.get(payroll.id, 0)

    def action_create_batches(self):
        """Split the approved payments not yet in a live batch into payment batches, per connector
        (chosen by the payment's PSP) and the connector's limits, and queue them for sending."""
        self._check_finance()
        batches = self.env["g2p.payment.batch"]
        for payroll in self:
            batches |= payroll._create_payment_batches()
        if not batches:
            raise UserError(_("No approved payment is waiting for a batch."))
        by_connector = []
        for connector in batches.connector_id:
            mine = batches.filtered(lambda b, c=connector: b.connector_id == c)
            by_connector.append(
                _(
                    "%(connector)s: %(batches)s batches, %(count)s payments, %(amount)s",
                    connector=connector.name,
                    batches=len(mine),
                    count=sum(mine.mapped("total_count")),
                    amount=format_amount(self.env, sum(mine.mapped("total_amount")), mine[:1].currency_id),
                )
            )
        return notification(
            _("Payment batches created"),
            _(
                "%(batches)s payment batches queued for sending (%(details)s). Open each one and "
                "click Send, or let the scheduled send take them.",
                batches=len(batches),
                details="; ".join(by_connector),
            ),
            next_action=batches._action_open(),
        )

    def action_view_batches(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Payment batches of %s", self.name),
            "res_model": "g2p.payment.batch",
            "view_mode": "list,form",
            "domain": [("payroll_id", "=", self.id)],
        }

    def _connectors_by_psp(self, psp_ids):
        """{psp id: connector} — the first enabled (or test) connector of each PSP in the payroll's
        company; a PSP without one is an error naming it."""
        connectors = (
            self.env["g2p.payment.connector"]
            .sudo()
            .search(
                [
                    ("psp_id", "in", list(psp_ids)),
                    ("state", "in", ("enabled", "test")),
                    ("company_id", "=", self.company_id.id),
                ],
                order="sequence, id",
            )
        )
        by_psp = {}
        for connector in connectors:
            by_psp.setdefault(connector.psp_id.id, connector)
        missing = set(psp_ids) - set(by_psp)
        if missing:
            names = (
                self.env["res.partner"].sudo().browse(sorted(p for p in missing if p)).mapped("display_name")
            )
            if None in missing or False in missing:
                names.append(_("(payments without PSP)"))
            raise UserError(
                _(
                    "Payroll %(payroll)s: no enabled payment connector for %(psps)s. Configure one under "
                    "Payments > Configuration > Connectors.",
                    payroll=self.name,
                    psps=", ".join(names),
                )
            )
        return by_psp

    def _create_payment_batches(self, lines=None):
        """Create the batches and their attempts set-based; ``lines`` restricts to those lines.
        Returns the new batches, built (payload rendered) and queued."""
        self.ensure_one()
        if self.state not in ("approved", "in_payment"):
            raise UserError(_("Payroll %s must be approved before its payments are sent.", self.name))
        # Serialise batch creation per payroll: two users clicking at once cannot batch a line twice
        # (the unique index on live attempts would refuse it anyway).
        self.env.cr.execute(SQL("SELECT id FROM g2p_payroll WHERE id = %s FOR UPDATE", self.id))
        self.env["g2p.payroll.line"].flush_model()
        self.env["g2p.payment.attempt"].flush_model()
        payments = self.env.execute_query_dict(
            SQL(
                """SELECT l.id AS line_id, l.psp_id, l.amount, l.account_type, l.account_identifier,
                          l.account_bic, l.payment_number, c.name AS currency
                     FROM g2p_payroll_line l
                     JOIN res_currency c ON c.id = l.currency_id
                    WHERE l.payroll_id = %(payroll)s AND l.state = 'approved' %(only)s
                      AND NOT EXISTS (SELECT 1 FROM g2p_payment_attempt a
                                       WHERE a.payroll_line_id = l.id AND a.state = 'open')
                    ORDER BY l.id""",
                payroll=self.id,
                only=SQL("AND l.id IN %s", tuple(lines.ids)) if lines is not None else SQL(""),
            )
        )
        Batch = self.env["g2p.payment.batch"]
        if not payments or (lines is not None and not lines):
            return Batch
        by_psp = defaultdict(list)
        for payment in payments:
            by_psp[payment["psp_id"]].append(payment)
        connectors = self._connectors_by_psp(by_psp)
        chunks = []  # (connector, payments)
        for psp_id, psp_payments in by_psp.items():
            connector = connectors[psp_id]
            for payment, request_id in zip(psp_payments, new_request_ids(len(psp_payments)), strict=True):
                payment["request_id"] = request_id
            connector._set_payee_identifiers(psp_payments)
            chunks.extend((connector, chunk) for chunk in connector._split_payments(psp_payments) if chunk)
        # The payroll's chatter says what was batched: no "created" message per batch.
        batches = (
            Batch.sudo()
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "connector_id": connector.id,
                        "payroll_id": self.id,
                        "company_id": self.company_id.id,
                        "currency_id": self.currency_id.id,
                    }
                    for connector, __ in chunks
                ]
            )
        )
        self._insert_attempts(batches, [chunk for __, chunk in chunks])
        batches._update_counts()
        for connector in {connector for connector, __ in chunks}:
            mine = [
                (batch, chunk) for batch, (c, chunk) in zip(batches, chunks, strict=True) if c == connector
            ]
            connector._build_batches(
                Batch.sudo().union(*[batch for batch, __ in mine]), [c for __, c in mine]
            )
        batches._set_queued()
        self.message_post(
            body=_(
                "%(payments)s payments put in %(batches)s payment batches.",
                payments=sum(len(chunk) for __, chunk in chunks),
                batches=len(batches),
            )
        )
        return batches.with_env(self.env)

    def _insert_attempts(self, batches, chunks):
        """One INSERT for every attempt of ``batches`` (``chunks``: their payments, same order)."""
        columns = defaultdict(list)
        for batch, chunk in zip(batches, chunks, strict=True):
            for payment in chunk:
                columns["batch"].append(batch.id)
                columns["line"].append(payment["line_id"])
                columns["request"].append(payment["request_id"])
                columns["amount"].append(payment["amount"])
                columns["type"].append(payment["payee_identifier_type"])
                columns["value"].append(payment["payee_identifier"])
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_payment_attempt
                          (batch_id, payroll_line_id, request_id, amount, payee_identifier_type,
                           payee_identifier, state)
                   SELECT v.batch, v.line, v.request, v.amount, v.type, v.value, 'open'
                     FROM unnest(%(batch)s::int[], %(line)s::int[], %(request)s::varchar[],
                                 %(amount)s::numeric[], %(type)s::varchar[], %(value)s::varchar[])
                          AS v(batch, line, request, amount, type, value)""",
                **{name: pg_array(values) for name, values in columns.items()},
            )
        )
        self.env["g2p.payment.attempt"].invalidate_model()
