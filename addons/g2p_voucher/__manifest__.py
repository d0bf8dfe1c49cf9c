{
    "name": "G2P Cash Vouchers",
    "summary": "Cash at pay points: pay lists, signed vouchers, redemption by pay-point agents, expiry",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_payroll"],
    "data": [
        "security/g2p_voucher_security.xml",
        "security/ir.model.access.csv",
        "data/g2p_voucher_cron.xml",
        "views/g2p_voucher_views.xml",
        "views/g2p_pay_point_views.xml",
        "views/g2p_program_views.xml",
        # the payroll form's buttons open the voucher list and print the reports
        "report/g2p_voucher_report_actions.xml",
        "report/g2p_voucher_templates.xml",
        "views/g2p_payroll_views.xml",
        "views/g2p_voucher_menus.xml",
        "views/g2p_voucher_redeem_templates.xml",
        "security/g2p_voucher_rules.xml",
    ],
    "demo": [
        # after g2p_payroll's demo: the approved Child Grant payroll pays some households in cash
        "demo/g2p_voucher_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["g2p_voucher/static/tests/tours/*.js"],
    },
    "installable": True,
}
