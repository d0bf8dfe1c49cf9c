import logging
import random
from datetime import date, timedelta

from odoo import Command, api, models

_logger = logging.getLogger(__name__)

GIVEN_NAMES = {
    "female": [
        "Achieng",
        "Wanjiru",
        "Amina",
        "Grace",
        "Mercy",
        "Faith",
        "Zawadi",
        "Njeri",
        "Halima",
        "Joy",
        "Akinyi",
        "Wambui",
        "Mwende",
        "Esther",
        "Nafula",
        "Chebet",
    ],
    "male": [
        "Otieno",
        "Kamau",
        "Hassan",
        "Brian",
        "Kevin",
        "Juma",
        "Mwangi",
        "Omondi",
        "Kiprop",
        "Baraka",
        "Mutua",
        "Wekesa",
        "Ochieng",
        "Daniel",
        "Kibet",
        "Salim",
    ],
}
FAMILY_NAMES = [
    "Kinoti",
    "Odhiambo",
    "Mwangi",
    "Wanjala",
    "Njoroge",
    "Kiptoo",
    "Abdi",
    "Mutiso",
    "Karanja",
    "Onyango",
    "Cheruiyot",
    "Wafula",
    "Macharia",
    "Kilonzo",
    "Barasa",
    "Nyamweya",
    "Ruto",
    "Omar",
]
TOWNS = [
    "Kisumu",
    "Nakuru",
    "Garissa",
    "Machakos",
    "Eldoret",
    "Kakamega",
    "Nyeri",
    "Kitui",
    "Malindi",
    "Homa Bay",
]
#: town → codes of the demo sub-counties (demo/g2p.area.csv) its households live in, in turn.
TOWN_AREA_CODES = {
    "Kisumu": ["KE-042-01", "KE-042-02", "KE-042-03"],
    "Nakuru": ["KE-032-01", "KE-032-02", "KE-032-03"],
    "Garissa": ["KE-007-01", "KE-007-02"],
    "Machakos": ["KE-016-01", "KE-016-02"],
    "Eldoret": ["KE-027-01", "KE-027-02", "KE-027-03"],
    "Kakamega": ["KE-037-01", "KE-037-02"],
    "Nyeri": ["KE-019-01", "KE-019-02"],
    "Kitui": ["KE-015-01", "KE-015-02"],
    "Malindi": ["KE-003-01"],
    "Homa Bay": ["KE-043-01", "KE-043-02"],
}
MOBILE_PREFIXES = ["70", "71", "72", "74", "79", "11"]


