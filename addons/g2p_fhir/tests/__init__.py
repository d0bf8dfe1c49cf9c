from . import test_security
from . import test_fhir_export
