from . import test_kinoti, test_security
