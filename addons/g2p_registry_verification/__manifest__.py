{
    "name": "G2P Civil Registry Verification",
    "summary": "Verify registrants' ID numbers against a civil registry's SOAP service (zeep), also "
    "through X-Road, one by one or in bulk jobs",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_registry", "queue_job"],
    "external_dependencies": {"python": ["zeep"]},
    "data": [
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "views/g2p_verification_service_views.xml",
        "views/res_partner_views.xml",
        "security/g2p_verification_rules.xml",
    ],
    "demo": ["demo/g2p_verification_demo.xml"],
    "assets": {
        "web.assets_tests": ["g2p_registry_verification/static/tests/tours/*.js"],
    },
    "installable": True,
}
