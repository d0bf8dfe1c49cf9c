from collections import Counter

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.g2p_registry.tools.sql import pg_array


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    g2p_event = fields.Selection(
        related="move_id.g2p_event",
        store=True,
        string="G2P Event",
        help="The G2P money event of the entry, to filter and group journal items by it.",
    )

    @api.model
    def _g2p_reconcile_pairs_set_based(self, pairs):
        """Fully reconcile each pair (item id, item id) of ``pairs`` in SQL, as ``_reconcile_plan``
        would: one partial (debit, credit, amounts in both currencies, currencies, company of the
        credit item, latest date) and one full reconcile per pair, the items' residual amounts
        zero, ``reconciled`` set and their matching number the full reconcile's id.

        Only pairs Odoo settles without any other entry are taken: two posted, still untouched
        items (residual = amount, no partial) of one reconcilable account and company, in the
        company's currency (in a foreign one, the partial amounts come from rates), of exactly
        opposite amounts (so no exchange difference), without taxes (so no cash-basis entry),
        each item in one pair only. Returns the pairs left, for ``_reconcile_plan``."""
        seen = Counter(item for pair in pairs for item in pair)
        single = [pair for pair in pairs if seen[pair[0]] == seen[pair[1]] == 1]
        if not single:
            return list(pairs)
        self.env.flush_all()
        first, second = zip(*single, strict=True)
        eligible = SQL(
            """SELECT CASE WHEN x.balance > 0 THEN x.id ELSE y.id END AS debit_id,
                      CASE WHEN x.balance > 0 THEN y.id ELSE x.id END AS credit_id
                 FROM unnest(%(first)s::int[], %(second)s::int[]) AS p(x_id, y_id)
                 JOIN account_move_line x ON x.id = p.x_id
                 JOIN account_move_line y ON y.id = p.y_id
                 JOIN account_account a ON a.id = x.account_id
                WHERE a.reconcile AND x.id != y.id
                  AND y.account_id = x.account_id AND y.company_id = x.company_id
                  AND y.currency_id = x.currency_id AND x.currency_id = x.company_currency_id
                  AND x.parent_state = 'posted' AND y.parent_state = 'posted'
                  AND x.balance != 0 AND x.balance + y.balance = 0
                  AND x.amount_currency + y.amount_currency = 0
                  AND x.amount_residual = x.balance AND y.amount_residual = y.balance
                  AND x.amount_residual_currency = x.amount_currency
                  AND y.amount_residual_currency = y.amount_currency
                  AND NOT x.reconciled AND NOT y.reconciled
                  AND x.full_reconcile_id IS NULL AND y.full_reconcile_id IS NULL
                  AND x.tax_line_id IS NULL AND y.tax_line_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile r
                                   WHERE r.debit_move_id IN (x.id, y.id) OR r.credit_move_id IN (x.id, y.id))
                  AND NOT EXISTS (SELECT 1 FROM account_move_line_account_tax_rel t
                                   WHERE t.account_move_line_id IN (x.id, y.id))
             ORDER BY p.x_id""",
            first=pg_array(first),
            second=pg_array(second),
        )
        rows = self.env.execute_query(
            SQL(
                """WITH pairs AS MATERIALIZED (
                        SELECT e.debit_id, e.credit_id, nextval('account_full_reconcile_id_seq') AS full_id
                          FROM (%(eligible)s) e
                   ), fulls AS (
                        INSERT INTO account_full_reconcile
                               (id, create_uid, create_date, write_uid, write_date)
                        SELECT full_id, %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                          FROM pairs
                   ), partials AS (
                        INSERT INTO account_partial_reconcile
                               (debit_move_id, credit_move_id, full_reconcile_id, debit_currency_id,
                                credit_currency_id, amount, debit_amount_currency, credit_amount_currency,
                                company_id, max_date, create_uid, create_date, write_uid, write_date)
                        SELECT d.id, c.id, pairs.full_id, d.currency_id, c.currency_id, d.balance,
                               d.amount_currency, -c.amount_currency, c.company_id, GREATEST(d.date, c.date),
                               %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                          FROM pairs
                          JOIN account_move_line d ON d.id = pairs.debit_id
                          JOIN account_move_line c ON c.id = pairs.credit_id
                   ), items AS (
                        UPDATE account_move_line l
                           SET full_reconcile_id = i.full_id, matching_number = i.full_id::text,
                               amount_residual = 0, amount_residual_currency = 0, reconciled = TRUE,
                               write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                          FROM (SELECT debit_id AS id, full_id FROM pairs
                                UNION ALL SELECT credit_id, full_id FROM pairs) i
                         WHERE l.id = i.id
                   )
                   SELECT debit_id, credit_id FROM pairs""",
                eligible=eligible,
                uid=self.env.uid,
            )
        )
        done = {frozenset(row) for row in rows}
        self.invalidate_model()
        self.env["account.partial.reconcile"].invalidate_model()
        self.env["account.full.reconcile"].invalidate_model()
        self.env["account.move"].invalidate_model()
        return [pair for pair in pairs if frozenset(pair) not in done]
