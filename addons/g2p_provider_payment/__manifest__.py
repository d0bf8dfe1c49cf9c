{
    "name": "G2P Provider Payments through the Payment Hub",
    "summary": "Pay hospitals and clinics for approved claims in payment runs, through a processor, "
    "with maker-checker approval",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_insurance_accounting", "g2p_payment_hub"],
    "data": [
        "security/ir.model.access.csv",
        "security/g2p_record_rules.xml",
        "data/g2p_provider_payment_data.xml",
        "wizards/g2p_provider_payment_bank_report_views.xml",
        "views/g2p_provider_payment_run_views.xml",
        "views/g2p_insurance_claim_views.xml",
        "views/g2p_menus.xml",
    ],
    "demo": [
        "demo/g2p_provider_payment_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["g2p_provider_payment/static/tests/tours/*.js"],
    },
    "auto_install": True,
    "installable": True,
}
