from . import g2p_insurance_collect_wizard
