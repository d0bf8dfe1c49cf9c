from . import test_intake_program