class G2pRegistryDemo(models.AbstractModel):
    """Generates a realistic registry of any size: households with a head and members, IDs,
    phones and payment accounts, with batched creates. Deterministic for a given seed."""

    _name = "g2p.registry.demo"
    _description = "Registry Demo Data Generator"

    @api.model
    def _generate(self, households=60, seed=2026, batch_size=1000, approve=True):
        rng = random.Random(seed)
        # Demo generation is a setup tool run by the installer or an administrator: it writes
        # approved registrants directly, which regular users cannot.
        env = self.sudo().env
        kenya = env.ref("base.ke", raise_if_not_found=False)
        national_id = self._demo_id_type()
        town_areas = self._demo_town_areas()
        psps = self._demo_psps(kenya, town_areas)
        today = date.today()
        created_households = env["res.partner"]
        for start in range(0, households, batch_size):
            count = min(batch_size, households - start)
            created_households |= self._generate_batch(
                env, rng, count, kenya, national_id, psps, today, approve, town_areas
            )
        _logger.info("G2P demo: %d households generated", len(created_households))
        return created_households

    @api.model
    def _demo_company(self):
        """The demo's main company is a ministry in Nairobi, paying in Kenyan shillings. Runs
        before Accounting is installed; the Kenyan chart of accounts is loaded later, when
        ``l10n_ke`` is there (g2p_account's ``account.chart.template._g2p_demo_kenyan_chart``)."""
        env = self.sudo().env
        company = env.ref("base.main_company")
        kenya = env.ref("base.ke")
        company.write(
            {
                "name": "Ministry of Labour and Social Protection",
                "street": "Social Security House, Bishops Road",
                "city": "Nairobi",
                "zip": "00100",
                "country_id": kenya.id,
                "phone": "+254 20 272 9800",
                "email": "info@ministry.example.com",
                "website": "https://ministry.example.com",
            }
        )
        # The company currency can only change while nothing is booked in it.
        no_entries = "account.move.line" not in env or not env["account.move.line"].search_count(
            [("company_id", "=", company.id)], limit=1
        )
        kes = env.ref("base.KES")
        if no_entries and company.currency_id != kes:
            kes.active = True
            company.currency_id = kes
        return company

    @api.model
    def _generate_demo(self, households=60):
        """The installed demo: a small registry with a few registrants still to approve and one
        disabled household, so every state shows in the back office."""
        created = self._generate(households=households)
        to_review = created[-3:-1]
        (to_review | to_review.group_membership_ids.individual_id).write({"registrant_state": "draft"})
        created[-1]._disable("Moved out of the program area (demo)")
        return created

    @api.model
    def _demo_duplicate_pair(self):
        """A person registered a second time by another enumerator, with the family name misspelt
        and the same date of birth, still to approve; the detection proposes the pair for review."""
        env = self.sudo().env
        Partner = env["res.partner"]
        if env.ref("g2p_registry.demo_duplicate_person", raise_if_not_found=False):
            return
        original = Partner.search(
            [
                ("is_registrant", "=", True),
                ("is_group", "=", False),
                ("registrant_state", "=", "active"),
                ("birthdate", "!=", False),
                ("family_name", "!=", False),
            ],
            order="id",
            limit=1,
        )
        if not original:
            return
        family = original.family_name
        again = Partner.create(
            {
                "is_registrant": True,
                "given_name": original.given_name,
                # One letter dropped, as heard at the door.
                "family_name": family[:2] + family[3:] if len(family) > 3 else family + "h",
                "birthdate": original.birthdate,
                "gender": original.gender,
                "area_id": original.area_id.id,
            }
        )
        env["ir.model.data"]._update_xmlids(
            [{"xml_id": "g2p_registry.demo_duplicate_person", "record": again, "noupdate": True}]
        )
        env["g2p.duplicate"]._detect()

    @api.model
    def _demo_change_request(self):
        """The demo registrar records a person's new phone number (a new SIM card) and corrected
        date of birth: a change request awaiting the validator."""
        env = self.sudo().env
        registrar = env.ref("g2p_registry.demo_user_registrar", raise_if_not_found=False)
        if not registrar or env.ref("g2p_registry.demo_change_request", raise_if_not_found=False):
            return
        phone = env["g2p.phone.number"].search(
            [("partner_id.registrant_state", "=", "active"), ("partner_id.is_group", "=", False)],
            order="id",
            limit=1,
        )
        if not phone:
            return
        person = phone.partner_id
        new_number = "+2547%08d" % (
            int(phone.phone_number[-8:]) + 1 if phone.phone_number[-8:].isdigit() else 1
        )
        person.with_user(registrar).write(
            {
                "phone_number_ids": [Command.update(phone.id, {"phone_number": new_number})],
                "birthdate": person.birthdate and person.birthdate.replace(day=1),
            }
        )
        request = env["g2p.change.request"].search([("partner_id", "=", person.id)], limit=1)
        env["ir.model.data"]._update_xmlids(
            [{"xml_id": "g2p_registry.demo_change_request", "record": request, "noupdate": True}]
        )

    @api.model
    def _demo_id_type(self):
        id_type = self.env["g2p.id.type"].sudo().search([("code", "=", "NATIONAL_ID")], limit=1)
        return id_type or self.env["g2p.id.type"].sudo().create(
            {
                "name": "National ID",
                "code": "NATIONAL_ID",
                "validation_regex": r"^[0-9]{8}$",
                "validation_hint": "eight digits",
            }
        )

    @api.model
    def _demo_town_areas(self):
        """town → ids of its demo sub-counties (empty lists where the areas are not loaded)."""
        codes = [code for town_codes in TOWN_AREA_CODES.values() for code in town_codes]
        by_code = {area.code: area.id for area in self.env["g2p.area"].sudo().search([("code", "in", codes)])}
        return {
            town: [by_code[code] for code in TOWN_AREA_CODES.get(town, []) if code in by_code]
            for town in TOWNS
        }

    @api.model
    def _demo_psps(self, country, town_areas=None):
        env = self.sudo().env
        Partner = env["res.partner"]
        mechanisms = {m.code: m for m in env["g2p.payment.mechanism"].search([])}
        specs = [
            ("M-Pesa (demo)", ["mobile_wallet"]),
            ("Equity Bank (demo)", ["bank", "mobile_wallet"]),
            ("Posta Pay (demo)", ["cash"]),
        ]
        psps = {}
        for name, codes in specs:
            psp = Partner.search([("name", "=", name), ("is_psp", "=", True)], limit=1) or Partner.create(
                {
                    "name": name,
                    "is_company": True,
                    "is_psp": True,
                    "country_id": country.id if country else False,
                    "psp_mechanism_ids": [(6, 0, [mechanisms[c].id for c in codes])],
                }
            )
            for code in codes:
                psps.setdefault(code, psp)
        cash_psp = psps["cash"]
        if not cash_psp.pay_point_ids:
            env["g2p.pay.point"].create(
                [
                    {
                        "name": "%s Post Office" % town,
                        "code": town[:3].upper(),
                        "psp_id": cash_psp.id,
                        "city": town,
                        "area_id": ((town_areas or {}).get(town) or [False])[0],
                    }
                    for town in TOWNS[:4]
                ]
            )
        return psps

    @api.model
    def _generate_batch(self, env, rng, count, country, national_id, psps, today, approve, town_areas=None):
        Partner = env["res.partner"]
        state = "active" if approve else "draft"
        existing_ids = set(
            env["g2p.registrant.id"].search([("id_type_id", "=", national_id.id)]).mapped("value")
        )

        def new_national_id():
            while True:
                value = "%08d" % rng.randrange(10**7, 10**8)
                if value not in existing_ids:
                    existing_ids.add(value)
                    return value

        def birthdate(min_age, max_age):
            return today - timedelta(days=rng.randint(min_age * 365, max_age * 365 + 364))

        plans = []
        for _i in range(count):
            family = rng.choice(FAMILY_NAMES)
            town = rng.choice(TOWNS)
            size = rng.choices([1, 2, 3, 4, 5, 6, 7, 8], weights=[6, 10, 16, 20, 18, 14, 9, 7])[0]
            head_gender = rng.choice(["female", "male"])
            members = [("head", head_gender, birthdate(22, 75))]
            if size > 1 and rng.random() < 0.7:
                members.append(("spouse", "male" if head_gender == "female" else "female", birthdate(20, 70)))
            while len(members) < size:
                role = "child" if rng.random() < 0.8 else "dependant"
                age = (0, 17) if role == "child" else (60, 90)
                members.append((role, rng.choice(["female", "male"]), birthdate(*age)))
            # The sub-county goes by turns, not by the random generator: the rest stays as it was.
            areas = (town_areas or {}).get(town) or [False]
            plans.append((family, town, members, areas[len(plans) % len(areas)]))

        households = Partner.create(
            [
                {
                    "name": "%s Household (%s)" % (family, town),
                    "is_registrant": True,
                    "is_group": True,
                    "registrant_state": state,
                    "city": town,
                    "area_id": area_id,
                    "country_id": country.id if country else False,
                }
                for family, town, _members, area_id in plans
            ]
        )
        individual_vals = []
        for (family, town, members, area_id), _household in zip(plans, households, strict=True):
            for _role, gender, born in members:
                individual_vals.append(
                    {
                        "given_name": rng.choice(GIVEN_NAMES[gender]),
                        "family_name": family,
                        "gender": gender,
                        "birthdate": born,
                        "disability": rng.random() < 0.04,
                        "is_registrant": True,
                        "registrant_state": state,
                        "city": town,
                        "area_id": area_id,
                        "country_id": country.id if country else False,
                    }
                )
        individuals = iter(Partner.create(individual_vals))

        membership_vals, id_vals, phone_vals, account_vals = [], [], [], []
        for (_family, _town, members, _area_id), household in zip(plans, households, strict=True):
            for role, _gender, born in members:
                person = next(individuals)
                membership_vals.append({"group_id": household.id, "individual_id": person.id, "role": role})
                if (today - born).days >= 18 * 365:
                    id_vals.append(
                        {"partner_id": person.id, "id_type_id": national_id.id, "value": new_national_id()}
                    )
                if role == "head":
                    msisdn = "+254%s%07d" % (rng.choice(MOBILE_PREFIXES), rng.randrange(10**7))
                    phone_vals.append({"partner_id": person.id, "phone_number": msisdn, "is_primary": True})
                    account_vals.append(self._demo_account_vals(rng, person, msisdn, psps))
        env["g2p.group.membership"].create(membership_vals)
        env["g2p.registrant.id"].create(id_vals)
        env["g2p.phone.number"].create(phone_vals)
        env["g2p.payment.account"].create(account_vals)
        return households

    @api.model
    def _demo_account_vals(self, rng, person, msisdn, psps):
        # Households are paid through their head; most heads have a wallet, some a bank account
        # or a cash pay point.
        kind = rng.choices(["mobile_wallet", "bank", "cash"], weights=[75, 15, 10])[0]
        vals = {"partner_id": person.id, "account_type": kind, "provider_id": psps[kind].id}
        if kind == "mobile_wallet":
            vals["msisdn"] = msisdn
        elif kind == "bank":
            vals["account_number"] = "%012d" % rng.randrange(10**11, 10**12)
        else:
            vals["pay_point_id"] = rng.choice(psps["cash"].pay_point_ids).id
        return vals
