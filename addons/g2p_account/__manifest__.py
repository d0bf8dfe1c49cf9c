{
    "name": "G2P Accounting Base",
    "summary": "Shared accounting for G2P: accounts and journals on first use, posting with the "
    "lock-date check, the G2P event of every journal entry",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_registry", "account"],
    "data": [
        "views/account_move_views.xml",
        "views/account_move_line_views.xml",
    ],
    "pre_init_hook": "_pre_init_hook",
    "installable": True,
}
