from . import test_security, test_fhir_api
