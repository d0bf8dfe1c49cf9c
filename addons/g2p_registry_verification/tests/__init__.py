from . import test_verification
from . import test_verification_tour
