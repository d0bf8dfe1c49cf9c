from . import test_sms_gateway
