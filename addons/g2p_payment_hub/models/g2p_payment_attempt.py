from odoo import fields, models

from ..const import ATTEMPT_STATES, LIVE_ATTEMPT_STATES


class G2pPaymentAttempt(models.Model):
    """One try to pay one payroll line in one batch. Its ``request_id`` is what the processor
    sees and reports back; a retry is a new attempt (new request id) in a new batch, so an
    outcome can never be attributed to the wrong try. Created set-based by the payroll."""

    _name = "g2p.payment.attempt"
    _description = "Payment Attempt"
    _order = "batch_id, id"
    _rec_name = "request_id"

    batch_id = fields.Many2one(
        "g2p.payment.batch", required=True, ondelete="cascade", index=True, readonly=True
    )
    payroll_line_id = fields.Many2one(
        "g2p.payroll.line", string="Payment", required=True, ondelete="restrict", index=True, readonly=True
    )
    # Not indexed, like state: always read with the batch (250,000 rows are inserted at once).
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    request_id = fields.Char(string="Request ID", required=True, readonly=True, copy=False)
    payment_number = fields.Char(related="payroll_line_id.payment_number")
    beneficiary_id = fields.Many2one(related="payroll_line_id.beneficiary_id")
    currency_id = fields.Many2one(related="batch_id.currency_id")
    amount = fields.Monetary(required=True, readonly=True)
    payee_identifier_type = fields.Char(readonly=True)
    payee_identifier = fields.Char(readonly=True)
    state = fields.Selection(ATTEMPT_STATES, default="queued", required=True, readonly=True)
    psp_reference = fields.Char(string="PSP Reference", readonly=True)
    reason = fields.Char(readonly=True)
    line_state = fields.Selection(related="payroll_line_id.state", string="Payment Status")

    _request_id_unique = models.UniqueIndex("(request_id)", "A request id identifies one attempt.")
    # The database itself guarantees a payment is never in two live batches at once.
    _one_live_attempt = models.UniqueIndex(
        "(payroll_line_id) WHERE state IN %s" % (LIVE_ATTEMPT_STATES,),
        "This payment is already in a live batch.",
    )
