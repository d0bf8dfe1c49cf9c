import logging
from datetime import date, timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class G2PPremiumCollectionDemo(models.AbstractModel):
    _name = "g2p.premium.collection.demo"
    _description = "Premium Collection Demo Data"

    @api.model
    def _load_demo(self):
        """The Kinoti family's cover of this year, its premium collected by mobile money in two
        requests (one paid, one still awaiting the payer), through a PH-EE connector pointed at the
        simulator's default address (``make demo`` does not start it: Check Status then says it
        cannot be reached). The requests' past is written as the connector would have left it; the
        payment is applied by the same method as the status job (entry, reconciliation)."""
        env = self.sudo().env
        Connector = env["g2p.payment.connector"]
        if "phee" not in dict(Connector._fields["code"].selection):
            _logger.info("Premium collection demo skipped: the PH-EE connector is not installed")
            return False
        product = env["g2p.insurance.product"].search([("code", "=", "DEMO-FAM")], limit=1)
        family = env["res.partner"].search([("name", "=", "Kinoti Family"), ("is_group", "=", True)], limit=1)
        psp = env["res.partner"].search([("name", "=", "M-Pesa (demo)"), ("is_psp", "=", True)], limit=1)
        if not (product and family and psp):
            _logger.info("Premium collection demo skipped: the insurance or registry demo is missing")
            return False
        connector = Connector.create(
            {
                "name": "M-Pesa collections via PH-EE (demo)",
                "code": "phee",
                "state": "test",
                "psp_id": psp.id,
                "company_id": product.company_id.id,
                "phee_bulk_url": "http://127.0.0.1:8090",
                "phee_ops_url": "http://127.0.0.1:8090",
                "phee_channel_url": "http://127.0.0.1:8090",
                "phee_tenant": "gorilla",
                "phee_username": "mifos",
                "phee_password": "password",
                "payment_mode": "mojaloop",
                "payer_identifier_type": "msisdn",
                "payer_identifier": "254700100200",
            }
        )
        today = fields.Date.context_today(self)
        policy = env["g2p.insurance.policy"].create(
            {
                "product_id": product.id,
                "holder_id": family.id,
                "date_start": date(today.year, 1, 1),
                "company_id": product.company_id.id,
            }
        )
        policy.action_activate()
        Collection = env["g2p.payment.collection"]
        now = fields.Datetime.now()
        common = {
            "policy_id": policy.id,
            "connector_id": connector.id,
            "company_id": policy.company_id.id,
            "currency_id": policy.currency_id.id,
            "payer_id": policy.premium_partner_id.id,
            "payer_msisdn": "+254722000111",
            "description": "Premium %s" % policy.name,
        }
        paid = Collection.create({**common, "amount": 18_000})
        waiting = Collection.create({**common, "amount": 12_000})
        for collection, hours_ago in ((paid, 30), (waiting, 2)):
            sent = now - timedelta(hours=hours_ago)
            collection._g2p_transition(
                "requested",
                {"draft"},
                {
                    "external_id": "demo-%s" % collection.request_id[:8],
                    "requested_date": sent,
                    "expiry_date": sent + timedelta(hours=collection.expiry_hours),
                },
            )
        paid._apply_status(
            {"status": "paid", "psp_reference": "MMDEMO0001", "date": today - timedelta(days=1)}
        )
        return True
