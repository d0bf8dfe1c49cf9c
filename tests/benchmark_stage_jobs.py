#!/usr/bin/env python3
"""Benchmark: the program and payroll stages through their background jobs (g2p.job.mixin).

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_stage_jobs.py \\
        [--households N] [--db NAME] [--granularity total|psp|beneficiary]

It installs g2p_payroll in a scratch database (default ``g2p_bench_stage_jobs``) when missing and
generates the registry with bench_common.generate_registry (kept between runs). Each run creates a
fresh program and runs enrolment, re-verification, payroll generation and approval posting as a
user's buttons start them: the button (one transaction), then every queue job of the stage, one
transaction each, as one job runner worker would (in order, committed one by one), then each
chunk again (done twice, it must change nothing). Figures (seconds, rows/s, jobs, peak RSS of
this process) go to stdout.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import (
    PAYROLL_CLEANUP,
    argument_parser,
    generate_registry,
    peak_rss_mb,
    run_in_odoo_shell,
    run_stage,
    scratch_cleaner,
)

MARKER = "G2P_BENCH_STAGE_JOBS"


def main():
    parser = argument_parser(__doc__, "g2p_bench_stage_jobs")
    parser.add_argument("--granularity", default="total", choices=["total", "psp", "beneficiary"])
    args = parser.parse_args()
    clean = scratch_cleaner(parser, args.db, "g2p_bench_stage_jobs", PAYROLL_CLEANUP + CLEANUP, VACUUM)
    marker = "%s:%s" % (args.households, args.granularity)
    run_in_odoo_shell(__file__, args.db, "g2p_payroll", {MARKER: marker}, update=True, before=clean)


# Earlier runs' stage logs and jobs go too.
CLEANUP = """
DELETE FROM g2p_job_run;
DELETE FROM queue_job WHERE channel IN ('root.g2p.program', 'root.g2p.payroll');
"""
VACUUM = "VACUUM ANALYZE g2p_payroll_line, g2p_payroll, account_move_line, account_move, queue_job"


# ---------------------------------------------------------------------------- inside odoo shell


def stage(env, label, button, record):
    return run_stage(env, label, button, record, ["root.g2p.program", "root.g2p.payroll"])


def bench(env, households, granularity):
    env = env(su=True)
    env.cr.commit()
    env.invalidate_all()
    generate_registry(env, households)
    env.cr.commit()
    env.cr.execute("DELETE FROM queue_job WHERE channel IN ('root.g2p.program', 'root.g2p.payroll')")
    psp = env["res.partner"].search([("name", "=", "Benchmark Wallet")], limit=1)
    program = env["g2p.program"].create(
        {
            "name": "Benchmark Stage Jobs",
            "target_type": "group",
            "base_amount": 1000,
            "amount_per_member": 200,
            "max_members": 5,
            "psp_ids": [(6, 0, psp.ids)],
            "posting_granularity": granularity,
        }
    )
    program.action_activate()
    env.cr.commit()
    print("-" * 100)
    enrol, t_enrol = stage(env, "enrolment", program.action_enrol_eligible, program)
    verify, t_verify = stage(env, "re-verification", program.action_verify_eligibility, program)
    fund = env["g2p.program.fund"].create({"program_id": program.id, "amount": 10_000_000_000})
    fund.action_post()
    cycle = program._create_next_cycle()
    cycle.action_submit()
    cycle.action_approve()
    payroll = env["g2p.payroll"].create({"cycle_id": cycle.id})
    env.cr.commit()
    generate_run, t_generate = stage(env, "payroll generation", payroll.action_generate, payroll)
    payroll.action_submit()
    env.cr.commit()
    approve_run, t_approve = stage(env, "approval posting", payroll.action_approve, payroll)
    env.invalidate_all()
    payable = program.beneficiary_payable_account_id
    env.cr.execute(
        "SELECT count(*), -sum(balance) FROM account_move_line WHERE account_id = %s AND move_id IN "
        "(SELECT id FROM account_move WHERE g2p_payroll_id = %s)",
        (payable.id, payroll.id),
    )
    items, open_payable = env.cr.fetchone()
    print("-" * 100)
    print(
        "RESULT households=%s granularity=%s enrolled=%s payments=%s total=%s open_payable=%s "
        "payable_items=%s moves=%s state=%s | enrol %.2fs, verify %.2fs, generate %.2fs, "
        "approve %.2fs, peak RSS %.0f MB"
        % (
            households,
            granularity,
            enrol.result_count,
            payroll.line_count,
            payroll.total_amount,
            open_payable,
            items,
            len(payroll.move_ids),
            payroll.state,
            t_enrol,
            t_verify,
            t_generate,
            t_approve,
            peak_rss_mb(),
        ),
        flush=True,
    )
    assert payroll.state == "approved" and abs(float(open_payable) - payroll.total_amount) < 0.01


if "env" in globals() and os.environ.get(MARKER):
    _households, _granularity = os.environ[MARKER].split(":")
    bench(globals()["env"], int(_households), _granularity)
elif __name__ == "__main__":
    main()
