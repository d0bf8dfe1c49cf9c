from odoo import fields, models


class G2pPaymentBatchGsma(models.Model):
    _inherit = "g2p.payment.batch"

    gsma_server_correlation_id = fields.Char(
        string="GSMA Server Correlation ID",
        readonly=True,
        copy=False,
        help="The provider's id of the submission, polled at /requeststates until the batch is created.",
    )
