{
    "name": "G2P Registry Intake: ODK Central",
    "summary": "Pull household submissions from ODK Central (pyodk) into the registry intake",
    "version": "19.0.1.1.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_intake"],
    "external_dependencies": {"python": ["pyodk"]},
    "data": [
        # access rights refer to the registry's groups and to the models of this addon
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        # actions before menus
        "views/g2p_intake_odk_source_views.xml",
        "views/g2p_intake_odk_import_views.xml",
        "views/g2p_intake_odk_menus.xml",
        "security/g2p_intake_odk_rules.xml",
    ],
    "demo": ["demo/g2p_intake_odk_demo.xml"],
    "assets": {
        "web.assets_tests": ["g2p_intake_odk/static/tests/tours/*.js"],
    },
    "installable": True,
}
