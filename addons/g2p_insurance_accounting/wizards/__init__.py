from . import g2p_insurance_claim_reject_wizard
from . import g2p_insurance_policy_cancel_wizard
from . import g2p_insurance_premium_payment_wizard
