from odoo import api, fields, models
from odoo.fields import Domain

from ..const import ATTEMPT_STATES, ATTEMPT_STATUSES, UNSENT_BATCH_STATES


class G2pPaymentAttempt(models.Model):
    """One try to pay one payroll line in one batch. Its ``request_id`` is what the processor
    sees and reports back; a retry is a new attempt (new request id) in a new batch, so an
    outcome can never be attributed to the wrong try.

    Attempts are written once, set-based, when the batch is made, and only touched again when
    their batch is refused or cancelled: the progress of an accepted payment is its batch's state
    and its outcome the payroll line's (``status`` shows both). A national payroll has hundreds of
    thousands of attempts; not rewriting each at every step is what keeps the hub fast. No
    create/write tracking columns for the same reason: the batch records who made and sent it."""

    _name = "g2p.payment.attempt"
    _description = "Payment Attempt"
    _order = "batch_id, id"
    _rec_name = "request_id"
    _log_access = False

    batch_id = fields.Many2one(
        "g2p.payment.batch", required=True, ondelete="cascade", index=True, readonly=True
    )
    payroll_line_id = fields.Many2one(
        "g2p.payroll.line", string="Payment", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="batch_id.company_id")
    request_id = fields.Char(string="Request ID", required=True, readonly=True, copy=False)
    payment_number = fields.Char(related="payroll_line_id.payment_number")
    beneficiary_id = fields.Many2one(related="payroll_line_id.beneficiary_id")
    currency_id = fields.Many2one(related="batch_id.currency_id")
    amount = fields.Monetary(required=True, readonly=True)
    payee_identifier_type = fields.Char(readonly=True)
    payee_identifier = fields.Char(readonly=True)
    state = fields.Selection(
        ATTEMPT_STATES,
        default="open",
        required=True,
        readonly=True,
        help="Open while the batch holds the payment; Refused or Cancelled when the batch was, which "
        "frees the payment for a new batch.",
    )
    reason = fields.Char(
        string="Refusal Reason", readonly=True, help="Why the batch was refused or cancelled."
    )
    status = fields.Selection(
        ATTEMPT_STATUSES,
        compute="_compute_status",
        search="_search_status",
        help="Queued until the processor accepts the batch, then the payment's outcome.",
    )
    psp_reference = fields.Char(related="payroll_line_id.psp_reference")
    failure_reason_id = fields.Many2one(related="payroll_line_id.failure_reason_id")
    failure_note = fields.Char(related="payroll_line_id.failure_note")
    line_state = fields.Selection(related="payroll_line_id.state", string="Payment Status")

    _request_id_unique = models.UniqueIndex("(request_id)", "A request id identifies one attempt.")
    # The database itself guarantees a payment is never in two live batches at once.
    _one_live_attempt = models.UniqueIndex(
        "(payroll_line_id) WHERE state = 'open'", "This payment is already in a live batch."
    )

    @api.depends("state", "batch_id.state", "payroll_line_id.state")
    def _compute_status(self):
        for attempt in self:
            if attempt.state != "open":
                attempt.status = attempt.state
            elif attempt.batch_id.state in UNSENT_BATCH_STATES:
                attempt.status = "queued"
            elif attempt.payroll_line_id.state in ("paid", "failed", "cancelled"):
                attempt.status = attempt.payroll_line_id.state
            else:
                attempt.status = "sent"

    def _search_status(self, operator, value):
        # The ORM turns "=" into "in" and tries negative operators as their positive.
        if operator != "in":
            return NotImplemented
        final = ("paid", "failed", "cancelled")
        accepted = [("state", "=", "open"), ("batch_id.state", "not in", UNSENT_BATCH_STATES)]
        domains = []
        if "queued" in value:
            domains.append([("state", "=", "open"), ("batch_id.state", "in", UNSENT_BATCH_STATES)])
        if "sent" in value:
            domains.append(accepted + [("payroll_line_id.state", "not in", final)])
        for outcome in set(value) & set(final):
            domains.append(accepted + [("payroll_line_id.state", "=", outcome)])
            if outcome != "paid":  # also closed with a refused or cancelled batch
                domains.append([("state", "=", outcome)])
        return Domain.OR(domains) if domains else Domain.FALSE
