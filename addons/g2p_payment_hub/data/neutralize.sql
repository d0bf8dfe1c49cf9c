-- a copied database must not talk to real processors, nor hold their credentials, nor accept
-- their callbacks
UPDATE g2p_payment_connector
   SET state = 'disabled',
       phee_username = NULL,
       phee_password = NULL,
       phee_jws_private_key = NULL,
       gsma_api_key = NULL,
       gsma_consumer_key = NULL,
       gsma_consumer_secret = NULL,
       fineract_username = NULL,
       fineract_password = NULL;
UPDATE g2p_payment_batch SET callback_token = NULL;
