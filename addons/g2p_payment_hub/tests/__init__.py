from . import test_security
from . import test_tools_phee
from . import test_tools_jws
from . import test_tools_pain001
from . import test_tools_bank_csv
from . import test_batches
from . import test_connector_gsma
from . import test_connector_fineract
