from . import g2p_notice
from . import g2p_payroll_line
from . import g2p_program
from . import res_partner
