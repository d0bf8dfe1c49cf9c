from . import test_security
from . import test_golden
from . import test_approval
from . import test_reconciliation
from . import test_reports
from . import test_demo
from . import test_accounting
from . import test_screens
