-- a copied database must not talk to real processors, nor accept their callbacks; each connector
-- addon blanks its own credentials in its data/neutralize.sql
UPDATE g2p_payment_connector SET state = 'disabled';
UPDATE g2p_payment_batch SET callback_token = NULL;
