{
    "name": "G2P Notices for Insurance Claims",
    "summary": "Tell the family by SMS when a health-insurance claim is approved or rejected",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_notice", "g2p_insurance_accounting"],
    "data": [
        "security/ir.model.access.csv",
        "data/sms_template_data.xml",
        "views/g2p_insurance_product_views.xml",
        "views/g2p_notice_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
