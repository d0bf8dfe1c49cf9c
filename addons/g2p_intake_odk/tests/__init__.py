from . import test_odk_pull
