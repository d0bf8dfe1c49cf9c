from . import test_program_verification
