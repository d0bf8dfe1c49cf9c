{
    "name": "G2P Insurance Accounting",
    "summary": "Health insurance: products with caps, covers, premiums, claims with excess, refunds",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_registry", "account"],
    "data": [
        "security/g2p_security.xml",
        "views/g2p_menus.xml",
    ],
    "installable": True,
}
