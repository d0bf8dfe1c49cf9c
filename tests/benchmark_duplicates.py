#!/usr/bin/env python3
"""Benchmark: a whole-registry duplicate scan of 250,000 households (about 1,000,000 individuals).

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_duplicates.py [--households N] [--db NAME]

It installs g2p_program in a scratch database (default ``g2p_bench_duplicates``) when missing (else
updates g2p_registry, which creates the pg_trgm and unaccent extensions), then runs itself inside
``scripts/odoo.sh shell``. The registry is built by ``bench_common.generate_registry`` (set-based
SQL, kept between runs); every person has a name and a date of birth, a head a phone. Each run
deletes the previous run's pairs, then times ``g2p.duplicate._detect()`` (every key: phones, folded
name with date of birth, pg_trgm-similar name within a date of birth), then a second scan, which
must record nothing. It prints the individuals, the pairs found per key and the seconds.
"""

import os
import sys
import time
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import argument_parser, generate_registry, run_in_odoo_shell

MARKER = "G2P_BENCH_DUPLICATES"


def main():
    args = argument_parser(__doc__, "g2p_bench_duplicates").parse_args()
    run_in_odoo_shell(__file__, args.db, "g2p_program", {MARKER: str(args.households)}, update="g2p_registry")


def bench(env, households):
    env = env(su=True)
    generate_registry(env, households)
    env.cr.execute("DELETE FROM g2p_duplicate")
    env.cr.commit()
    env.cr.execute("SELECT count(*) FROM res_partner WHERE is_registrant AND NOT is_group")
    individuals = env.cr.fetchone()[0]
    Duplicate = env["g2p.duplicate"]
    started = time.perf_counter()
    found = Duplicate._detect()
    scan = time.perf_counter() - started
    env.cr.commit()
    started = time.perf_counter()
    again = Duplicate._detect()
    rescan = time.perf_counter() - started
    env.cr.execute("SELECT reason, count(*) FROM g2p_duplicate GROUP BY reason ORDER BY reason")
    by_reason = ", ".join("%s %s" % row for row in env.cr.fetchall())
    print("individuals                 %10d" % individuals)
    print("pairs found                 %10d  (%s)" % (found, by_reason or "none"))
    print("full scan                   %10.1f s  (%.0f individuals/s)" % (scan, individuals / scan))
    print("second scan (records %d)     %10.1f s" % (again, rescan))
    env.cr.commit()
    if again:
        sys.exit("the second scan recorded %s pairs again" % again)


if "env" in globals() and os.environ.get(MARKER):
    bench(globals()["env"], int(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
