from . import g2p_provider_payment_run
from . import g2p_provider_payment_line
from . import g2p_payment_transfer
from . import g2p_insurance_claim
from . import g2p_provider_payment_demo
