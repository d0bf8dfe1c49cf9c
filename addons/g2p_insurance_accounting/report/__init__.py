from . import g2p_insurance_statement
