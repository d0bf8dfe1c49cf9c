-- a copied database must not hold the Fineract login
UPDATE g2p_payment_connector
   SET fineract_username = NULL,
       fineract_password = NULL;
