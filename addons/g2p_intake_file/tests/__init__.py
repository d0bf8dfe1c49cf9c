from . import test_file_import
