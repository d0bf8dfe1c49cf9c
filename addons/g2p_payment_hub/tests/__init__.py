from . import test_security
from . import test_batches
from . import test_redaction
from . import test_connector_base
from . import test_status_jobs
from . import test_screens
