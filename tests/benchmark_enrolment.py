#!/usr/bin/env python3
"""Benchmark: enrol 250,000 households (1,000,000 individuals) in a program.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_enrolment.py [--households N] [--db NAME]

It installs g2p_program in a scratch database (default ``g2p_bench_program``) when missing, then
runs itself inside ``scripts/odoo.sh shell`` on that database. The registry data is created with
set-based SQL (generate_series), not the ORM (``bench_common.generate_registry``, which every
benchmark shares); it is kept between runs and recreated only when the requested size changes.
Each run creates a fresh program, then times: the eligibility preview, the first enrolment (one
INSERT … SELECT), a second enrolment (idempotent, enrols nobody), the re-verification, and the
benefit amounts of every member (one query). Figures go to stdout.
"""

import os
import sys
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import argument_parser, generate_registry, run_in_odoo_shell, timed

MARKER = "G2P_BENCH_HOUSEHOLDS"


def main():
    args = argument_parser(__doc__, "g2p_bench_program").parse_args()
    run_in_odoo_shell(__file__, args.db, "g2p_program", {MARKER: str(args.households)})


# ---------------------------------------------------------------------------- inside odoo shell


def bench(env, households):
    from odoo.tools import SQL

    generate_registry(env, households)
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
