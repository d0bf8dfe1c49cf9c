-- A copied database must not pull from the production Central with its credentials.
UPDATE g2p_intake_odk_source SET odk_password = NULL, auto_pull = FALSE;
