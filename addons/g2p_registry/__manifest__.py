{
    "name": "G2P Registry",
    "summary": "Beneficiary registry: individuals, households, IDs, phones, payment accounts, PSPs",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["base", "mail"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        # groups first: the access file and record rules refer to them
        "security/g2p_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/g2p_payment_mechanism_data.xml",
        "wizards/g2p_registrant_disable_wizard_views.xml",
        # actions before menus
        "views/res_partner_registrant_views.xml",
        "views/g2p_group_membership_views.xml",
        "views/g2p_id_type_views.xml",
        "views/g2p_psp_views.xml",
        "views/g2p_duplicate_views.xml",
        "views/g2p_change_request_views.xml",
        "views/g2p_area_views.xml",
        # inherits the registrant forms; refers to its own erasure request dialog by xmlid at run time
        "views/g2p_privacy_views.xml",
        "views/res_users_views.xml",
        "views/g2p_menus.xml",
        "security/g2p_record_rules.xml",
        "security/g2p_change_request_rules.xml",
    ],
    "demo": [
        # the area tree first: the registry generator puts households in its sub-counties
        "demo/g2p.area.csv",
        "demo/g2p_registry_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["g2p_registry/static/tests/tours/*.js"],
    },
    "application": True,
    "installable": True,
}
