from . import g2p_payroll_fee_wizard
