from . import test_notice
from . import test_notice_bulk
