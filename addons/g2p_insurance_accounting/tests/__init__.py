from . import test_events, test_kinoti, test_rules, test_security
from . import test_employer_payment, test_wizards
