from . import g2p_registrant_disable_wizard
