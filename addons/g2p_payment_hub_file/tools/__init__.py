"""Bank file formats (ISO 20022 pain.001, bank CSV): pure Python, no ORM. The shared amount
formatting and errors are the hub's (``odoo.addons.g2p_payment_hub.tools``)."""
