{
    "name": "G2P FHIR",
    "summary": "HL7 FHIR R4 exchange of registrants, households, payments and insurance",
    "version": "19.0.1.0.0",
    "category": "G2P",
    "author": "G2P for Odoo",
    "website": "https://github.com/g2p-odoo/g2p-odoo",
    "license": "LGPL-3",
    "external_dependencies": {"python": ["fhir.resources"]},
    "depends": ["g2p_registry", "g2p_payroll", "g2p_insurance_accounting", "queue_job"],
    "data": [
        "security/g2p_security.xml",
        "security/ir.model.access.csv",
        "data/g2p_fhir_data.xml",
        # the bulk export job function refers to the export model and queue_job's root channel
        "data/g2p_fhir_export_data.xml",
        "views/g2p_id_type_views.xml",
        "views/g2p_menus.xml",
        "views/g2p_fhir_export_views.xml",
        "security/g2p_fhir_export_rules.xml",
    ],
    "installable": True,
}
