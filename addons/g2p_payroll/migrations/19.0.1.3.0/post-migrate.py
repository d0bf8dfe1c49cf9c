"""Fund receipts cancelled before this version were reversed without an event: their reversal is
the fund's ``reversal_move_id``, so it gets ``fund_reversal`` (set-based, only where none is set)."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """UPDATE account_move m SET g2p_event = 'fund_reversal'
                 FROM g2p_program_fund f
                WHERE f.reversal_move_id = m.id AND m.g2p_event IS NULL"""
        )
    )
    cr.execute(
        SQL(
            """UPDATE account_move_line l SET g2p_event = m.g2p_event
                 FROM account_move m
                WHERE l.move_id = m.id AND m.g2p_event = 'fund_reversal'
                  AND l.g2p_event IS DISTINCT FROM m.g2p_event"""
        )
    )
