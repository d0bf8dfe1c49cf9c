from odoo.tools import SQL, sql

from . import models


def _pre_init_hook(env):
    """On a database where ``account_move.g2p_event`` already exists (it was ``g2p_payroll``'s
    before this module), fill the journal items' stored copy in one statement, so that installing
    does not recompute it line by line."""
    cr = env.cr
    if not sql.column_exists(cr, "account_move", "g2p_event"):
        return
    if not sql.column_exists(cr, "account_move_line", "g2p_event"):
        sql.create_column(cr, "account_move_line", "g2p_event", "varchar")
    cr.execute(
        SQL(
            """UPDATE account_move_line aml SET g2p_event = m.g2p_event
                 FROM account_move m
                WHERE aml.move_id = m.id AND m.g2p_event IS NOT NULL
                  AND aml.g2p_event IS DISTINCT FROM m.g2p_event"""
        )
    )
