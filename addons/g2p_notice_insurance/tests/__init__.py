from . import test_claim_notice
