from . import test_voucher
from . import test_voucher_concurrency
from . import test_voucher_reports
from . import test_voucher_tour
