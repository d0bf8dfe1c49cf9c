-- a copied database must not hold the GSMA provider's credentials
UPDATE g2p_payment_connector
   SET gsma_api_key = NULL,
       gsma_consumer_key = NULL,
       gsma_consumer_secret = NULL;
