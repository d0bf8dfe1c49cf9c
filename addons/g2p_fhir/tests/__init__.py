from . import (
    test_fhir_api,
    test_fhir_bundle,
    test_fhir_export,
    test_fhir_insurance,
    test_fhir_invalid,
    test_fhir_payments,
    test_fhir_robustness,
    test_fhir_write,
    test_security,
    test_privacy,
)
