import requests

from ..const import GATEWAY_TO_SMS_FAILURE_TYPE
from odoo.addons.sms.tools.sms_api import SmsApiBase


class SmsApiG2pHttp(SmsApiBase):
    """Odoo's SMS API over the company's HTTP gateway (``g2p.sms.gateway``): one request per number,
    on one keep-alive session per batch."""

    PROVIDER_TO_SMS_FAILURE_TYPE = SmsApiBase.PROVIDER_TO_SMS_FAILURE_TYPE | GATEWAY_TO_SMS_FAILURE_TYPE

    def _gateway(self):
        return (self.company or self.env.company).sudo().sms_g2p_gateway_id

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        """See ``SmsApi._send_sms_batch``: one result per number, with ``uuid``, ``state`` (``success``
        or a failure state of ``PROVIDER_TO_SMS_FAILURE_TYPE``), ``failure_reason`` and the gateway's
        ``g2p_message_id``."""
        gateway = self._gateway()
        results = []
        with requests.Session() as session:
            for message in messages:
                body = message.get("content") or ""
                for number_info in message.get("numbers") or []:
                    if gateway:
                        state, reason, message_id = gateway._send_message(
                            session, number_info.get("number"), body, number_info["uuid"]
                        )
                    else:  # the company's gateway was removed meanwhile
                        state, reason, message_id = "g2p_gateway_auth", "No SMS gateway.", None
                    results.append(
                        {
                            "uuid": number_info["uuid"],
                            "state": state,
                            "failure_reason": reason,
                            "g2p_message_id": message_id,
                        }
                    )
        return results
