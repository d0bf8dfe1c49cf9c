from . import g2p_intake_source
from . import g2p_intake_record
from . import g2p_program_membership
