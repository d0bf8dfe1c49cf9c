{
    "name": "G2P Programs",
    "summary": "Cash-transfer programs: eligibility, enrolment, cycles, benefit formula",
    "version": "19.0.1.1.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_registry", "queue_job"],
    "data": [
        # groups first: the access file and record rules refer to them
        "security/g2p_security.xml",
        "security/ir.model.access.csv",
        # actions before menus
        "views/g2p_job_run_views.xml",
        "views/g2p_program_views.xml",
        "views/g2p_program_membership_views.xml",
        "views/g2p_cycle_views.xml",
        "views/g2p_menus.xml",
        "security/g2p_record_rules.xml",
    ],
    "demo": [
        # loaded after g2p_registry's demo (a dependency), which generates the households
        "demo/g2p_program_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["g2p_program/static/tests/tours/*.js"],
    },
    "installable": True,
}
