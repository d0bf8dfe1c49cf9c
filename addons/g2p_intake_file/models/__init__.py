from . import g2p_intake_source
