from . import test_intake_service
from . import test_intake_batch
