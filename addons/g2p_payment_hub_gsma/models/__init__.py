from . import g2p_payment_batch
from . import g2p_payment_connector
