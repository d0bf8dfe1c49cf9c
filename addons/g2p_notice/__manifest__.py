{
    "name": "G2P Notices",
    "summary": "Tell beneficiaries by SMS and e-mail when their payment is sent, paid or failed",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    # sms: Odoo's SMS (sent through the company's provider, e.g. g2p_sms_gateway); queue_job: the jobs.
    "depends": ["g2p_payroll", "sms", "queue_job"],
    "data": [
        "security/ir.model.access.csv",
        "data/sms_template_data.xml",
        "data/mail_template_data.xml",
        "views/g2p_notice_views.xml",
        "views/g2p_program_views.xml",
        "views/res_partner_views.xml",
        "security/g2p_notice_rules.xml",
    ],
    "demo": ["demo/g2p_notice_demo.xml"],
    "installable": True,
}
