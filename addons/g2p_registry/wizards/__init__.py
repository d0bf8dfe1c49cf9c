from . import g2p_registrant_disable_wizard
from . import g2p_change_request_reject_wizard
