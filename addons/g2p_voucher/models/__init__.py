from . import g2p_pay_point
from . import g2p_program
from . import g2p_voucher
from . import g2p_payroll
