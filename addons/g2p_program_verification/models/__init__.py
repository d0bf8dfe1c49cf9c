from . import g2p_program
