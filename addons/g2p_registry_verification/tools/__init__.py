from . import soap_client
