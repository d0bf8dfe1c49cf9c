"""``account.move.g2p_event`` moved to the new module ``g2p_account``; payroll now only adds its
values to it (``selection_add``).

When Odoo upgrades g2p_payroll with a refreshed module list it installs the new dependency first by
itself. This script makes the move safe whatever the order: g2p_account is marked to install (its
row is created when the module list was not refreshed yet), and the field's external id is handed
to g2p_account, so that no module update ever sees the field as removed: the column and every
entry's event are kept.

The external ids of the selection values stay with g2p_payroll: payroll still declares those
values (``selection_add``), and Odoo names a value's external id after the module declaring it."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("SELECT id, state FROM ir_module_module WHERE name = 'g2p_account'"))
    row = cr.fetchone()
    if not row:
        cr.execute(
            SQL(
                """INSERT INTO ir_module_module (name, state, demo, license, author, auto_install)
                   VALUES ('g2p_account', 'to install', FALSE, 'LGPL-3', 'G2P for Odoo', FALSE)
                   RETURNING id"""
            )
        )
        module_id = cr.fetchone()[0]
        cr.execute(
            SQL(
                """INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
                   VALUES ('base', 'module_g2p_account', 'ir.module.module', %s, TRUE)
                   ON CONFLICT DO NOTHING""",
                module_id,
            )
        )
    elif row[1] in ("uninstalled", "to remove"):
        cr.execute(SQL("UPDATE ir_module_module SET state = 'to install' WHERE id = %s", row[0]))
    cr.execute(
        SQL(
            """UPDATE ir_model_data d SET module = 'g2p_account'
                WHERE d.module = 'g2p_payroll' AND d.model = 'ir.model.fields'
                  AND d.name = 'field_account_move__g2p_event'
                  AND NOT EXISTS (SELECT 1 FROM ir_model_data o
                                   WHERE o.module = 'g2p_account' AND o.name = d.name)"""
        )
    )
