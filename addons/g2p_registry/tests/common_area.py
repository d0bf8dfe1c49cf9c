from odoo.tests import new_test_user

from .common import RegistryCase


class AreaCase(RegistryCase):
    """A three-level tree (county → sub-county → ward) for two counties, a registrar limited to
    Kisumu County, and households in Kisumu, in one of its wards, in Nairobi and in no area."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Area = cls.env["g2p.area"]
        cls.kisumu = Area.create({"name": "Kisumu T", "code": "T-042", "level": "county"})
        cls.kisumu_central = Area.create(
            {"name": "Kisumu Central T", "code": "T-042-1", "level": "sub_county", "parent_id": cls.kisumu.id}
        )
        cls.railways = Area.create(
            {"name": "Railways T", "code": "T-042-1-1", "level": "ward", "parent_id": cls.kisumu_central.id}
        )
        cls.nairobi = Area.create({"name": "Nairobi T", "code": "T-047", "level": "county"})
        cls.westlands = Area.create(
            {"name": "Westlands T", "code": "T-047-1", "level": "sub_county", "parent_id": cls.nairobi.id}
        )
        cls.registrar_ksm = new_test_user(
            cls.env, "registrar_ksm", groups="g2p_registry.group_g2p_registrar", password="registrar_ksm"
        )
        cls.registrar_ksm.g2p_area_ids = cls.kisumu

        # Kisumu: a household whose member has no area of their own (seen through the household).
        cls.ksm_member = cls._individual("Akinyi", "Odhiambo")
        cls.ksm_household = cls._household(
            "Odhiambo Household", [(cls.ksm_member, "head")], area_id=cls.kisumu.id
        )
        cls.ksm_member.area_id = False
        cls.ward_household = cls._household("Ouma Household", area_id=cls.railways.id)
        # Nairobi: a household with a member who has an ID, a phone and a payment account.
        cls.nbi_member = cls._individual("Wanjiru", "Kamau", area_id=cls.westlands.id)
        cls.nbi_household = cls._household(
            "Kamau Household", [(cls.nbi_member, "head")], area_id=cls.westlands.id
        )
        cls.nbi_id = cls.env["g2p.registrant.id"].create(
            {"partner_id": cls.nbi_member.id, "id_type_id": cls.national_id.id, "value": "47000001"}
        )
        cls.nbi_phone = cls.env["g2p.phone.number"].create(
            {"partner_id": cls.nbi_member.id, "phone_number": "+254712000047"}
        )
        cls.nbi_account = cls.env["g2p.payment.account"].create(
            {
                "partner_id": cls.nbi_member.id,
                "account_type": "mobile_wallet",
                "provider_id": cls.mobile_psp.id,
                "msisdn": "+254712000047",
            }
        )
        cls.no_area_household = cls._household("Nowhere Household")

        cls.ours = (
            cls.ksm_member
            | cls.ksm_household
            | cls.ward_household
            | cls.nbi_member
            | cls.nbi_household
            | cls.no_area_household
        )
        cls.kisumu_registrants = cls.ksm_member | cls.ksm_household | cls.ward_household
