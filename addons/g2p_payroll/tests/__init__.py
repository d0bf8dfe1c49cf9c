from . import test_security
from . import test_golden
from . import test_reports
from . import test_demo
