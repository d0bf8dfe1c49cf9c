from . import test_connector_gsma
