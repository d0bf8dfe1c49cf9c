from . import test_verification
