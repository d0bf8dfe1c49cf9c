"""Shared by the benchmarks (tests/benchmark_*.py). Each benchmark runs twice: as a script, whose
``main`` prepares a scratch database and pipes the script itself into ``scripts/odoo.sh shell``
(``run_in_odoo_shell``), then inside that shell, read from stdin, where it times the work
(``timed``). There ``__file__`` is undefined: a benchmark finds this folder from
``G2P_BENCH_TESTS_DIR``, which ``run_in_odoo_shell`` sets."""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
ODOO_SH = str(TESTS_DIR.parent / "scripts" / "odoo.sh")

# Earlier runs' programs, payrolls and their entries go, the registry stays. For one transaction: the
# temporary tables go at its commit.
PAYROLL_CLEANUP = """
CREATE TEMP TABLE bench_moves ON COMMIT DROP AS
    SELECT id FROM account_move WHERE g2p_event IS NOT NULL;
CREATE TEMP TABLE bench_amls ON COMMIT DROP AS
    SELECT id FROM account_move_line WHERE move_id IN (SELECT id FROM bench_moves);
DELETE FROM account_partial_reconcile
    WHERE debit_move_id IN (SELECT id FROM bench_amls)
    OR credit_move_id IN (SELECT id FROM bench_amls);
DELETE FROM account_analytic_line WHERE move_line_id IN (SELECT id FROM bench_amls);
DELETE FROM g2p_payroll_line;
DELETE FROM g2p_payroll;
DELETE FROM g2p_program_fund;
DELETE FROM account_move_line WHERE id IN (SELECT id FROM bench_amls);
DELETE FROM account_full_reconcile f
    WHERE NOT EXISTS (SELECT 1 FROM account_move_line l WHERE l.full_reconcile_id = f.id);
DELETE FROM account_move WHERE id IN (SELECT id FROM bench_moves);
DELETE FROM g2p_cycle;
DELETE FROM g2p_program_membership;
DELETE FROM g2p_program;
"""


def argument_parser(description, db):
    """The options every benchmark takes: --households and its scratch --db."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=250_000)
    parser.add_argument("--db", default=db)
    return parser


def odoo(db, *args):
    """``scripts/odoo.sh -d db <args> --stop-after-init``; a failure stops the benchmark."""
    subprocess.run([ODOO_SH, "-d", db, *args, "--stop-after-init", "--log-level=warn"], check=True)


def psql(db, sql):
    subprocess.run(["psql", "-q", "-d", db, "-c", sql], check=True)


def scratch_cleaner(parser, db, prefix, cleanup, vacuum):
    """The ``before`` step of a benchmark that deletes an earlier run's rows: refuses a database
    whose name does not start with ``prefix`` (never a real one), then runs ``cleanup`` in one
    transaction and ``vacuum``, so the run starts without their dead rows (VACUUM cannot run inside
    odoo shell's transaction)."""
    if not db.startswith(prefix):
        parser.error("use a scratch database whose name starts with %s" % prefix)

    def clean():
        psql(db, "BEGIN;" + cleanup + "COMMIT;")
        psql(db, vacuum)

    return clean


def run_in_odoo_shell(script_path, db, addon, marker_env, update=False, before=None):
    """Install ``addon`` in ``db`` when the database is missing (else update it if ``update``), call
    ``before()``, then run ``script_path`` inside ``odoo shell`` with ``marker_env`` (how the script
    knows it is there, and its arguments) and exit with the shell's status."""
    probe = subprocess.run(["psql", "-d", db, "-Atc", "SELECT 1"], capture_output=True, check=False)
    if probe.returncode != 0:
        print("installing %s in %s …" % (addon, db), flush=True)
        odoo(db, "-i", addon)
    elif update:
        odoo(db, "-u", addon)
    if before:
        before()
    sys.exit(odoo_shell(script_path, db, marker_env))


def odoo_shell(script_path, db, marker_env):
    """Run ``script_path`` inside ``odoo shell`` on ``db`` with ``marker_env``; its exit status."""
    env = dict(os.environ, **marker_env, G2P_BENCH_TESTS_DIR=str(TESTS_DIR))
    with open(script_path, "rb") as script:
        result = subprocess.run(
            [ODOO_SH, "shell", "-d", db, "--no-http", "--log-level=warn"], stdin=script, env=env, check=False
        )
    return result.returncode


def timed(label, func):
    """``(func(), seconds)``, printed as one line; with G2P_BENCH_PROFILE set, a cProfile of it too
    (by cumulative time, or by own time with G2P_BENCH_PROFILE=tottime), of every stage or only of
    those whose label contains G2P_BENCH_PROFILE_STAGE."""
    started = time.perf_counter()
    stage = os.environ.get("G2P_BENCH_PROFILE_STAGE", "")
    if os.environ.get("G2P_BENCH_PROFILE") and stage in label:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(func)
        # G2P_BENCH_PROFILE=tottime ranks by time spent in each function itself.
        order = "tottime" if os.environ["G2P_BENCH_PROFILE"] == "tottime" else "cumulative"
        stats = pstats.Stats(profile).sort_stats(order)
        stats.print_stats(os.environ.get("G2P_BENCH_PROFILE_FILTER") or 35)
    else:
        result = func()
    elapsed = time.perf_counter() - started
    # Cut: a recordset's repr lists every id.
    print("%-52s %8.2f s   %s" % (label, elapsed, str(result)[:80]), flush=True)
    return result, elapsed
