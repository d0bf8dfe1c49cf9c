from . import (
    g2p_cycle,
    g2p_program,
    g2p_program_benefit_topup,
    g2p_program_eligibility_rule,
    g2p_program_membership,
    res_partner,
)
