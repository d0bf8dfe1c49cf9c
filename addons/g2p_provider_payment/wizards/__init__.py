from . import g2p_provider_payment_bank_report
