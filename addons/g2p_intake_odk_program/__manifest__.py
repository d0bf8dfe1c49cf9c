{
    "name": "G2P Registry Intake: ODK Program Proposals",
    "summary": "The program to propose enrolment in, on the ODK source form",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    # Only a view: the field is g2p_intake_program's, the form g2p_intake_odk's. Installs by itself
    # when both are there, so neither of them depends on the other.
    "depends": ["g2p_intake_odk", "g2p_intake_program"],
    "data": ["views/g2p_intake_odk_source_views.xml"],
    "auto_install": True,
    "installable": True,
}
