#!/usr/bin/env python3
"""Benchmark: a payroll for 250,000 households, from generation to reconciliation.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_payroll.py \\
        [--households N] [--db NAME] [--granularity total|psp|beneficiary]

It installs g2p_payroll in a scratch database (default ``g2p_bench_payroll``) when missing, then
runs itself inside ``scripts/odoo.sh shell``. The registry is generated in SQL by
bench_common.generate_registry (kept between runs). Each run creates a fresh program, enrols, funds
it, approves a cycle and times: payroll generation (one INSERT … SELECT), approval (funds check,
entry, line states), marking every payment sent, and applying 250,000 outcomes (90 % paid, 10 %
failed) through the reconciliation service with their journal entries. Figures go to stdout.
Per-beneficiary posting (``--granularity beneficiary``) writes one payable item per payment at
approval and one per outcome, set-based in SQL from 2,000 items (``account.move._g2p_post_set_based``,
the outcome items written already reconciled); it stays the heaviest granularity, as every item is
a row of account_move_line with its indexes and foreign keys.
"""

import os
import sys
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import (
    PAYROLL_CLEANUP,
    argument_parser,
    generate_registry,
    run_in_odoo_shell,
    scratch_cleaner,
    timed,
)

MARKER = "G2P_BENCH_PAYROLL"


def main():
    parser = argument_parser(__doc__, "g2p_bench_payroll")
    parser.add_argument("--granularity", default="total", choices=["total", "psp", "beneficiary"])
    args = parser.parse_args()
    # Earlier runs' programs, payrolls and entries go; the registry stays.
    clean = scratch_cleaner(parser, args.db, "g2p_bench_payroll", PAYROLL_CLEANUP, VACUUM)
    marker = "%s:%s" % (args.households, args.granularity)
    run_in_odoo_shell(__file__, args.db, "g2p_payroll", {MARKER: marker}, update=True, before=clean)


# Not g2p_program_membership: analysed empty, it leads the enrolment INSERT to a slow plan.
VACUUM = (
    "VACUUM ANALYZE g2p_payroll_line, g2p_payroll, account_move_line, account_move, account_partial_reconcile"
)


# ---------------------------------------------------------------------------- inside odoo shell


def bench(env, households, granularity):
    from odoo.tools import SQL

    env = env(su=True)
    env.cr.commit()
    env.invalidate_all()
    generate_registry(env, households)
    env.cr.commit()
    program = env["g2p.program"].create(
        {
            "name": "Benchmark Payroll",
            "target_type": "group",
            "base_amount": 1000,
            "amount_per_member": 200,
            "posting_granularity": granularity,
        }
    )
    program.action_activate()
    _enrolled, _t = timed("enrol every household", program._enrol_eligible)
    total_due = env.execute_query(SQL("SELECT sum(amount) FROM (%s) b", program._benefit_amounts_sql()))[0][0]
    fund = env["g2p.program.fund"].create({"program_id": program.id, "amount": float(total_due)})
    fund.action_post()
    cycle = program._create_next_cycle()
    cycle.action_submit()
    cycle.action_approve()
    payroll = env["g2p.payroll"].create({"cycle_id": cycle.id})
    env.cr.commit()
    print("-" * 80)
    generated, t_generate = timed("generate payroll (INSERT … SELECT)", payroll._generate_lines)
    timed("  commit (flush and write to disk)", env.cr.commit)
    payroll.action_submit()
    # At once (not in background jobs): benchmark_stage_jobs.py times the jobs.
    _approved, t_approve = timed(
        "approve (funds lock, entry, line states)", lambda: payroll._start_approval(background=False)
    )
    timed("  commit (flush and write to disk)", env.cr.commit)
    lines = env["g2p.payroll.line"].search([("payroll_id", "=", payroll.id)], order="id")
    sent, t_sent = timed("mark every payment sent", lambda: len(lines._mark_sent()))
    timed("  commit (flush and write to disk)", env.cr.commit)
    results = [
        {"line_id": line_id, "status": "failed", "reason_code": "ACCOUNT_CLOSED"}
        if i % 10 == 0
        else {"line_id": line_id, "status": "paid", "psp_reference": "TX%s" % line_id}
        for i, line_id in enumerate(lines.ids)
    ]
    summary, t_apply = timed(
        "apply outcomes (entries + reconcile)",
        lambda: {
            k: v
            for k, v in env["g2p.payroll.line"]._apply_payment_results(results, atomic=False).items()
            if k != "line_ids"
        },
    )
    timed("  commit (flush and write to disk)", env.cr.commit)
    again, t_again = timed(
        "apply the same outcomes again (idempotent)",
        lambda: env["g2p.payroll.line"]._apply_payment_results(results, atomic=False)["skipped"],
    )
    payable = program.beneficiary_payable_account_id
    open_payable = env.execute_query(
        SQL(
            "SELECT COALESCE(sum(amount_residual), 0) FROM account_move_line WHERE account_id = %s "
            "AND parent_state = 'posted'",
            payable.id,
        )
    )[0][0]
    env.cr.commit()
    print("-" * 80)
    print(
        "RESULT households=%s payments=%s granularity=%s paid=%s failed=%s open_payable=%s | generate %.2fs, "
        "approve %.2fs, send %.2fs, reconcile %.2fs, re-apply %.2fs"
        % (
            households,
            generated,
            granularity,
            summary["paid"],
            summary["failed"],
            open_payable,
            t_generate,
            t_approve,
            t_sent,
            t_apply,
            t_again,
        )
    )
    assert summary["paid"] + summary["failed"] == generated == sent and again == generated, "counts disagree"
    assert not summary["errors"] and float(open_payable) == 0, "payables not cleared"


if "env" in globals() and os.environ.get(MARKER):
    _households, _granularity = os.environ[MARKER].split(":")
    bench(globals()["env"], int(_households), _granularity)
elif __name__ == "__main__":
    main()
