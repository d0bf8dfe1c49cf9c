from . import g2p_payment_connector
from . import g2p_payment_batch
from . import g2p_payment_attempt
from . import g2p_payment_batch_log
from . import g2p_payment_outcome
from . import g2p_payroll
from . import g2p_payroll_line
