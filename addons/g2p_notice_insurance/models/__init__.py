from . import g2p_insurance_claim
from . import g2p_insurance_product
from . import g2p_notice
