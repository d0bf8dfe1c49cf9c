{
    "name": "G2P SMS Gateway",
    "summary": "Send Odoo's SMS through a generic HTTP SMS gateway (URL, auth, body template)",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    # g2p_registry: the G2P Administrator group that manages the gateways and reads their secrets.
    "depends": ["sms", "g2p_registry"],
    "data": [
        "security/ir.model.access.csv",
        "views/g2p_sms_gateway_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": ["demo/g2p_sms_gateway_demo.xml"],
    "installable": True,
}
