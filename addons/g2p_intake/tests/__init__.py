from . import test_intake_service
