{
    "name": "G2P Payroll",
    "summary": "Payroll per cycle with maker-checker approval, funds and journal entries in Odoo Accounting",
    "version": "19.0.1.3.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_program", "g2p_account"],
    "data": [
        "security/g2p_security.xml",
        "security/ir.model.access.csv",
        "data/g2p_payroll_data.xml",
        # reconciliation actions are used by buttons on the payroll form
        "views/g2p_payroll_reconciliation_views.xml",
        "views/g2p_payroll_fee_wizard_views.xml",
        "views/g2p_payroll_views.xml",
        "views/g2p_payroll_line_views.xml",
        "views/g2p_program_fund_views.xml",
        "views/g2p_program_views.xml",
        "views/g2p_menus.xml",
        "report/g2p_payroll_report_actions.xml",
        "report/g2p_payroll_templates.xml",
        "report/g2p_payroll_reconciliation_templates.xml",
        "report/g2p_program_funds_templates.xml",
        "security/g2p_record_rules.xml",
    ],
    "demo": [
        # after g2p_program's demo (a dependency): the Child Grant program and its approved cycle
        "demo/g2p_payroll_demo.xml",
    ],
    "post_init_hook": "_post_init_hook",
    "installable": True,
}
