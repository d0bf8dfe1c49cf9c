from . import test_odk_source_form
