from . import test_security, test_fhir_api, test_fhir_write, test_fhir_bundle, test_fhir_export
