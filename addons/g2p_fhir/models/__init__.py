from . import g2p_fhir_resource
from . import g2p_id_type
from . import res_partner
from . import g2p_fhir_registrant
from . import g2p_fhir_patient
from . import g2p_fhir_group
from . import g2p_fhir_organization
