from . import test_tools_pain001
from . import test_tools_bank_csv
from . import test_connector_file
