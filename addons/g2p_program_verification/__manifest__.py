{
    "name": "G2P Program Verification",
    "summary": "Programs that enrol only registrants whose ID the civil registry verified",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_program", "g2p_registry_verification"],
    "data": ["views/g2p_program_views.xml"],
    "auto_install": True,
    "installable": True,
}
