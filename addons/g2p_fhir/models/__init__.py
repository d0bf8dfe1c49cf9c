from . import g2p_fhir_resource
from . import g2p_fhir_insurance
from . import g2p_fhir_coverage
from . import g2p_fhir_claim
from . import g2p_fhir_claim_response
from . import g2p_fhir_payment_notice
from . import g2p_fhir_payment_reconciliation
from . import g2p_fhir_invoice
