from . import test_connector_fineract
