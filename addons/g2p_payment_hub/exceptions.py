from odoo.exceptions import UserError


class G2pTransportError(UserError):
    """An outbound request that got no usable HTTP answer (connection refused, timeout, 5xx after
    the retries).

    ``maybe_delivered`` is True when the processor may have received and accepted the request
    (a read timeout or a dropped connection after the body went out): the caller must then look the
    request up instead of sending it again.
    """

    def __init__(self, message, maybe_delivered=False, status=None):
        super().__init__(message)
        self.maybe_delivered = maybe_delivered
        self.status = status
