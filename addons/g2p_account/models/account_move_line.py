from odoo import api, fields, models
from odoo.tools import SQL


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    g2p_event = fields.Selection(
        related="move_id.g2p_event",
        store=True,
        string="G2P Event",
        help="The G2P money event of the entry, to filter and group journal items by it.",
    )

    # The parts of a full reconciliation in SQL (account.move._g2p_insert_bulk_lines): one partial
    # and one full reconcile per pair of items, as _reconcile_plan leaves a pair it matches fully.

    @api.model
    def _g2p_untouched_item_sql(self, alias):
        """SQL condition: item ``alias`` is posted, not reconciled at all (residual = amount, no
        partial, no full reconcile) and has no taxes."""
        item = SQL.identifier(alias)
        return SQL(
            """(%(item)s.parent_state = 'posted' AND NOT %(item)s.reconciled
                AND %(item)s.full_reconcile_id IS NULL AND %(item)s.tax_line_id IS NULL
                AND %(item)s.amount_residual = %(item)s.balance
                AND %(item)s.amount_residual_currency = %(item)s.amount_currency
                AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile r
                                 WHERE r.debit_move_id = %(item)s.id OR r.credit_move_id = %(item)s.id)
                AND NOT EXISTS (SELECT 1 FROM account_move_line_account_tax_rel tax
                                 WHERE tax.account_move_line_id = %(item)s.id))""",
            item=item,
        )

    @api.model
    def _g2p_fulls_insert_sql(self, full_ids_sql):
        """INSERT of the full reconciles whose ids (drawn from their sequence) ``full_ids_sql``
        selects as ``full_id``."""
        return SQL(
            """INSERT INTO account_full_reconcile (id, create_uid, create_date, write_uid, write_date)
               SELECT f.full_id, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                 FROM (%(ids)s) f""",
            ids=full_ids_sql,
            uid=self.env.uid,
        )

    @api.model
    def _g2p_partials_insert_sql(self, rows_sql):
        """INSERT of one partial per row of ``rows_sql`` (debit_id, credit_id, full_id,
        currency_id, amount, amount_currency, company_id, max_date): a full match in one currency,
        so both sides carry the same positive amounts."""
        return SQL(
            """INSERT INTO account_partial_reconcile
                      (debit_move_id, credit_move_id, full_reconcile_id, debit_currency_id,
                       credit_currency_id, amount, debit_amount_currency, credit_amount_currency,
                       company_id, max_date, create_uid, create_date, write_uid, write_date)
               SELECT r.debit_id, r.credit_id, r.full_id, r.currency_id, r.currency_id, r.amount,
                      r.amount_currency, r.amount_currency, r.company_id, r.max_date,
                      %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                 FROM (%(rows)s) r""",
            rows=rows_sql,
            uid=self.env.uid,
        )

    @api.model
    def _g2p_reconciled_update_sql(self, items_sql):
        """UPDATE marking the items ``items_sql`` selects (id, full_id) fully reconciled, as
        ``_compute_amount_residual`` and ``_update_matching_number`` leave them."""
        return SQL(
            """UPDATE account_move_line l
                  SET full_reconcile_id = i.full_id, matching_number = i.full_id::text,
                      amount_residual = 0, amount_residual_currency = 0, reconciled = TRUE,
                      write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                 FROM (%(items)s) i
                WHERE l.id = i.id""",
            items=items_sql,
            uid=self.env.uid,
        )

    def _g2p_invalidate_reconciliation(self):
        """After a reconciliation in SQL: items, partials, full reconciles and entries."""
        self.invalidate_model()
        self.env["account.partial.reconcile"].invalidate_model()
        self.env["account.full.reconcile"].invalidate_model()
        self.env["account.move"].invalidate_model()
