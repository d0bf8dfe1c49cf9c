"""Per-beneficiary posting written in SQL equals, column by column, what the ORM writes.

The same payroll is approved and settled twice in one transaction: once through the ORM (the
reference), once with the payable items posted and reconciled in SQL, each run inside a savepoint
rolled back after its snapshot. Both runs then share the transaction's clock and the journal's
sequence, so every stored column of the entries, journal items, analytic items, partial and full
reconciles and payroll lines must be equal, ids aside (compared through what they point at)."""

from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import new_test_user
from odoo.tools import SQL

from .common import PayrollCase
from .test_golden import iban

THRESHOLD = "odoo.addons.g2p_payroll.models.g2p_payroll.SET_BASED_MIN_LINES"


class TestSetBasedPosting(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.households = [
            cls._paid_household(
                "SB%s" % i,
                [35, *[8] * (i % 4)],
                psp="mobile" if i % 3 else "bank",
                number="+25471%07d" % i if i % 3 else iban(7000 + i),
            )
            for i in range(8)
        ]
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(20000)
        # Created on first use: made now, so that both runs post to the same accounts.
        for psp in cls.mobile_psp | cls.bank_psp:
            psp._g2p_psp_clearing_account(cls.company)

    def setUp(self):
        super().setUp()
        self.assertEqual(self.program.posting_granularity, "beneficiary")
        self.payroll = self._payroll(self._approved_cycle())
        self.payroll.with_user(self.manager).action_submit()
        self.program._analytic_distribution(self.payroll.cycle_id)  # analytic accounts, as above
        self.by_household = {line.beneficiary_id: line for line in self.payroll.line_ids}
        self.assertEqual(len(self.by_household), 8)

    # ------------------------------------------------------------------ the scenario

    def _settle(self):
        """Approve, cancel one approved payment, send the rest, then report: three paid today,
        one paid yesterday (an entry of one item), two failed, one left without an outcome."""
        h = self.households
        line = self.by_household
        # Each step flushed as its user, as at the end of the request that ran it: Odoo writes
        # recomputed fields (residual amounts) with the flushing user as their writer.
        self.payroll.with_user(self.approver).action_approve()
        self.env(user=self.approver).flush_all()
        line[h[7]].with_user(self.manager).action_cancel()
        self.env(user=self.manager).flush_all()
        self.payroll.line_ids.filtered(lambda rec: rec.state == "approved")._mark_sent()
        yesterday = self.today - timedelta(days=1)
        results = [
            *({"line_id": line[h[i]].id, "status": "paid", "psp_reference": "TX%s" % i} for i in range(3)),
            {"line_id": line[h[3]].id, "status": "paid", "date": yesterday, "psp_reference": "TX3"},
            *(
                {"line_id": line[h[i]].id, "status": "failed", "reason_code": "ACCOUNT_CLOSED"}
                for i in (4, 5)
            ),
        ]
        summary = self.env["g2p.payroll.line"].with_user(self.finance)._apply_payment_results(results)
        self.env(user=self.finance).flush_all()
        self.assertEqual((summary["paid"], summary["failed"], summary["errors"]), (4, 2, []))

    def _run(self, threshold):
        """Snapshot of the scenario run with ``threshold``, and (items, of which reconciled) of
        each bulk insert it made; then everything is rolled back."""
        Move = type(self.env["account.move"])
        insert = Move._g2p_insert_bulk_lines
        inserts = []

        def spy_insert(model, template, bulk, varying, reconcile_with=None):
            reconciled = insert(model, template, bulk, varying, reconcile_with)
            inserts.append((len(bulk), reconciled))
            return reconciled

        with (
            patch(THRESHOLD, threshold),
            patch.object(Move, "_g2p_insert_bulk_lines", spy_insert),
            closing(self.env.cr.savepoint()),
        ):
            self._settle()
            self.env.flush_all()
            snapshot = self._snapshot()
        self.env.invalidate_all(flush=False)
        return snapshot, inserts

    # ------------------------------------------------------------------ the snapshot

    def _rows(self, table, where):
        return self.env.execute_query_dict(
            SQL("SELECT * FROM %s WHERE %s ORDER BY id", SQL.identifier(table), where)
        )

    def _snapshot(self):
        """Every stored column of what the scenario wrote, keyed by what each row is, with the ids
        of the rows it wrote replaced by those keys."""
        moves = self._rows("account_move", SQL("g2p_payroll_id = %s", self.payroll.id))
        move_ids = [m["id"] for m in moves]
        items = self._rows("account_move_line", SQL("move_id = ANY(%s)", move_ids))
        item_ids = [i["id"] for i in items]
        partials = self._rows(
            "account_partial_reconcile",
            SQL("debit_move_id = ANY(%s) OR credit_move_id = ANY(%s)", item_ids, item_ids),
        )
        analytic = self._rows("account_analytic_line", SQL("move_line_id = ANY(%s)", item_ids))
        payments = self._rows("g2p_payroll_line", SQL("payroll_id = %s", self.payroll.id))

        # An entry is its event, date and rank among those; an item its entry, account, partner,
        # payment and PSP; a full reconcile (and a matching number) the items it matches.
        move_key, rank = {}, {}
        for move in moves:
            event = (move["g2p_event"], move["date"])
            rank[event] = rank.get(event, 0) + 1
            move_key[move["id"]] = (*event, rank[event])
        item_key = {
            i["id"]: (
                move_key[i["move_id"]],
                i["account_id"],
                i["partner_id"],
                i["g2p_payroll_line_id"],
                i["g2p_psp_id"],
            )
            for i in items
        }
        self.assertEqual(len(set(item_key.values())), len(items), "journal items must have distinct keys")
        groups = {}
        for item in items:
            for column in ("full_reconcile_id", "matching_number"):
                if item[column]:
                    groups.setdefault((column, item[column]), set()).add(item_key[item["id"]])

        full_ids = {str(item["full_reconcile_id"]) for item in items if item["full_reconcile_id"]}

        def group(column, value):
            return frozenset(groups[column, value]) if value else None

        def keyed(rows, key, refs):
            result = {}
            for row in rows:
                row = dict(row)
                row_key = key(row)
                del row["id"]
                for column, mapping in refs.items():
                    if row.get(column):
                        row[column] = mapping(row[column])
                self.assertNotIn(row_key, result)
                result[row_key] = row
            return result

        item_ref = item_key.__getitem__
        move_ref = move_key.__getitem__
        return {
            "account_move": keyed(moves, lambda m: move_key[m["id"]], {"reversed_entry_id": move_ref}),
            "account_move_line": keyed(
                items,
                lambda i: item_key[i["id"]],
                {
                    "move_id": move_ref,
                    "full_reconcile_id": lambda v: group("full_reconcile_id", v),
                    # The items it matches, and what the number is: a full reconcile's id or a
                    # partial's ("P…").
                    "matching_number": lambda v: (
                        "P" if v.startswith("P") else "full" if v in full_ids else v,
                        group("matching_number", v),
                    ),
                },
            ),
            "account_partial_reconcile": keyed(
                partials,
                lambda p: (item_key[p["debit_move_id"]], item_key[p["credit_move_id"]]),
                {
                    "debit_move_id": item_ref,
                    "credit_move_id": item_ref,
                    "full_reconcile_id": lambda v: group("full_reconcile_id", v),
                    "exchange_move_id": move_ref,
                },
            ),
            "account_analytic_line": keyed(
                analytic, lambda a: (item_key[a["move_line_id"]], a["account_id"]), {"move_line_id": item_ref}
            ),
            "g2p_payroll_line": keyed(
                payments,
                lambda p: p["payment_number"],
                {"approval_move_line_id": item_ref, "settlement_move_line_id": item_ref},
            ),
            "ledger": self._ledger(),
        }

    def _ledger(self):
        """Trial balance and open items per account and partner, over every posted item."""
        rows = self.env.execute_query(
            SQL(
                """SELECT account_id, partner_id, sum(debit), sum(credit), sum(balance),
                          sum(amount_residual), count(*) FILTER (WHERE NOT reconciled)
                     FROM account_move_line WHERE parent_state = 'posted'
                 GROUP BY 1, 2"""
            )
        )
        return {(row[0], row[1]): row[2:] for row in rows}

    # ------------------------------------------------------------------ the test

    def test_sql_posting_and_reconciliation_equal_the_orm(self):
        orm, orm_inserts = self._run(threshold=10**9)
        sql, sql_inserts = self._run(threshold=2)
        self.assertEqual(orm_inserts, [], "the reference run uses the ORM only")
        # In SQL: the approval (8 items), the failures (2) and the payments of today (3), these
        # written reconciled with their approval items; through the ORM, below the threshold: the
        # payment of yesterday and the cancellation (one item each).
        self.assertEqual(sql_inserts, [(8, 0), (2, 2), (3, 3)])
        for table in orm:
            self.assertEqual(set(sql[table]), set(orm[table]), "%s: the same rows" % table)
            for key, expected in orm[table].items():
                got = sql[table][key]
                if table == "ledger":
                    self.assertEqual(got, expected, "trial balance of %s" % (key,))
                    continue
                diff = {c: (expected[c], got.get(c)) for c in expected if expected[c] != got.get(c)}
                self.assertFalse(diff, "%s %s: columns differ (ORM, SQL): %s" % (table, key, diff))
        self.assertTrue(orm["account_partial_reconcile"], "the scenario reconciles")
        self.assertTrue(orm["account_analytic_line"], "the scenario has analytic items")

        # The ledger itself: the open payable is the one payment without an outcome, on its partner.
        payable = self.program.beneficiary_payable_account_id.id
        h, line = self.households, self.by_household
        open_items = {
            partner: row[3]
            for (account, partner), row in sql["ledger"].items()
            if account == payable and row[3]
        }
        self.assertEqual(open_items, {h[6].id: -line[h[6]].amount})
        states = {p: row["state"] for p, row in sql["g2p_payroll_line"].items()}
        self.assertEqual(
            [states[line[x].payment_number] for x in h],
            ["paid"] * 4 + ["failed"] * 2 + ["sent", "cancelled"],
        )

    def test_journal_hashing_its_entries_keeps_the_orm(self):
        """A journal that hashes entries at posting would hash the template item: such entries
        are posted through the ORM whatever their size, and their hash is their items'."""
        journal = self.program._g2p_accounting().benefits_journal_id
        journal.sudo().restrict_mode_hash_table = True
        Move = type(self.env["account.move"])
        with (
            patch(THRESHOLD, 2),
            patch.object(Move, "_g2p_insert_bulk_lines", side_effect=AssertionError("not in SQL")),
        ):
            self.payroll.with_user(self.approver).action_approve()
        move = self.payroll.sudo().move_ids
        self.assertEqual(len(move.line_ids), 9, "the expense and one payable item per beneficiary")
        self.assertTrue(move.inalterable_hash)
        accountant = new_test_user(self.env, "sb_accountant", groups="account.group_account_user")
        integrity = move.company_id.with_user(accountant)._check_hash_integrity()
        self.assertNotIn("corrupted", {r["status"] for r in integrity["results"]})
