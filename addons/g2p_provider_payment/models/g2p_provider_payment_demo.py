import logging
from datetime import date, timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class G2pProviderPaymentDemo(models.AbstractModel):
    _name = "g2p.provider.payment.demo"
    _description = "Provider Payment Demo Data"

    @api.model
    def _load_demo(self):
        """The Achieng family's cover of this year and four approved claims at two hospitals (one a
        reimbursement to Grace, who paid the bill), paid in one provider payment run through a PH-EE
        connector pointed at the simulator's default address (``make demo`` does not start it).
        The run is approved by the insurance finance officer, not by whoever adjudicated the claims;
        Gertrude's and Grace's payments are confirmed (entries posted and claims cleared, by the
        same method as the status job), the Nairobi Hospital's still awaits the processor."""
        env = self.sudo().env
        Connector = env["g2p.payment.connector"]
        if "phee" not in dict(Connector._fields["code"].selection):
            _logger.info("Provider payment demo skipped: the PH-EE connector is not installed")
            return False
        product = env["g2p.insurance.product"].search([("code", "=", "DEMO-FAM")], limit=1)
        Partner = env["res.partner"]
        gertrude = Partner.search([("name", "=", "Gertrude Children's Hospital")], limit=1)
        nairobi = Partner.search([("name", "=", "The Nairobi Hospital")], limit=1)
        psp = Partner.search([("name", "=", "M-Pesa (demo)"), ("is_psp", "=", True)], limit=1)
        approver = env.ref("g2p_insurance_accounting.demo_user_insurance_finance", raise_if_not_found=False)
        claims_officer = env.ref(
            "g2p_insurance_accounting.demo_user_claims_officer", raise_if_not_found=False
        )
        if not (product and gertrude and nairobi and psp and approver and claims_officer):
            _logger.info("Provider payment demo skipped: the insurance or registry demo is missing")
            return False
        company = product.company_id
        env["res.partner.bank"].create(
            [
                {"partner_id": gertrude.id, "acc_number": "01108123456700", "allow_out_payment": True},
                {"partner_id": nairobi.id, "acc_number": "01120987654300", "allow_out_payment": True},
            ]
        )
        connector = Connector.create(
            {
                "name": "Provider payments via PH-EE (demo)",
                "code": "phee",
                "state": "test",
                "psp_id": psp.id,
                "company_id": company.id,
                "phee_bulk_url": "http://127.0.0.1:8090",
                "phee_ops_url": "http://127.0.0.1:8090",
                "phee_channel_url": "http://127.0.0.1:8090",
                "phee_tenant": "gorilla",
                "phee_username": "mifos",
                "phee_password": "password",
                "payment_mode": "mojaloop",
                "payer_identifier_type": "accountNumber",
                "payer_identifier": "0110800100200",
            }
        )
        today = fields.Date.context_today(self)
        members = Partner.create(
            [
                {
                    "given_name": "Grace",
                    "family_name": "Achieng",
                    "is_registrant": True,
                    "gender": "female",
                    "birthdate": date(1990, 5, 12),
                },
                {
                    "given_name": "Kevin",
                    "family_name": "Achieng",
                    "is_registrant": True,
                    "gender": "male",
                    "birthdate": date(2019, 2, 3),
                },
            ]
        )
        family = Partner.create({"name": "Achieng Family", "is_registrant": True, "is_group": True})
        env["g2p.group.membership"].create(
            [
                {"group_id": family.id, "individual_id": members[0].id, "role": "head"},
                {"group_id": family.id, "individual_id": members[1].id, "role": "child"},
            ]
        )
        (family | members).action_approve()
        start = date(today.year, 1, 1)
        policy = env["g2p.insurance.policy"].create(
            {"product_id": product.id, "holder_id": family.id, "date_start": start, "company_id": company.id}
        )
        policy.action_activate()
        policy._register_premium_payment(date=start + timedelta(days=5))
        ref = env.ref
        service = max(start + timedelta(days=20), today - timedelta(days=20))
        claims = env["g2p.insurance.claim"]
        # Grace paid Kevin's bill at the Nairobi Hospital herself: reimbursed to her M-Pesa wallet.
        env["g2p.payment.account"].create(
            {
                "partner_id": members[0].id,
                "account_type": "mobile_wallet",
                "provider_id": psp.id,
                "msisdn": "+254722000222",
                "is_default": True,
            }
        )
        for provider, reference, member, amount, payee in (
            (gertrude, "GCH-%s-0142" % today.year, members[1], 8_400, None),
            (gertrude, "GCH-%s-0187" % today.year, members[1], 46_250, None),
            (nairobi, "TNH-%s-0415" % today.year, members[0], 6_900, None),
            (nairobi, "TNH-%s-0433" % today.year, members[1], 3_400, members[0]),
        ):
            claim = claims.create(
                {
                    "policy_id": policy.id,
                    "provider_id": provider.id,
                    "provider_reference": reference,
                    "member_id": member.id,
                    "category_id": ref("g2p_insurance_accounting.category_inpatient").id,
                    "date_service": service,
                    "date_received": service + timedelta(days=2),
                    "claimed_amount": amount,
                    "reimbursement": bool(payee),
                    **({"payee_id": payee.id} if payee else {}),
                }
            )
            officer_claim = claim.with_user(claims_officer)
            officer_claim._receive()
            officer_claim._approve(service + timedelta(days=4))
            claims |= claim
        run = env["g2p.provider.payment.run"].create(
            {"connector_id": connector.id, "company_id": company.id, "date_to": today}
        )
        run.action_load_claims()
        run.action_submit()
        run.with_user(approver).action_approve()
        now = fields.Datetime.now()
        for line in run.line_ids:
            transfer = env["g2p.payment.transfer"].create(line._transfer_vals())
            # What the connector leaves once PH-EE accepted the transfer.
            transfer._g2p_transition(
                "sent",
                {"draft"},
                {
                    "external_id": "demo-%s" % transfer.request_id[:8],
                    "requested_date": now - timedelta(hours=3),
                },
            )
            line.state = "sent"
            if line.payee_id != nairobi:
                reference = "TRDEMO%04d" % transfer.id
                transfer._apply_status({"status": "paid", "psp_reference": reference, "date": today})
        run._update_state()
        return run
