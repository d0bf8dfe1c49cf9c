from odoo import fields, models


class G2pPaymentBatchGsma(models.Model):
    _inherit = "g2p.payment.batch"

    gsma_server_correlation_id = fields.Char(
        string="GSMA Server Correlation ID",
        readonly=True,
        copy=False,
        help="The provider's id of the submission, polled at /requeststates until the batch is created.",
    )
    gsma_request_status = fields.Char(
        string="GSMA Request State",
        readonly=True,
        copy=False,
        help="Last status of the submission's request state: pending, completed or failed.",
    )
