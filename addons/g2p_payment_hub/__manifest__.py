{
    "name": "G2P Payment Hub",
    "summary": "Sends payroll payments to payment processors through connector addons and closes the loop",
    "version": "19.0.1.2.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_payroll", "queue_job"],
    "data": [
        "security/g2p_security.xml",
        "security/ir.model.access.csv",
        # the job function and crons refer to the batch model and the queue_job root channel
        "data/g2p_payment_hub_data.xml",
        # actions before the menus that open them
        "views/g2p_payment_connector_views.xml",
        "views/g2p_payment_batch_views.xml",
        "views/g2p_payment_collection_views.xml",
        "views/g2p_payment_transfer_views.xml",
        "views/g2p_payroll_views.xml",
        "views/g2p_menus.xml",
        "security/g2p_record_rules.xml",
    ],
    "installable": True,
}
