"""Status jobs moved from the channel root.g2p_payment_hub to root.g2p.payment_hub.status (declared
in the hub's data and named in odoo.conf): jobs still waiting follow them, or the job runner would
not find their channel in its configuration."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """UPDATE queue_job SET channel = 'root.g2p.payment_hub.status'
            WHERE channel = 'root.g2p_payment_hub' AND state NOT IN ('done', 'cancelled', 'failed')"""
        )
    )
