from . import log_redaction
from . import controllers
from . import models

# Every process that imports the hub keeps callback tokens out of its request log.
log_redaction.FILTER.install()
