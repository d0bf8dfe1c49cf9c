{
    "name": "G2P Payroll",
    "summary": "Payroll per cycle with maker-checker approval, funds and journal entries in Odoo Accounting",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_program", "account"],
    "data": [
        "security/g2p_security.xml",
        "views/g2p_menus.xml",
    ],
    "installable": True,
}
