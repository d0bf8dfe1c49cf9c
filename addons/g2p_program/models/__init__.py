from . import (
    g2p_job_chunk,
    g2p_job_run,
    g2p_job_mixin,
    g2p_cycle,
    g2p_program,
    g2p_program_benefit_topup,
    g2p_program_eligibility_rule,
    g2p_program_membership,
    res_partner,
)
