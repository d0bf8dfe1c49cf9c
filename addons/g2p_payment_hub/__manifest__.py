{
    "name": "G2P Payment Hub",
    "summary": "Sends payroll payments to bulk payment processors (Mifos PH-EE first) and closes the loop",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_payroll"],
    "data": [
        "security/g2p_security.xml",
        "views/g2p_menus.xml",
    ],
    "installable": True,
}
