from . import g2p_intake_source
from . import g2p_intake_odk_mapping
from . import g2p_intake_odk_source
from . import g2p_intake_odk_demo
from . import g2p_intake_odk_export
