from . import g2p_intake_odk_import
