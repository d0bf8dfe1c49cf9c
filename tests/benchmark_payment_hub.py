#!/usr/bin/env python3
"""Benchmark: a payroll through the payment hub's background stages and the PH-EE simulator.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_payment_hub.py \\
        [--households N] [--batch-size 500] [--db NAME] [--granularity total|psp]

It installs g2p_payment_hub_phee (and so the hub) in a scratch database (default ``g2p_bench_hub``)
when missing, then runs itself inside ``scripts/odoo.sh shell``. The registry comes from
bench_common.generate_registry (kept between runs); the PH-EE simulator runs as its own process. Each
run creates a fresh program, enrols, funds, generates and approves a payroll (not the hub's work,
timed for context), then presses the payroll's buttons as a finance officer does and runs their
queue jobs as one job runner worker would (one transaction each, committed one by one): Create
Payment Batches (chunks of payment ids per PSP: attempts inserted set-based, CSV rendered), Send All
Batches (chunks of batches in the send channel: row lock, submission marker, one POST each) and
Fetch Status (chunks of batches: status from the operations API, lines, entries, counts), again
until no batch waits for its outcome. Each chunk is then done a second time: it must change
nothing. One payment in ten fails at the simulator. Figures go to stdout; nothing asserts time.
Per-beneficiary posting of many payable lines is slow: use ``total`` or ``psp``.
"""

import os
import sys
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import (
    HUB_CLEANUP,
    TESTS_DIR,
    argument_parser,
    generate_registry,
    peak_rss_mb,
    run_in_odoo_shell,
    run_stage,
    scratch_cleaner,
    timed,
)

MARKER = "G2P_BENCH_PAYMENT_HUB"


def main():
    parser = argument_parser(__doc__, "g2p_bench_hub")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--granularity", default="total", choices=["total", "psp"])
    args = parser.parse_args()
    clean = scratch_cleaner(parser, args.db, "g2p_bench_hub", CLEANUP, VACUUM)
    marker = "%s:%s:%s" % (args.households, args.batch_size, args.granularity)
    run_in_odoo_shell(__file__, args.db, "g2p_payment_hub_phee", {MARKER: marker}, update=True, before=clean)


# ---------------------------------------------------------------------------- inside odoo shell

CLEANUP = HUB_CLEANUP
# Not g2p_program_membership: analysed empty, it leads the enrolment INSERT to a slow plan.
VACUUM = (
    "VACUUM ANALYZE g2p_payment_batch_log, g2p_payment_attempt, g2p_payment_batch, g2p_payroll_line, "
    "account_move_line, account_move, account_partial_reconcile"
)


def reset(env):
    """A scratch database: earlier runs' hub records, programs, payrolls and entries go."""
    env.cr.execute(CLEANUP)
    env.cr.commit()
    env.invalidate_all()


def stage(env, label, button, record):
    return run_stage(env, label, button, record, ["root.g2p.payment_hub%"])


