"""Insurance entries posted before this version had no ``g2p_event``. Give them theirs, set-based,
from what reliably tells each kind apart (only entries still without an event are touched):

* a claim's entries are stored on the claim: receipt, approval, excess and provider payment; the
  reversal of a receipt (a rejected claim) is the claim's entry whose ``reversed_entry_id`` is the
  receipt;
* a cover's premium, refund and refund payment entries are stored on the cover;
* premium payments are not stored (a cover may take several): they are the other entries of the
  cover, without a claim, in a bank journal.

An entry that none of these rules matches keeps no event and is logged with its id (none is
posted by the insurance code as of this version; a hand-made entry linked to a cover could be)."""

import logging

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CLAIM_EVENTS = {
    "receipt_move_id": "ins_claim_received",
    "approval_move_id": "ins_claim_approved",
    "excess_move_id": "ins_excess",
    "payment_move_id": "ins_provider_payment",
}
POLICY_EVENTS = {
    "premium_move_id": "ins_premium",
    "refund_move_id": "ins_refund",
    "refund_payment_move_id": "ins_refund_payment",
}


def _set_event(cr, table, column, event):
    cr.execute(
        SQL(
            """UPDATE account_move m SET g2p_event = %s FROM %s r
                WHERE r.%s = m.id AND m.g2p_event IS NULL""",
            event,
            SQL.identifier(table),
            SQL.identifier(column),
        )
    )


def migrate(cr, version):
    if not version:
        return
    for column, event in CLAIM_EVENTS.items():
        _set_event(cr, "g2p_insurance_claim", column, event)
    for column, event in POLICY_EVENTS.items():
        _set_event(cr, "g2p_insurance_policy", column, event)
    cr.execute(
        SQL(
            """UPDATE account_move m SET g2p_event = 'ins_claim_rejected'
                 FROM g2p_insurance_claim c
                WHERE m.g2p_claim_id = c.id AND m.reversed_entry_id = c.receipt_move_id
                  AND m.g2p_event IS NULL"""
        )
    )
    cr.execute(
        SQL(
            """UPDATE account_move m SET g2p_event = 'ins_premium_payment'
                 FROM account_journal j
                WHERE m.journal_id = j.id AND j.type = 'bank'
                  AND m.g2p_policy_id IS NOT NULL AND m.g2p_claim_id IS NULL
                  AND m.g2p_event IS NULL"""
        )
    )
    cr.execute(
        SQL(
            """UPDATE account_move_line l SET g2p_event = m.g2p_event
                 FROM account_move m
                WHERE l.move_id = m.id AND m.g2p_event = ANY(%s)
                  AND l.g2p_event IS DISTINCT FROM m.g2p_event""",
            [*CLAIM_EVENTS.values(), *POLICY_EVENTS.values(), "ins_claim_rejected", "ins_premium_payment"],
        )
    )
    cr.execute(
        SQL(
            """SELECT array_agg(id ORDER BY id) FROM account_move
                WHERE (g2p_policy_id IS NOT NULL OR g2p_claim_id IS NOT NULL) AND g2p_event IS NULL"""
        )
    )
    left = cr.fetchone()[0]
    if left:
        _logger.warning("Insurance entries left without a G2P event (not derivable): %s", left)
