from . import test_odk_pull
from . import test_odk_tours
from . import test_odk_export
