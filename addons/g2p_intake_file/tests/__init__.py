from . import test_file_import, test_file_tours
