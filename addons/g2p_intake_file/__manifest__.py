{
    "name": "G2P Registry Intake: CSV/XLSX Files",
    "summary": "Import households and individuals from CSV or XLSX files into the registry intake",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "depends": ["g2p_intake"],
    "external_dependencies": {"python": ["openpyxl", "chardet"]},
    "data": [
        # access rights refer to the registry's groups and to the wizard models of this addon
        "security/ir.model.access.csv",
        "data/g2p_intake_file_data.xml",
        # actions before menus
        "views/g2p_intake_file_import_views.xml",
        "views/g2p_intake_file_menus.xml",
    ],
    # After the registry's demo (its individuals and National ID type): a file checked and imported.
    "demo": ["demo/g2p_intake_file_demo.xml"],
    "assets": {
        "web.assets_tests": ["g2p_intake_file/static/tests/tours/*.js"],
    },
    "installable": True,
}
