{
    "name": "G2P Premium Collection by Mobile Money",
    "summary": "Collect insurance premiums from the payer's mobile wallet through the payment hub",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_insurance_accounting", "g2p_payment_hub"],
    "data": [
        "security/ir.model.access.csv",
        "wizards/g2p_insurance_collect_wizard_views.xml",
        "views/g2p_payment_collection_views.xml",
        "views/g2p_insurance_policy_views.xml",
        "views/g2p_menus.xml",
    ],
    "demo": [
        "demo/g2p_premium_collection_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["g2p_premium_collection/static/tests/tours/*.js"],
    },
    "auto_install": True,
    "installable": True,
}
