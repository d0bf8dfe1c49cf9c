from . import g2p_fhir_resource
