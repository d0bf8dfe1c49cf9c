from collections import defaultdict

from odoo import fields, models
from odoo.tools import SQL

from ..tools.sms_api import SmsApiG2pHttp


class SmsSms(models.Model):
    _inherit = "sms.sms"

    g2p_gateway_message_id = fields.Char(
        string="Gateway Message Id", readonly=True, copy=False, help="The HTTP gateway's id of the message."
    )

    def _split_by_api(self):
        """The SMS of companies with an HTTP gateway go through it (one API object per company);
        the others as before (Odoo's SMS service, or another provider's override)."""
        by_company = defaultdict(lambda: self.browse())
        for sms in self:
            by_company[sms._get_sms_company()] += sms
        others = self.browse()
        for company, company_sms in by_company.items():
            if company._g2p_uses_sms_gateway():
                api = SmsApiG2pHttp(self.env)
                api._set_company(company)
                yield api, company_sms
            else:
                others |= company_sms
        if others:
            yield from super(SmsSms, others)._split_by_api()

    def _handle_call_result_hook(self, results):
        """Keep the gateway's message ids, in one UPDATE."""
        pairs = [(r["uuid"], r["g2p_message_id"]) for r in results if r.get("g2p_message_id")]
        if pairs:
            self.flush_model(["uuid"])
            uuids, ids = zip(*pairs, strict=True)
            self.env.cr.execute(
                SQL(
                    """UPDATE sms_sms s SET g2p_gateway_message_id = v.mid
                         FROM unnest(%s::varchar[], %s::varchar[]) AS v(uuid, mid)
                        WHERE s.uuid = v.uuid""",
                    list(uuids),
                    list(ids),
                )
            )
            self.invalidate_model(["g2p_gateway_message_id"])
        return super()._handle_call_result_hook(results)
