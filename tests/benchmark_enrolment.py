#!/usr/bin/env python3
"""Benchmark: enrol 250,000 households (1,000,000 individuals) in a program.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_enrolment.py [--households N] [--db NAME]

It installs g2p_program in a scratch database (default ``g2p_bench_program``) when missing, then
runs itself inside ``scripts/odoo.sh shell`` on that database. The registry data is created with
set-based SQL (generate_series), not the ORM; it is kept between runs and recreated only when the
requested size changes. Each run creates a fresh program, then times: the eligibility preview,
the first enrolment (one INSERT … SELECT), a second enrolment (idempotent, enrols nobody), the
re-verification, and the benefit amounts of every member (one query). Figures go to stdout.
"""

import os
import sys
import time
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import argument_parser, run_in_odoo_shell, timed

MARKER = "G2P_BENCH_HOUSEHOLDS"


def main():
    args = argument_parser(__doc__, "g2p_bench_program").parse_args()
    run_in_odoo_shell(__file__, args.db, "g2p_program", {MARKER: str(args.households)})


# ---------------------------------------------------------------------------- inside odoo shell


def generate(env, households):
    """Households of 2 to 6 members (4 on average): a head, sometimes a spouse, children of every
    age and, in one household in ten, an elderly dependant. Every head has a mobile wallet."""
    from odoo.tools import SQL

    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE registrant_number LIKE 'BHH-%'")
    if cr.fetchone()[0] == households:
        print("registry data: reusing %s households" % households)
        return 0.0
    started = time.perf_counter()
    cr.execute("DELETE FROM g2p_program WHERE name LIKE 'Benchmark %'")
    cr.execute(
        """DELETE FROM res_partner
            WHERE registrant_number LIKE 'BHH-%' OR registrant_number LIKE 'BIND-%'"""
    )
    psp = env["res.partner"].search([("name", "=", "Benchmark Wallet")], limit=1)
    if not psp:
        mechanism = env["g2p.payment.mechanism"].search([("code", "=", "mobile_wallet")], limit=1)
        psp = env["res.partner"].create(
            {
                "name": "Benchmark Wallet",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": mechanism.ids,
            }
        )
    env.flush_all()
    cr.execute(
        SQL(
            """CREATE TEMP TABLE bench_hh ON COMMIT DROP AS
               SELECT g, 2 + g %% 5 AS size, nextval('res_partner_id_seq') AS id
                 FROM generate_series(1, %s) g""",
            households,
        )
    )
    cr.execute(
        """CREATE TEMP TABLE bench_ind ON COMMIT DROP AS
           SELECT h.g, h.id AS hh_id, k, nextval('res_partner_id_seq') AS id,
                  CASE WHEN k = 0 THEN 'head'
                       WHEN k = 1 AND h.size > 3 THEN 'spouse'
                       WHEN k = h.size - 1 AND h.g % 10 = 0 AND h.size > 2 THEN 'dependant'
                       ELSE 'child' END AS role
             FROM bench_hh h, generate_series(0, h.size - 1) k"""
    )
    # Other installed addons (account …) add NOT NULL columns to res_partner: fill them with the
    # ORM defaults.
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = 'res_partner' AND is_nullable = 'NO' AND column_default IS NULL
              AND column_name NOT IN ('id', 'name', 'active', 'type', 'is_registrant', 'is_group',
                                      'registrant_state', 'registrant_number', 'gender', 'birthdate',
                                      'disability', 'household_size', 'head_id', 'create_date',
                                      'write_date')"""
    )
    required = [name for (name,) in cr.fetchall() if name in env["res.partner"]._fields]
    defaults = env["res.partner"].default_get(required)
    extra_columns = SQL(", ").join([SQL.identifier(name) for name in required]) if required else None
    extra_values = SQL(", ").join([SQL("%s", defaults.get(name)) for name in required]) if required else None
    extra_cols = SQL(", %s", extra_columns) if required else SQL()
    extra_vals = SQL(", %s", extra_values) if required else SQL()
    cr.execute(
        SQL(
            """INSERT INTO res_partner (id, name, active, type, is_registrant, is_group, registrant_state,
                                    registrant_number, gender, birthdate, disability, create_date, write_date
                                    %(extra_cols)s)
           SELECT i.id, 'Bench person ' || i.g || '-' || i.k, TRUE, 'contact', TRUE, FALSE, 'active',
                  'BIND-' || i.g || '-' || i.k,
                  CASE WHEN (i.g + i.k) %% 2 = 0 THEN 'female' ELSE 'male' END,
                  current_date - CASE i.role
                      WHEN 'head' THEN 365 * 20 + (i.g * 37) %% (365 * 45)
                      WHEN 'spouse' THEN 365 * 19 + (i.g * 41) %% (365 * 40)
                      WHEN 'dependant' THEN 365 * 61 + (i.g * 13) %% (365 * 25)
                      ELSE 20 + (i.g * 53 + i.k * 211) %% (365 * 18 - 40) END,
                  (i.g * 7 + i.k) %% 50 = 0, now(), now() %(extra_vals)s
             FROM bench_ind i""",
            extra_cols=extra_cols,
            extra_vals=extra_vals,
        )
    )
    cr.execute(
        SQL(
            """INSERT INTO res_partner (id, name, active, type, is_registrant, is_group, registrant_state,
                                    registrant_number, household_size, head_id, create_date, write_date
                                    %(extra_cols)s)
           SELECT h.id, 'Bench household ' || h.g, TRUE, 'contact', TRUE, TRUE, 'active',
                  'BHH-' || h.g, h.size, i.id, now(), now() %(extra_vals)s
             FROM bench_hh h JOIN bench_ind i ON i.hh_id = h.id AND i.k = 0""",
            extra_cols=extra_cols,
            extra_vals=extra_vals,
        )
    )
    cr.execute(
        """INSERT INTO g2p_group_membership (group_id, individual_id, role, role_sequence, start_date,
                                             is_current, create_date, write_date)
           SELECT i.hh_id, i.id, i.role,
                  CASE i.role WHEN 'head' THEN 0 WHEN 'spouse' THEN 1 WHEN 'child' THEN 2 ELSE 3 END,
                  current_date, TRUE, now(), now()
             FROM bench_ind i"""
    )
    cr.execute(
        SQL(
            """INSERT INTO g2p_payment_account (partner_id, account_type, provider_id, msisdn, is_default,
                                                active, create_date, write_date)
               SELECT i.id, 'mobile_wallet', %s, '+2547' || lpad(i.g::text, 8, '0'), TRUE, TRUE, now(), now()
                 FROM bench_ind i WHERE i.k = 0""",
            psp.id,
        )
    )
    cr.execute("ANALYZE res_partner; ANALYZE g2p_group_membership; ANALYZE g2p_payment_account")
    env.invalidate_all()
    elapsed = time.perf_counter() - started
    cr.execute("SELECT count(*) FROM res_partner WHERE registrant_number LIKE 'BIND-%'")
    print("registry data: %s households, %s individuals in %.1f s" % (households, cr.fetchone()[0], elapsed))
    return elapsed


def bench(env, households):
    from odoo.tools import SQL

    generate(env, households)
    env.cr.commit()
    env.cr.execute("DELETE FROM g2p_program WHERE name LIKE 'Benchmark %%'")
    program = env["g2p.program"].create(
        {
            "name": "Benchmark Child Grant",
            "target_type": "group",
            "base_amount": 1000,
            "amount_per_member": 200,
            "max_members": 5,
            "ceiling_amount": 4000,
            "eligibility_rule_ids": [
                (0, 0, {"name": "Has a child", "domain": "[('g2p_child_count', '>=', 1)]"}),
                (
                    0,
                    0,
                    {
                        "name": "Not 3+ disabled",
                        "rule_type": "exclude",
                        "domain": "[('g2p_disabled_member_count', '>=', 3)]",
                    },
                ),
            ],
            "topup_ids": [
                (
                    0,
                    0,
                    {
                        "name": "Per child under 5",
                        "domain": "[('age', '<', 5)]",
                        "amount": 500,
                        "max_count": 3,
                    },
                ),
                (
                    0,
                    0,
                    {
                        "name": "Elderly in household",
                        "applies_to": "beneficiary",
                        "domain": "[('g2p_elderly_count', '>=', 1)]",
                        "amount": 300,
                    },
                ),
            ],
        }
    )
    program.action_activate()
    env.cr.commit()
    print("-" * 72)
    preview, t_preview = timed("preview (count eligible)", lambda: program._preview_eligibility(0)[0])
    enrolled, t_enrol = timed("enrol eligible (first run)", program._enrol_eligible)
    env.cr.commit()
    again, t_again = timed("enrol eligible again (idempotent)", program._enrol_eligible)
    dropped, t_verify = timed("re-verify members", program._verify_eligibility)

    def amounts():
        rows = env.execute_query(
            SQL(
                "SELECT count(*), sum(amount), min(amount), max(amount) FROM (%s) b",
                program._benefit_amounts_sql(),
            )
        )
        return "count=%s total=%s min=%s max=%s" % rows[0]

    _summary, t_amounts = timed("benefit amounts, all members (1 query)", amounts)
    env.cr.execute(
        "SELECT count(*) FILTER (WHERE payment_account_id IS NOT NULL) FROM g2p_program_membership "
        "WHERE program_id = %s",
        [program.id],
    )
    with_account = env.cr.fetchone()[0]
    env.cr.commit()
    print("-" * 72)
    print(
        "RESULT households=%s eligible=%s enrolled=%s (with payment account %s) re-enrolled=%s "
        "dropped=%s | enrol %.2fs, preview %.2fs, re-enrol %.2fs, re-verify %.2fs, amounts %.2fs"
        % (
            households,
            preview,
            enrolled,
            with_account,
            again,
            dropped,
            t_enrol,
            t_preview,
            t_again,
            t_verify,
            t_amounts,
        )
    )
    assert preview == enrolled and again == 0 and dropped == 0, "preview and enrolment disagree"


if "env" in globals() and os.environ.get(MARKER):
    bench(globals()["env"], int(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
