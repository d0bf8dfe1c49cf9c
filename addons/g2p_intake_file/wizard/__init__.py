from . import g2p_intake_file_import, g2p_intake_file_import_line
