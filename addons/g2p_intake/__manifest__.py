{
    "name": "G2P Registry Intake",
    "summary": "Staged external records (ODK submissions, file rows) matched into the registry",
    "version": "19.0.1.1.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_registry", "queue_job"],
    "data": [
        # access rights refer to the registry's groups (g2p_registry/security/g2p_security.xml)
        "security/ir.model.access.csv",
        # actions before menus
        "views/g2p_intake_record_views.xml",
        "views/g2p_intake_source_views.xml",
        "views/g2p_intake_run_views.xml",
        "views/res_partner_views.xml",
        "views/g2p_intake_menus.xml",
        "security/g2p_intake_rules.xml",
    ],
    "installable": True,
}
