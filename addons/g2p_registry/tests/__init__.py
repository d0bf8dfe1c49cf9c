from . import test_registry_duplicates_demo
from . import test_registry_household
from . import test_registry_ids_phones
from . import test_registry_lifecycle_access
from . import test_registry_payment_accounts
from . import test_registry_tour
from . import test_tools_sql
from . import test_state_mixin
