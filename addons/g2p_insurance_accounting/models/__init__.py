from . import (
    account_move,
    account_move_line,
    g2p_insurance_category,
    g2p_insurance_claim,
    g2p_insurance_demo,
    g2p_insurance_employer_payment,
    g2p_insurance_employer_payment_line,
    g2p_insurance_policy,
    g2p_insurance_pool_report,
    g2p_insurance_product,
    g2p_insurance_product_category,
    res_company,
)
