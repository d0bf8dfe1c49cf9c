from . import (
    test_registry_duplicates_demo,
    test_registry_household,
    test_registry_ids_phones,
    test_registry_lifecycle_access,
    test_registry_payment_accounts,
)
