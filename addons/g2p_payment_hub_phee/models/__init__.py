from . import g2p_payment_connector
