from . import test_tools_phee
from . import test_tools_jws
from . import test_phee_connector
from . import test_phee_payroll_stages
