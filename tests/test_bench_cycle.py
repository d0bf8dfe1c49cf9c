"""The whole-cycle benchmark (tests/bench/cycle.py) at 10,000 households, for its correctness checks:
every stage clicked over HTTP on a real Odoo server with its job runner and the PH-EE simulator, then
counts, balanced entries, no open payable, nothing sent or paid twice. Its figures are printed, never
asserted (the machine may be busy).

The benchmark's database is kept between runs (its addons updated first): ``G2P_BENCH_DB``, else the
test database's name with ``_bench_10000``. Its server listens on the test server's HTTP port + 1
(and + 2 for the gevent worker)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from odoo.tools import config

CYCLE = Path(__file__).resolve().parent / "bench" / "cycle.py"
HOUSEHOLDS = 10_000
#: Far above what it takes (about a minute on a quiet machine, once its database exists).
TIMEOUT = 1200


def test_cycle_of_10000_households_is_correct(tmp_path):
    test_db = config["db_name"][0] if isinstance(config["db_name"], list) else config["db_name"]
    db = os.environ.get("G2P_BENCH_DB") or "%s_bench_%s" % (test_db, HOUSEHOLDS)
    port = int(config["http_port"]) + 1
    report_path = tmp_path / "cycle.json"
    command = [sys.executable, str(CYCLE), "--households", str(HOUSEHOLDS), "--db", db]
    command += ["--port", str(port), "--json", str(report_path)]
    # Its own session: on a timeout, SIGTERM lets the driver stop its server and simulator.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
        raise AssertionError("the benchmark took more than %s s:\n%s" % (TIMEOUT, stdout[-4000:])) from None
    # The table and the checks, for the log of the run (pytest shows it with -s or on failure).
    print(stdout[-6000:])
    assert process.returncode == 0, stdout[-4000:] + stderr[-4000:]
    report = json.loads(report_path.read_text())
    assert not report.get("error")
    failed = [check for check in report["checks"] if not check["ok"]]
    assert not failed, failed
    checks = {check["name"]: check["actual"] for check in report["checks"]}
    failing = HOUSEHOLDS // 10  # wallets ending in 0 fail at the simulator
    assert checks["households enrolled"] == HOUSEHOLDS
    assert checks["payments (one per household)"] == HOUSEHOLDS
    assert checks["attempts: distinct request ids"] == HOUSEHOLDS
    assert checks["payments paid"] == HOUSEHOLDS - failing
    assert checks["payments failed (wallets ending in 0)"] == failing
    assert checks["batches completed"] >= HOUSEHOLDS // 500
    assert checks["payable: open (residual) after the cycle"] == 0
    assert checks["entries: unbalanced"] == 0
    assert checks["simulator: no request id twice"] == 0
    assert checks["simulator: no batch twice"] == 0
    assert checks["failed jobs"] == 0
    assert [stage["stage"] for stage in report["stages"]][-1] == "callbacks, status, reconciliation"
