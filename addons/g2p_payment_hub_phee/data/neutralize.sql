-- a copied database must not hold the PH-EE operations login nor the signing key
UPDATE g2p_payment_connector
   SET phee_username = NULL,
       phee_password = NULL,
       phee_jws_private_key = NULL;
