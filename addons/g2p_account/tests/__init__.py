from . import test_g2p_account
