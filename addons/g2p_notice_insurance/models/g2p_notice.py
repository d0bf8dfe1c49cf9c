from odoo import api, fields, models


class G2pNotice(models.Model):
    _inherit = "g2p.notice"

    kind = fields.Selection(
        selection_add=[("claim_approved", "Claim Approved"), ("claim_rejected", "Claim Rejected")],
        ondelete={"claim_approved": "cascade", "claim_rejected": "cascade"},
    )

    @api.model
    def _g2p_notice_kinds(self):
        # SMS only: the claim's approval and rejection already e-mail the holder through the claim's
        # chatter (g2p_insurance_accounting's mail templates); a second e-mail would say it twice.
        return {
            **super()._g2p_notice_kinds(),
            "claim_approved": {
                "model": "g2p.insurance.claim",
                "sms": "g2p_notice_insurance.sms_template_claim_approved",
                "mail": None,
            },
            "claim_rejected": {
                "model": "g2p.insurance.claim",
                "sms": "g2p_notice_insurance.sms_template_claim_rejected",
                "mail": None,
            },
        }
