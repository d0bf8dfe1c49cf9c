-- a copied database must not hold the civil registry credentials nor call the service
UPDATE g2p_verification_service
   SET password = NULL,
       active = FALSE;
