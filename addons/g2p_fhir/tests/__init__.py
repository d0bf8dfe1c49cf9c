from . import test_security
from . import test_fhir_insurance
from . import test_fhir_payments
