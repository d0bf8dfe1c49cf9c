{
    "name": "G2P Payment Hub: Bank Files",
    "summary": "Writes payment batches as ISO 20022 pain.001 or CSV files for the bank",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_payment_hub"],
    "data": [
        "security/g2p_security.xml",
        "views/g2p_payment_connector_views.xml",
    ],
    "installable": True,
}
