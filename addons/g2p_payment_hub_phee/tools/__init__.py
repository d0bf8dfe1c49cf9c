"""PH-EE wire formats (CSV/JSON instructions, JWS signature): pure Python, no ORM. The shared
amount formatting and errors are the hub's (``odoo.addons.g2p_payment_hub.tools``)."""
