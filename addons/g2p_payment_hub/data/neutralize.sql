-- a copied database must not talk to real processors, nor hold their credentials, nor accept
-- their callbacks
UPDATE g2p_payment_connector
   SET state = 'disabled',
       phee_username = NULL,
       phee_password = NULL,
       phee_jws_private_key = NULL;
UPDATE g2p_payment_batch SET callback_token = NULL;