def bench(env, households, batch_size, granularity):
    sys.path.insert(0, str(TESTS_DIR.parent))

    from odoo.tools import SQL

    from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values, run_phee_simulator

    env = env(su=True)
    reset(env)
    generate_registry(env, households)
    env.cr.commit()
    psp = env["res.partner"].search([("name", "=", "Benchmark Wallet")], limit=1)
    program = env["g2p.program"].create(
        {
            "name": "Benchmark Payment Hub",
            "target_type": "group",
            "base_amount": 1000,
            "amount_per_member": 200,
            "posting_granularity": granularity,
        }
    )
    program.action_activate()
    timed("enrol every household", program._enrol_eligible)
    total_due = env.execute_query(SQL("SELECT sum(amount) FROM (%s) b", program._benefit_amounts_sql()))[0][0]
    env["g2p.program.fund"].create({"program_id": program.id, "amount": float(total_due)}).action_post()
    cycle = program._create_next_cycle()
    cycle.action_submit()
    cycle.action_approve()
    payroll = env["g2p.payroll"].create({"cycle_id": cycle.id})
    env.cr.commit()
    generated, _t = timed("generate payroll", payroll._generate_lines)
    # Generation and approval are two users' requests (maker-checker), so two transactions.
    env.cr.commit()
    payroll.action_submit()
    timed("approve payroll", lambda: payroll._start_approval(background=False))  # at once, not in jobs
    env.cr.commit()

    # One payment in ten fails at the processor: wallet numbers end with the household number, so
    # those ending in 0.
    config = {"oauth": True, "callback_drop": True, "fail_if_payee_endswith": ["0"], "csv_size": 100000}
    with run_phee_simulator(**config) as sim:
        env["g2p.payment.connector"].create(
            {
                "name": "Benchmark PH-EE",
                **connector_values(sim.url),
                "state": "test",
                "psp_id": psp.id,
                "batch_max_rows": batch_size,
                "retry_backoff": 0.05,
            }
        )
        env.cr.commit()
        print("-" * 100)
        # The payroll's buttons, as a finance officer clicks them; their jobs as the runner runs them.
        _run, t_create = stage(env, "create batches", payroll.action_create_batches, payroll)
        batches = payroll.batch_ids
        print("    %s batches, %s attempts" % (len(batches), sum(batches.mapped("total_count"))))
        _run, t_send = stage(env, "send all batches", payroll.action_send_batches, payroll)
        t_fetch, rounds = 0.0, 0
        # The simulator processes accepted batches in the background: a batch still processing is
        # fetched again by the next round (as a user's next click, or the poll cron, would).
        while payroll.open_batch_count and rounds < 10:
            rounds += 1
            _run, seconds = stage(
                env, "fetch status, round %s" % rounds, payroll.action_fetch_status, payroll
            )
            t_fetch += seconds
            env.invalidate_all()
        received = sim.control("received")
    payable = program.beneficiary_payable_account_id
    open_payable = env.execute_query(
        SQL(
            "SELECT COALESCE(sum(amount_residual), 0) FROM account_move_line WHERE account_id = %s "
            "AND parent_state = 'posted'",
            payable.id,
        )
    )[0][0]
    states = dict(
        env.execute_query(
            SQL(
                "SELECT state, count(*) FROM g2p_payroll_line WHERE payroll_id = %s GROUP BY state",
                payroll.id,
            )
        )
    )
    sent_ids = [
        rid for entry in received["submissions"] if entry["status"] == 202 for rid in entry["requestIds"]
    ]
    env.cr.commit()
    total = t_create + t_send + t_fetch
    print("-" * 100)
    print(
        "RESULT payments=%s batches=%s lines=%s open_payable=%s submitted_rows=%s "
        "duplicate_request_ids=%s duplicate_batches=%s payroll=%s | create %.2fs, send %.2fs, "
        "fetch+reconcile %.2fs (%s rounds), hub total %.2fs (%.0f payments/s), peak RSS %.0f MB"
        % (
            generated,
            len(batches),
            states,
            open_payable,
            len(sent_ids),
            len(received["duplicateRequestIds"]),
            len(received["duplicateCorrelationIds"]),
            payroll.state,
            t_create,
            t_send,
            t_fetch,
            rounds,
            total,
            generated / total if total else 0,
            peak_rss_mb(),
        )
    )
    assert len(sent_ids) == len(set(sent_ids)) == generated, "a payment was sent twice or not at all"
    assert not received["duplicateCorrelationIds"], "a batch was sent twice"
    assert states.get("paid", 0) + states.get("failed", 0) == generated, "payments without an outcome"
    assert float(open_payable) == 0, "payables not cleared"


if "env" in globals() and os.environ.get(MARKER):
    _households, _batch_size, _granularity = os.environ[MARKER].split(":")
    bench(globals()["env"], int(_households), int(_batch_size), _granularity)
elif __name__ == "__main__":
    main()
