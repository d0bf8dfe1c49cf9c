-- a copied database must not hold the gateways' credentials nor send SMS through them
UPDATE g2p_sms_gateway
   SET auth_password = NULL,
       auth_token = NULL,
       auth_header_value = NULL,
       active = FALSE;
