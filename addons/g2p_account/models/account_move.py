from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_repr, float_round
from odoo.tools.misc import format_date

from odoo.addons.g2p_registry.tools.sql import pg_array

# Columns Odoo's computes on account.move.line read from the fields a caller may vary per line:
# partner (analytic distribution models, checked before) and the amounts (derived above).
_VARYING_ACCOUNT_FIELDS = ("name", "partner_id", "balance", "amount_currency")


class AccountMove(models.Model):
    _inherit = "account.move"

    # Each G2P addon adds its events with ``selection_add`` (and ``ondelete``), so finance can
    # filter and group every G2P entry by what it records.
    g2p_event = fields.Selection(
        selection=[],
        string="G2P Event",
        readonly=True,
        copy=False,
        help="Which G2P money event this entry records.",
    )

    @api.model
    def _g2p_post(self, vals_list):
        """Create and post balanced G2P entries (``move_type`` entry) in one create and one post.

        Each vals must name its ``journal_id``, ``date`` and ``g2p_event``. Lock dates are checked
        first: ``_post()`` would silently move an entry dated in a locked period. Posting runs as
        superuser on purpose: the callers check the G2P role and record who acted (approver,
        finance officer, claims officer) on their own records."""
        self._g2p_check_postable(vals_list)
        moves = self.sudo().create([{"move_type": "entry", **vals} for vals in vals_list])
        moves.action_post()
        return moves.sudo(False)

    @api.model
    def _g2p_check_postable(self, vals_list):
        """Each vals names its event, and its date is not in a locked period of its journal."""
        Journal = self.env["account.journal"].sudo()
        for vals in vals_list:
            if not vals.get("g2p_event"):
                raise ValueError("A G2P entry must say which event it records (g2p_event).")
            journal = Journal.browse(vals["journal_id"])
            if journal.company_id._get_violated_lock_dates(vals["date"], False, journal):
                raise UserError(
                    _(
                        "The accounting period of %(date)s is locked for %(journal)s: the entry cannot "
                        "be posted on that date. Ask an accountant to reopen the period or use another date.",
                        date=format_date(self.env, vals["date"]),
                        journal=journal.display_name,
                    )
                )

    @api.model
    def _g2p_post_set_based(self, vals, bulk_lines, reconcile_with=None):
        """Post one G2P entry whose many similar lines (one per beneficiary) are written in SQL.

        ``vals`` is one entry as for :meth:`_g2p_post`, with its few other lines in ``line_ids``;
        ``bulk_lines`` are line vals on one account and currency, whose balances have one sign
        and which may differ only in ``name``, ``partner_id``, ``balance``, ``amount_currency``
        and in the plain stored fields of other addons (e.g. the payroll line of each).

        The ORM creates and posts the entry with one template line holding the bulk lines' total:
        the entry gets its number from the journal sequence, its lock-date and balance checks,
        its totals, analytic lines and every computed field as Odoo writes them. One statement
        then copies the template's stored columns into one line per bulk vals (the template
        itself becomes the first), with that vals' own values and what follows from its amounts
        (debit, credit, residual amounts, reconciled, totals). Equal, column by column, to what
        :meth:`_g2p_post` writes for the same lines (tested), at a fraction of the cost. Falls back to
        :meth:`_g2p_post` when the journal hashes its entries on posting (the hash would be of the
        template) or when an analytic distribution model depends on the partner.

        ``reconcile_with``: an item id (or None) per bulk vals, to reconcile the new item with in
        the same statement (see :meth:`_g2p_insert_bulk_lines`); on the ORM paths the caller's
        own reconciliation does it."""
        if not bulk_lines:
            return self._g2p_post([vals])
        journal = self.env["account.journal"].sudo().browse(vals["journal_id"])
        template, varying = self._g2p_bulk_template(bulk_lines, journal.company_id.currency_id)
        orm_vals = {
            **vals,
            "line_ids": [*vals.get("line_ids", []), *(Command.create(line) for line in bulk_lines)],
        }
        if not template or not self._g2p_set_based_supported(journal):
            return self._g2p_post([orm_vals])
        self._g2p_check_postable([vals])
        move = self.sudo().create(
            [
                {
                    "move_type": "entry",
                    **vals,
                    "line_ids": [*vals.get("line_ids", []), Command.create(template)],
                }
            ]
        )
        # The template is the last line created. Taxes or an analytic distribution computed on it
        # would apply to each bulk line, with lines of their own: those entries go through the ORM.
        template_line = move.line_ids.sorted("id")[-1:]
        if (
            template_line.account_id.id != template["account_id"]
            or template_line.company_currency_id.compare_amounts(template_line.balance, template["balance"])
            or template_line.analytic_distribution
            or template_line.tax_ids
            or template_line.tax_tag_ids
            # Without taxes, an entry's item totals are its amount (derived per line below).
            or template_line.price_subtotal not in (0.0, template_line.amount_currency)
            or template_line.price_total != template_line.price_subtotal
        ):
            move.unlink()
            return self._g2p_post([orm_vals])
        move.action_post()
        self.env.flush_all()
        self._g2p_insert_bulk_lines(template_line, bulk_lines, varying, reconcile_with)
        [(count, balance)] = self.env.execute_query(
            SQL(
                "SELECT count(*), COALESCE(sum(balance), 0) FROM account_move_line WHERE move_id = %s",
                move.id,
            )
        )
        if count != len(vals.get("line_ids", [])) + len(bulk_lines) or move.company_currency_id.round(
            float(balance)
        ):
            raise ValueError(
                "Set-based posting of %s wrote %s lines of balance %s." % (move.id, count, balance)
            )
        self.env["account.move.line"]._g2p_invalidate_reconciliation()
        return move.sudo(False)

    @api.model
    def _g2p_set_based_supported(self, journal):
        """Whether lines written in SQL equal what the ORM would write in ``journal``: not when it
        hashes its entries at posting, nor when an analytic distribution model reads the partner
        (each line's distribution, and analytic lines, would depend on it)."""
        if journal.restrict_mode_hash_table:
            return False
        Model = self.env["account.analytic.distribution.model"].sudo()
        return not Model.search_count(
            ["|", ("partner_id", "!=", False), ("partner_category_id", "!=", False)]
        )

    @api.model
    def _g2p_bulk_template(self, bulk_lines, company_currency):
        """(template vals, varying field names) of ``bulk_lines``: the template holds the values
        every line shares and the totals of the amounts; (None, None) when their amounts are not
        all of one sign."""
        Line = self.env["account.move.line"]
        keys = set(bulk_lines[0])
        if (
            any(set(line) != keys for line in bulk_lines)
            or not {
                "account_id",
                "currency_id",
                "balance",
                "amount_currency",
            }
            <= keys
        ):
            raise ValueError("Bulk lines must all give the same fields, account and amounts included.")
        varying = {key for key in keys if any(line[key] != bulk_lines[0][key] for line in bulk_lines)}
        varying |= {"balance", "amount_currency"}
        for key in varying:
            field = Line._fields[key]
            other_addon = field.store and field.column_type and not field.compute and not field.related
            if key not in _VARYING_ACCOUNT_FIELDS and not (other_addon and field._module not in ("account",)):
                raise ValueError("Bulk lines cannot differ in %s." % key)
        # Items of one sign only: the template's side, debit or credit, and the entry's totals are
        # theirs. A zero balance (a tiny amount converted) or mixed signs go through the ORM.
        signs = {
            (line["balance"] > 0, line["amount_currency"] > 0, company_currency.is_zero(line["balance"]))
            for line in bulk_lines
        }
        if len(signs) > 1 or next(iter(signs)) not in ((True, True, False), (False, False, False)):
            return None, None
        template = {key: value for key, value in bulk_lines[0].items() if key not in varying}
        template["balance"] = company_currency.round(sum(line["balance"] for line in bulk_lines))
        currency = self.env["res.currency"].browse(template.get("currency_id")) or company_currency
        template["amount_currency"] = currency.round(sum(line["amount_currency"] for line in bulk_lines))
        return template, sorted(varying)

    @api.model
    def _g2p_insert_bulk_lines(self, template_line, bulk_lines, varying, reconcile_with=None):
        """One statement: a copy of ``template_line`` per bulk vals (the template itself for the
        first, updated, a new row for each other), its ``varying`` fields
        from the vals, the amounts rounded and written as the ORM writes monetary values, and
        their derived columns computed as Odoo's ``_compute_debit_credit``,
        ``_compute_amount_residual`` and ``_compute_totals`` do, in the order given.

        ``reconcile_with`` (an item id or None per bulk vals): each new item is fully reconciled
        with its item in the same statement, as ``_reconcile_plan`` would match the pair (one
        partial and one full reconcile, residual amounts zero, ``reconciled``, the matching number
        the full reconcile's id), when Odoo would settle the pair without any other entry: the
        item is posted and untouched (residual = amount, no partial, no taxes, so no cash-basis
        entry), on the same reconcilable account and company, in the company's currency (in a
        foreign one the partial amounts come from rates) and of exactly the opposite amount (so no
        exchange difference), and named once. Written reconciled at once, the new items need no
        second write. Returns the number of items so reconciled; the others are left open for the
        caller's ``_reconcile_plan``."""
        Line = self.env["account.move.line"]
        rounding = {
            "balance": template_line.company_currency_id,
            "amount_currency": template_line.currency_id or template_line.company_currency_id,
        }
        arrays = []
        for key in varying:
            values = [line[key] for line in bulk_lines]
            if key in rounding:
                step, digits = rounding[key].rounding, rounding[key].decimal_places
                values = [float_repr(float_round(value, precision_rounding=step), digits) for value in values]
            elif Line._fields[key].type == "many2one":
                values = [value or None for value in values]
            arrays.append(SQL("%s::%s[]", pg_array(values), SQL(Line._fields[key].column_type[1])))
        counterparts = [item or None for item in reconcile_with or [None] * len(bulk_lines)]
        if len(counterparts) != len(bulk_lines):
            raise ValueError("One item to reconcile with (or None) per bulk line.")
        arrays.append(SQL("%s::int4[]", pg_array(counterparts)))
        columns = [
            name for name, field in Line._fields.items() if field.store and field.column_type and name != "id"
        ]
        needs_residual = SQL("(a.reconcile OR a.account_type IN ('asset_cash', 'liability_credit_card'))")
        derived = {
            # A storno line keeps its side and takes a negative amount.
            "debit": SQL("CASE WHEN t.is_storno THEN LEAST(v.balance, 0) ELSE GREATEST(v.balance, 0) END"),
            "credit": SQL("CASE WHEN t.is_storno THEN LEAST(-v.balance, 0) ELSE GREATEST(-v.balance, 0) END"),
            "amount_residual": SQL(
                "CASE WHEN m.full_id IS NULL AND %s THEN v.balance ELSE 0 END", needs_residual
            ),
            "amount_residual_currency": SQL(
                "CASE WHEN m.full_id IS NULL AND %s THEN v.amount_currency ELSE 0 END", needs_residual
            ),
            "reconciled": SQL(
                """CASE WHEN m.full_id IS NOT NULL THEN TRUE
                        WHEN %s THEN v.balance = 0 AND v.amount_currency = 0 ELSE FALSE END""",
                needs_residual,
            ),
            "full_reconcile_id": SQL("m.full_id"),
            "matching_number": SQL("m.full_id::text"),
            # An entry's product item without taxes: its amount, as _compute_totals finds it.
            "price_subtotal": SQL(
                "CASE WHEN COALESCE(t.price_subtotal, 0) = 0 THEN t.price_subtotal ELSE v.amount_currency END"
            ),
            "price_total": SQL(
                "CASE WHEN COALESCE(t.price_total, 0) = 0 THEN t.price_total ELSE v.amount_currency END"
            ),
        }
        select = [
            SQL("v.%s", SQL.identifier(name))
            if name in varying
            else derived.get(name) or SQL("t.%s", SQL.identifier(name))
            for name in columns
        ]
        # The template becomes the first item (an UPDATE): deleting it would make PostgreSQL look
        # for rows pointing at it in every table with a foreign key to journal items.
        assignments = [
            SQL("%s = %s", SQL.identifier(name), expr)
            for name, expr in zip(columns, select, strict=True)
            if name in varying or name in derived
        ]
        [(reconciled,)] = self.env.execute_query(
            SQL(
                """WITH v AS MATERIALIZED (
                        SELECT * FROM unnest(%(arrays)s) WITH ORDINALITY AS v(%(names)s, g2p_with, g2p_ord)
                   ), matched AS MATERIALIZED (
                        SELECT v.g2p_ord, c.id AS counterpart_id,
                               nextval('account_full_reconcile_id_seq') AS full_id
                          FROM v
                          JOIN account_move_line t ON t.id = %(template)s
                          JOIN account_account a ON a.id = t.account_id
                          JOIN account_move_line c ON c.id = v.g2p_with
                         WHERE a.reconcile AND t.currency_id = t.company_currency_id
                           AND c.account_id = t.account_id AND c.company_id = t.company_id
                           AND c.currency_id = t.currency_id
                           AND c.balance = -v.balance AND c.amount_currency = -v.amount_currency
                           AND %(untouched)s
                           AND v.g2p_with NOT IN (SELECT g2p_with FROM v WHERE g2p_with IS NOT NULL
                                                   GROUP BY 1 HAVING count(*) > 1)
                   ), fulls AS (
                        %(fulls)s
                   ), first AS (
                        UPDATE account_move_line t SET %(assignments)s
                          FROM v LEFT JOIN matched m ON m.g2p_ord = v.g2p_ord, account_account a
                         WHERE t.id = %(template)s AND v.g2p_ord = 1 AND a.id = t.account_id
                     RETURNING t.id, t.full_reconcile_id, t.balance, t.amount_currency, t.date
                   ), others AS (
                        INSERT INTO account_move_line (%(columns)s)
                        SELECT %(select)s
                          FROM v
                          JOIN account_move_line t ON t.id = %(template)s
                          JOIN account_account a ON a.id = t.account_id
                     LEFT JOIN matched m ON m.g2p_ord = v.g2p_ord
                         WHERE v.g2p_ord > 1
                      ORDER BY v.g2p_ord
                     RETURNING id, full_reconcile_id, balance, amount_currency, date
                   ), new AS (
                        SELECT * FROM first UNION ALL SELECT * FROM others
                   ), partials AS (
                        %(partials)s
                   ), counterparts AS (
                        %(counterparts)s
                   )
                   SELECT count(*) FROM matched""",
                arrays=SQL(", ").join(arrays),
                names=SQL(", ").join(SQL.identifier(name) for name in varying),
                template=template_line.id,
                untouched=Line._g2p_untouched_item_sql("c"),
                fulls=Line._g2p_fulls_insert_sql(SQL("SELECT full_id FROM matched")),
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                select=SQL(", ").join(select),
                assignments=SQL(", ").join(assignments),
                # The new items are read from the INSERT's RETURNING: the statement's other parts
                # see the table as it was before it.
                partials=Line._g2p_partials_insert_sql(
                    SQL(
                        """SELECT CASE WHEN n.balance > 0 THEN n.id ELSE c.id END AS debit_id,
                                  CASE WHEN n.balance > 0 THEN c.id ELSE n.id END AS credit_id,
                                  m.full_id, c.currency_id, abs(n.balance) AS amount,
                                  abs(n.amount_currency) AS amount_currency, c.company_id,
                                  GREATEST(n.date, c.date) AS max_date
                             FROM new n
                             JOIN matched m ON m.full_id = n.full_reconcile_id
                             JOIN account_move_line c ON c.id = m.counterpart_id"""
                    )
                ),
                counterparts=Line._g2p_reconciled_update_sql(
                    SQL("SELECT counterpart_id AS id, full_id FROM matched")
                ),
            )
        )
        return reconciled

    @api.model
    def _g2p_entries_action(self, domain, name):
        """Window action listing the journal entries of ``domain`` as journal entries (journal,
        date, reference, amount, state), not in the invoice-style list of the default views."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("account.view_move_tree").id, "list"),
                (self.env.ref("account.view_move_form").id, "form"),
            ],
            "search_view_id": [self.env.ref("account.view_account_move_filter").id, "search"],
            "domain": domain,
            "context": {"create": False, "default_move_type": "entry"},
        }
