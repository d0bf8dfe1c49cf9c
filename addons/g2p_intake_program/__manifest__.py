{
    "name": "G2P Registry Intake: Program Proposals",
    "summary": "Propose the households or individuals an intake source applies for enrolment in a program",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    # The bridge between the intake (beside the registry) and the programs above it: neither
    # depends on the other, this installs by itself when both are there.
    "depends": ["g2p_intake", "g2p_program"],
    "data": [
        "views/g2p_intake_source_views.xml",
        "views/g2p_program_membership_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
