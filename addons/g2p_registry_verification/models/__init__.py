from . import g2p_verification_service
from . import g2p_verification_field_map
from . import g2p_registrant_id
from . import res_partner
from . import g2p_verification_demo
