#!/usr/bin/env python3
"""Benchmark: import a file of 100,000 household members (25,000 households) into the registry.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_intake_file.py [--rows N] [--db NAME]

It installs g2p_intake_file in a scratch database (default ``g2p_bench_intake``) when missing,
then runs itself inside ``scripts/odoo.sh shell`` on that database. Each run writes a new CSV
file (households of four: a head with a phone and a national ID, a spouse with a phone, two
children; names, phones and IDs new to the registry, so every household is created) and times, as
a registrar would run them: the dry run (read and check every row), the import (stage one record
per household and enqueue the jobs), then the jobs themselves, one after the other in this
process (the job runner would run two at a time: odoo.conf's root.g2p.intake:2), and a second
import of the same file (changes nothing). Figures go to stdout; the run is committed, so the
registry grows by the file at each run.
"""

import os
import sys
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import run_in_odoo_shell, timed

MARKER = "G2P_BENCH_INTAKE_ROWS"


def main():
    import argparse
    import subprocess
    import time

    from bench_common import ensure_database, odoo_server, odoo_shell

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="g2p_bench_intake")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8299, help="HTTP port (the gevent worker's: one more)")
    parser.add_argument(
        "--inline", action="store_true", help="run the jobs in the shell, one after the other"
    )
    args = parser.parse_args()
    marker = {MARKER: str(args.rows), "G2P_BENCH_INLINE": "1" if args.inline else ""}
    if args.inline:
        run_in_odoo_shell(__file__, args.db, "g2p_intake_file", marker, update=True)
    ensure_database(args.db, "g2p_intake_file", update=True)
    with odoo_server(
        args.db, args.port, workers=args.workers, gevent_port=args.port + 1, extra=["--no-database-list"]
    ):
        shell = odoo_shell(__file__, args.db, marker, stdout=subprocess.PIPE)
        output = shell.stdout.decode()
        sys.stdout.write(
            "".join(line + "\n" for line in output.splitlines() if not line.startswith("BENCH_"))
        )
        if shell.returncode:
            sys.exit(shell.returncode)
        figures = dict(line.split("=", 1) for line in output.splitlines() if line.startswith("BENCH_"))
        query = (
            "SELECT count(*) FILTER (WHERE state = 'new'), count(*) FILTER (WHERE state = 'imported'), "
            "count(*) FROM g2p_intake_record WHERE run_id = %s" % int(figures["BENCH_RUN"])
        )
        while True:
            out = subprocess.run(["psql", "-d", args.db, "-Atc", query], capture_output=True, check=True)
            pending, imported, total = map(int, out.stdout.decode().strip().split("|"))
            if not pending:
                break
            time.sleep(0.2)
        applying = time.time() - float(figures["BENCH_COMMITTED"])
        print("%-52s %8.2f s" % ("jobs: %s workers apply the households" % args.workers, applying))
        print("run: %s records, %s imported" % (total, imported))
        seconds = float(figures["BENCH_SECONDS"]) + applying
        print("%-52s %8.2f s   (%.0f rows/s)" % ("total: check + stage + jobs", seconds, args.rows / seconds))
        if imported != args.rows // 4:
            sys.exit("not every household was imported")


# ---------------------------------------------------------------------------- inside odoo shell


def build_file(env, rows):
    """A CSV of ``rows`` members whose names, phones and ID numbers the registry does not have."""
    import csv
    import io

    env.cr.execute("SELECT count(*) FROM res_partner WHERE is_registrant")
    offset = env.cr.fetchone()[0]  # grows with every run: the next file's values are new
    run = offset // 1000
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "household_key",
            "household_name",
            "village",
            "head",
            "relationship",
            "given_name",
            "family_name",
            "gender",
            "birthdate",
            "phone",
            "id_type",
            "id_number",
        ]
    )
    for n in range(rows // 4):
        family = "Bench%sx%s" % (run, n)
        serial = offset + n * 2
        members = [
            (
                "yes",
                "",
                "Amani",
                "female",
                "1981-02-03",
                "+2547%08d" % (10_000_000 + serial),
                "%09d" % (offset + n),
            ),
            ("no", "spouse", "Baraka", "male", "1979-06-07", "+2547%08d" % (10_000_001 + serial), ""),
            ("no", "child", "Chiku", "female", "2012-09-10", "", ""),
            ("no", "child", "Daudi", "male", "2015-11-12", "", ""),
        ]
        for head, relationship, given, gender, birthdate, phone, national_id in members:
            writer.writerow(
                [
                    "BH-%s-%s" % (run, n),
                    "",
                    "Village %s" % (n % 200),
                    head,
                    relationship,
                    given,
                    family,
                    gender,
                    birthdate,
                    phone,
                    "NATIONAL_ID" if national_id else "",
                    national_id,
                ]
            )
    return buffer.getvalue().encode()


def bench(env, rows):
    """Dry run and import as a registrar; then either commit, for the server's job runner, or
    (G2P_BENCH_INLINE) run the jobs here one after the other."""
    import base64
    import time

    from odoo.addons.queue_job.tests.common import trap_jobs

    if not env["g2p.id.type"].search([("code", "=", "NATIONAL_ID")], limit=1):
        env["g2p.id.type"].create({"name": "National ID", "code": "NATIONAL_ID"})
    raw = build_file(env, rows)
    print("file: %s rows, %.1f MB" % (rows, len(raw) / 1e6), flush=True)
    wizard = env["g2p.intake.file.import"].create(
        {"file": base64.b64encode(raw), "filename": "bench-%s.csv" % rows}
    )
    _result, check = timed("dry run: read and check every row", wizard.action_check)
    assert wizard.error_count == 0, wizard.line_ids[:3].mapped("message")
    if not os.environ.get("G2P_BENCH_INLINE"):
        _result, stage = timed("import: stage the households, enqueue jobs", wizard.action_import)
        run = env["g2p.intake.run"].search([], limit=1)
        env.cr.commit()  # the server's job runner sees the jobs from here
        print("jobs enqueued: %s" % run.job_count)
        print(
            "BENCH_COMMITTED=%s\nBENCH_RUN=%s\nBENCH_SECONDS=%s" % (time.time(), run.id, check + stage),
            flush=True,
        )
        return
    with trap_jobs() as trap:
        _result, stage = timed("import: stage the households, enqueue jobs", wizard.action_import)
        jobs = trap.enqueued_jobs
        print("jobs enqueued: %s" % len(jobs), flush=True)
        _result, applying = timed(
            "jobs: apply the households (one after the other)", lambda: [job.perform() for job in jobs][-1:]
        )
    run = env["g2p.intake.run"].search([], limit=1)
    print("run: %s records, %s imported" % (run.record_count, run.imported_count))
    assert run.imported_count == rows // 4, "every household is imported"
    env.cr.commit()
    total = check + stage + applying
    print("%-52s %8.2f s   (%.0f rows/s)" % ("total: check + stage + jobs", total, rows / total), flush=True)


if "env" in globals() and os.environ.get(MARKER):
    bench(globals()["env"], int(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
