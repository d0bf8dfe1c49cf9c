"""Payroll lines lost the index on their program (and earlier the one on their state): every
state change of every line paid for it, and the program's figures reach its lines through the
payroll. Odoo keeps an index whose field no longer asks for one, so it is dropped here."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP INDEX IF EXISTS g2p_payroll_line__program_id_index")
    cr.execute("DROP INDEX IF EXISTS g2p_payroll_line__state_index")
