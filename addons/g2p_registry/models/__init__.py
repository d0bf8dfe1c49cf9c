from . import (
    g2p_duplicate,
    g2p_group_membership,
    g2p_id_type,
    g2p_pay_point,
    g2p_payment_account,
    g2p_payment_mechanism,
    g2p_phone_number,
    g2p_registrant_id,
    g2p_registry_demo,
    res_partner,
)
