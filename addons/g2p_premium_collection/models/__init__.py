from . import g2p_payment_collection
from . import g2p_insurance_policy
from . import g2p_premium_collection_demo
