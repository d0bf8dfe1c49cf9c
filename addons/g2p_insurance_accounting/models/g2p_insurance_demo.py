import logging
from datetime import date

from odoo import Command, api, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class G2PInsuranceDemo(models.AbstractModel):
    _name = "g2p.insurance.demo"
    _description = "Insurance Demo Data"

    @api.model
    def _load_kinoti_demo(self):
        """The Kinoti family of the reference scenario, played through (2020)."""
        env = self.sudo().env
        company = env.company
        try:
            company._g2p_insurance_accounts()
        except UserError as error:
            _logger.warning("Insurance demo data skipped: %s", error)
            return False
        Partner = env["res.partner"]
        people = [
            ("Joseph", "male", date(1988, 4, 2), "head"),
            ("Mary", "female", date(1991, 9, 14), "spouse"),
            ("Brian", "male", date(2016, 1, 20), "child"),
            ("Faith", "female", date(2018, 6, 3), "child"),
            ("Wanjiru", "female", date(1960, 2, 11), "dependant"),
        ]
        members = Partner.create(
            [
                {
                    "given_name": given,
                    "family_name": "Kinoti",
                    "is_registrant": True,
                    "gender": g,
                    "birthdate": b,
                }
                for given, g, b, _role in people
            ]
        )
        family = Partner.create({"name": "Kinoti Family", "is_registrant": True, "is_group": True})
        env["g2p.group.membership"].create(
            [
                {"group_id": family.id, "individual_id": member.id, "role": role}
                for member, (_g, _s, _b, role) in zip(members, people, strict=True)
            ]
        )
        (family | members).action_approve()
        hospitals = Partner.create(
            [
                {"name": "Gertrude Children's Hospital", "is_company": True},
                {"name": "The Nairobi Hospital", "is_company": True},
                {"name": "Kikuyu Eye Hospital", "is_company": True},
                {"name": "Smile Dental Clinic", "is_company": True},
            ]
        )
        gertrude, nairobi, kikuyu, dental = hospitals
        ref = env.ref
        product = env["g2p.insurance.product"].create(
            {
                "name": "Family Health Cover (demo)",
                "code": "DEMO-FAM",
                "company_id": company.id,
                "limit_type": "family",
                "total_limit": 1_000_000,
                "premium": 30_000,
                "period_months": 12,
                "category_rule_ids": [
                    Command.create({"category_id": ref("g2p_insurance_accounting.category_inpatient").id}),
                    Command.create(
                        {
                            "category_id": ref("g2p_insurance_accounting.category_maternity").id,
                            "cap_period": 100_000,
                        }
                    ),
                    Command.create(
                        {
                            "category_id": ref("g2p_insurance_accounting.category_optical").id,
                            "cap_instance": 5_000,
                        }
                    ),
                    Command.create(
                        {"category_id": ref("g2p_insurance_accounting.category_dental").id, "excluded": True}
                    ),
                ],
            }
        )
        policy = env["g2p.insurance.policy"].create(
            {
                "product_id": product.id,
                "holder_id": family.id,
                "date_start": date(2020, 1, 1),
                "company_id": company.id,
            }
        )
        policy.action_activate()
        policy._register_premium_payment(date=date(2020, 1, 10))
        Claim = env["g2p.insurance.claim"]

        def claim(provider, reference, member, category, service, received, amount, **vals):
            return Claim.create(
                {
                    "policy_id": policy.id,
                    "provider_id": provider.id,
                    "provider_reference": reference,
                    "member_id": member.id,
                    "category_id": ref(f"g2p_insurance_accounting.category_{category}").id,
                    "date_service": service,
                    "date_received": received,
                    "claimed_amount": amount,
                    **vals,
                }
            )

        first = claim(
            gertrude, "GCH-2020-0311", members[2], "inpatient", date(2020, 3, 10), date(2020, 3, 15), 79_650
        )
        first._receive()
        first._approve(date(2020, 3, 20))
        first._pay_provider(date(2020, 3, 25))
        maternity = claim(
            nairobi, "TNH-2020-0707", members[1], "maternity", date(2020, 7, 5), date(2020, 7, 10), 123_753
        )
        maternity._receive()
        maternity._approve(date(2020, 7, 15))
        maternity._collect_excess(date(2020, 7, 20))
        maternity._pay_provider(date(2020, 7, 25))
        optical = claim(
            kikuyu,
            "KEH-2020-1019",
            members[0],
            "optical",
            date(2020, 10, 19),
            date(2020, 10, 23),
            5_000,
            member_paid_at_provider=2_500,
        )
        optical._receive()
        optical._approve(date(2020, 10, 26))
        optical._pay_provider(date(2020, 10, 30))
        teeth = claim(
            dental, "SDC-2020-1105", members[3], "dental", date(2020, 11, 5), date(2020, 11, 9), 12_380
        )
        teeth._receive()
        policy._cancel(date(2020, 12, 1))
        policy._pay_refund(date(2020, 12, 5))
        return policy
