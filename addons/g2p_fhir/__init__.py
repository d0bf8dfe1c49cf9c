from . import log_redaction
from . import controllers, models

log_redaction.FILTER.install()
