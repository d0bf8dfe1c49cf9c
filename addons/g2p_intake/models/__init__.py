from . import g2p_intake_source
from . import g2p_intake_record
from . import g2p_intake_service
from . import res_partner
from . import g2p_intake_run
