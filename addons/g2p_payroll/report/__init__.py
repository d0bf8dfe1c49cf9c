from . import g2p_payroll_reports
