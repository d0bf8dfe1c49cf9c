from . import test_provider_payment
from . import test_provider_payment_bank_file
