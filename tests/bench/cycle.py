#!/usr/bin/env python3
"""Benchmark: a whole payment cycle, as its users click it, through a real Odoo server, its queue
job runner and the PH-EE simulator over real HTTP.

Usage (from the repository root; ``make bench`` runs the first line):

    $VENV/bin/python tests/bench/cycle.py [--households 10000] [--granularity psp|beneficiary]
        [--db NAME] [--port 8280] [--workers 4] [--batch-size 500] [--json PATH]

1. The scratch database (default ``g2p_bench_<households>``) gets g2p_payment_hub_phee installed
   when missing, else its addons updated; an earlier run's program, payroll, entries, batches and
   jobs are deleted. The registry (households of 2 to 6 people, a national ID each, a mobile wallet
   per head at the PSP "Benchmark Wallet") is built in set-based SQL and kept between runs.
2. The PH-EE simulator starts as its own process (one payment in ten fails there); inside
   ``odoo shell`` the users (two program managers, a payroll approver, a finance officer), the
   PH-EE connector and a fresh program (funded) are created.
3. An Odoo server starts with prefork workers and queue_job's runner (``odoo.conf`` channels), and
   each user logs in over HTTP and clicks, as in the back office: Enrol Eligible, New Cycle →
   Submit → Approve (the second manager), a new payroll → Generate Payments → Submit → Approve
   (the approver), then as finance: Transfer Funds to PSPs, Create Payment Batches, Send. Long
   stages run in background jobs: the driver polls the record's progress until they are done. The
   simulator calls back; the callbacks queue status jobs, which fetch the status and reconcile
   (the settlement entries).
4. It prints a table (stage, rows, seconds, rows/s, jobs, peak RSS of the Odoo processes, the
   simulator and this driver during the stage, and the CPU seconds each used in it, to tell
   Odoo's own work from the simulator's and from waiting on PostgreSQL; ``--json`` writes the
   same), then checks the
   result: counts of members, payments, batches, attempts, paid and failed; every entry posted
   and balanced; no open payable; no request id, batch or payment twice; no failed job. A failed
   check exits with status 1. Figures are for reading, not asserted (tests/test_bench_cycle.py
   runs 10,000 households for the checks).
"""

import argparse
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): bench_common.odoo_shell passes
# the tests folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent.parent))
from bench_common import (
    HUB_CLEANUP,
    TESTS_DIR,
    ensure_database,
    generate_registry,
    odoo_server,
    odoo_shell,
    psql,
)

REPO = TESTS_DIR.parent
MARKER = "G2P_BENCH_CYCLE"
SETUP_LINE = "BENCH_SETUP="
PROGRAM_NAME = "Benchmark Cycle"
CONNECTOR_NAME = "Benchmark PH-EE"
#: Logins (password = login) and groups of the users who click through the cycle.
USERS = {
    "manager": ("bench_manager", "Benchmark Program Manager", "g2p_program.group_g2p_program_manager"),
    "manager2": ("bench_manager2", "Benchmark Cycle Approver", "g2p_program.group_g2p_program_manager"),
    "approver": ("bench_approver", "Benchmark Payroll Approver", "g2p_payroll.group_g2p_payroll_approver"),
    "finance": ("bench_finance", "Benchmark Finance Officer", "g2p_payroll.group_g2p_finance_officer"),
}
#: The benefit: 1,000 per household and 200 per member, up to 5 members.
BASE_AMOUNT, PER_MEMBER, MAX_MEMBERS = 1000, 200, 5
#: Wallet numbers end with the household number: those ending in 0 fail at the simulator.
SIMULATOR_CONFIG = {"oauth": True, "fail_if_payee_endswith": ["0"]}
CLEANUP = HUB_CLEANUP + "DELETE FROM g2p_job_chunk;\nDELETE FROM g2p_job_run;\n"
# Not g2p_program_membership: analysed empty, it leads the enrolment INSERT to a slow plan.
VACUUM = (
    "VACUUM ANALYZE g2p_payment_batch_log, g2p_payment_attempt, g2p_payment_batch, g2p_payroll_line, "
    "g2p_payroll, account_move_line, account_move, account_partial_reconcile, queue_job"
)
POLL_SECONDS = 0.25
#: Seconds without change (and no job waiting) before the driver steps in or gives up.
STALL_SECONDS = 15


class BenchError(Exception):
    """A stage that failed or did not finish: the run stops with this message."""


# ---------------------------------------------------------------------------- the driver


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--granularity", default="psp", choices=["psp", "beneficiary"])
    parser.add_argument("--db", help="scratch database (default g2p_bench_<households>)")
    parser.add_argument(
        "--port", type=int, default=8280, help="Odoo's HTTP port; the gevent worker's is the next"
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="Odoo HTTP workers (the job runner's jobs run in them)"
    )
    parser.add_argument("--batch-size", type=int, default=500, help="payments per PH-EE batch at most")
    parser.add_argument("--stage-timeout", type=int, default=1800, help="seconds a stage may take")
    parser.add_argument("--json", help="also write the table and the checks to this file")
    parser.add_argument(
        "--no-update", action="store_true", help="do not update the addons of a kept database"
    )
    args = parser.parse_args()
    args.db = args.db or "g2p_bench_%s" % args.households
    if "bench" not in args.db:
        parser.error("use a scratch database: its name must contain 'bench'")
    # scripts/odoo.sh runs Odoo with this virtualenv's Python.
    os.environ.setdefault("VENV", sys.prefix)
    # Stopped from outside (a timeout): unwind, so the server and the simulator stop too.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    report = run(args)
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    failed = [check for check in report["checks"] if not check["ok"]]
    if report.get("error") or failed:
        print(
            "FAILED: %s" % (report.get("error") or ", ".join(check["name"] for check in failed)), flush=True
        )
        sys.exit(1)
    print("OK: every check passed", flush=True)


def run(args):
    sys.path.insert(0, str(REPO / "addons" / "g2p_payment_hub_phee" / "tests" / "simulators"))
    import phee  # the simulator's module, for starting it as its own process

    report = {
        "households": args.households,
        "granularity": args.granularity,
        "db": args.db,
        "workers": args.workers,
        "batch_size": args.batch_size,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
        "stages": [],
        "checks": [],
    }
    watch = ProcessWatch()
    watch.add("driver", os.getpid())
    started = time.perf_counter()
    prepare_database(args.db, update=not args.no_update)
    report["prepare_seconds"] = round(time.perf_counter() - started, 2)
    report["postgresql"] = postgresql_settings(args.db)
    odoo_url = "http://127.0.0.1:%s" % args.port
    with phee.run_phee_simulator(**SIMULATOR_CONFIG) as sim:
        watch.add("simulator", sim.process.pid)
        setup = run_setup(args, sim.url, odoo_url)
        report["registry_seconds"] = setup["registry_seconds"]
        with odoo_server(args.db, args.port, workers=args.workers, gevent_port=args.port + 1) as server:
            watch.add("odoo", server.pid)
            with watch.running():
                cycle = Cycle(args, setup, odoo_url, sim, watch, report)
                try:
                    cycle.run()
                except BenchError as error:
                    report["error"] = str(error)
                report["checks"] = verify(args, setup, cycle, sim)
    report["load_after"] = os.getloadavg()
    stages = report["stages"]
    cycle_seconds = sum(stage["seconds"] for stage in stages)
    report["cycle_seconds"] = round(cycle_seconds, 2)
    report["total"] = {
        "stage": "whole cycle",
        "rows": args.households,
        "seconds": round(cycle_seconds, 2),
        "rows_per_s": round(args.households / cycle_seconds) if cycle_seconds else None,
        "jobs": sum(stage["jobs"] or 0 for stage in stages),
        "rss_mb": {label: max(stage["rss_mb"].get(label, 0) for stage in stages) for label in watch.labels()}
        if stages
        else {},
        "cpu_s": {
            label: round(sum(stage.get("cpu_s", {}).get(label, 0) for stage in stages), 1)
            for label in sorted({label for stage in stages for label in stage.get("cpu_s", {})})
        },
    }
    return report


def prepare_database(db, update=True):
    """Install the connector (and with it the payment hub, payroll, programs, registry) in ``db``
    when missing, else update every G2P addon (updating g2p_registry updates those that depend on
    it); a kept database whose update fails (an addon changed beyond what an update handles) is
    made again. Then the earlier run's records go."""
    try:
        ensure_database(db, "g2p_payment_hub_phee", update="g2p_registry" if update else False)
    except subprocess.CalledProcessError:
        print("updating %s failed: making it again" % db, flush=True)
        psql("postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db.replace('"', ""))
        data_dir = Path(os.environ.get("G2P_DATA_DIR") or REPO / ".local" / "data")
        shutil.rmtree(data_dir / "filestore" / db, ignore_errors=True)
        ensure_database(db, "g2p_payment_hub_phee")
    psql(db, "BEGIN;" + CLEANUP + "COMMIT;")
    psql(db, VACUUM)


def run_setup(args, sim_url, odoo_url):
    """Users, connector, program and fund (and the registry when missing), inside odoo shell."""
    config = {
        "households": args.households,
        "granularity": args.granularity,
        "batch_size": args.batch_size,
        "sim_url": sim_url,
        "odoo_url": odoo_url,
    }
    shell = odoo_shell(__file__, args.db, {MARKER: json.dumps(config)}, stdout=subprocess.PIPE)
    output = shell.stdout.decode()
    lines = output.splitlines()
    sys.stdout.write("".join(line + "\n" for line in lines if not line.startswith(SETUP_LINE)))
    found = [line[len(SETUP_LINE) :] for line in lines if line.startswith(SETUP_LINE)]
    if shell.returncode or not found:
        raise SystemExit("the setup in odoo shell failed (exit status %s)" % shell.returncode)
    return json.loads(found[-1])


class Client:
    """One user's web session: logs in like the login form, calls methods like the web client
    (``call_button`` for a button, ``call_kw`` for reads)."""

    _ids = itertools.count(1)

    def __init__(self, url, db, login):
        import requests

        self.url = url
        self.login = login
        self.http = requests.Session()
        info = self._rpc("/web/session/authenticate", {"db": db, "login": login, "password": login})
        if not info.get("uid"):
            raise BenchError("%s could not log in" % login)

    def _rpc(self, path, params, timeout=1800):
        response = self.http.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": next(self._ids)},
            timeout=timeout,
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            error = body["error"].get("data", {}).get("message") or body["error"].get("message")
            raise BenchError("%s, %s: %s" % (self.login, params.get("method") or path, error))
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self._rpc("/web/dataset/call_kw/%s.%s" % (model, method), params)

    def button(self, model, method, ids):
        params = {"model": model, "method": method, "args": [ids], "kwargs": {}}
        return self._rpc("/web/dataset/call_button/%s.%s" % (model, method), params)

    def read(self, model, record_id, fields):
        return self.call(model, "read", [record_id], fields)[0]


class Cycle:
    """The stages, in order, each as its users' clicks; their figures go to ``report``."""

    def __init__(self, args, setup, url, sim, watch, report):
        self.args = args
        self.setup = setup
        self.url = url
        self.sim = sim
        self.watch = watch
        self.report = report
        self.users = {role: Client(url, args.db, login) for role, login in setup["users"].items()}
        self.program_id = setup["program_id"]
        self.cycle_id = self.payroll_id = None
        self.runs = {}  # stage name: g2p.job.run id
        self.fallback_fetches = 0

    def run(self):
        self.stage("enrolment", self.enrol)
        self.stage("cycle: new, submit, approve", self.new_cycle)
        self.stage("payroll generation", self.generate)
        self.stage("payroll submission", self.submit)
        self.stage("approval with its entries", self.approve)
        self.stage("transfer of funds to the PSP", self.transfer)
        self.stage("payment batches", self.create_batches)
        self.stage("sending", self.send)
        self.stage("callbacks, status, reconciliation", self.settle)

    def stage(self, name, func):
        """Run one stage: its rows and seconds, its jobs and the peak memory of each process."""
        print("%s …" % name, flush=True)
        self.watch.begin()
        started = time.perf_counter()
        rows, jobs, failed = 0, None, True
        try:
            rows, jobs = func()
            failed = False
        finally:
            # A stage that failed is shown too, with the time it took to fail.
            name = "%s (FAILED)" % name if failed else name
            seconds = time.perf_counter() - started
            rss_mb, cpu_s = self.watch.end()
            self.report["stages"].append(
                {
                    "stage": name,
                    "rows": rows,
                    "seconds": round(seconds, 2),
                    "rows_per_s": round(rows / seconds) if seconds and rows else None,
                    "jobs": jobs,
                    "rss_mb": rss_mb,
                    "cpu_s": cpu_s,
                }
            )

    # ------------------------------------------------------------------ waiting for background work

    def wait_record(self, client, model, record_id, what):
        """Poll the record's background stage (as its form shows it) until it is not running;
        returns the stage's run id and its number of jobs. A failed part stops the benchmark."""
        deadline = time.monotonic() + self.args.stage_timeout
        last_print = time.monotonic()
        fields = ["g2p_job_run_id", "g2p_job_running", "g2p_job_progress", "g2p_job_failed_count"]
        while True:
            record = client.read(model, record_id, fields)
            if record["g2p_job_failed_count"]:
                raise BenchError("%s: a background part failed: %s" % (what, failed_jobs(self.args.db)))
            if not record["g2p_job_running"]:
                run_id = record["g2p_job_run_id"] and record["g2p_job_run_id"][0]
                return run_id, run_jobs(self.args.db, run_id)
            if time.monotonic() > deadline:
                raise BenchError("%s did not finish in %s s" % (what, self.args.stage_timeout))
            if time.monotonic() - last_print > 10:
                print("  %s: %.0f %%" % (what, record["g2p_job_progress"]), flush=True)
                last_print = time.monotonic()
            time.sleep(POLL_SECONDS)

    # ------------------------------------------------------------------ the stages

    def enrol(self):
        manager = self.users["manager"]
        manager.button("g2p.program", "action_enrol_eligible", [self.program_id])
        _run, jobs = self.wait_record(manager, "g2p.program", self.program_id, "enrolment")
        return manager.read("g2p.program", self.program_id, ["enrolled_count"])["enrolled_count"], jobs

    def new_cycle(self):
        manager, manager2 = self.users["manager"], self.users["manager2"]
        manager.button("g2p.program", "action_new_cycle", [self.program_id])
        [self.cycle_id] = manager.call(
            "g2p.cycle", "search", [("program_id", "=", self.program_id)], order="id desc", limit=1
        )
        manager.button("g2p.cycle", "action_submit", [self.cycle_id])
        # Maker-checker: another program manager approves.
        manager2.button("g2p.cycle", "action_approve", [self.cycle_id])
        return 1, 0

    def generate(self):
        manager = self.users["manager"]
        self.payroll_id = manager.call("g2p.payroll", "create", {"cycle_id": self.cycle_id})
        manager.button("g2p.payroll", "action_generate", [self.payroll_id])
        _run, jobs = self.wait_record(manager, "g2p.payroll", self.payroll_id, "payroll generation")
        return self.line_count(manager), jobs

    def submit(self):
        manager = self.users["manager"]
        manager.button("g2p.payroll", "action_submit", [self.payroll_id])
        return self.line_count(manager), 0

    def approve(self):
        approver = self.users["approver"]
        approver.button("g2p.payroll", "action_approve", [self.payroll_id])
        _run, jobs = self.wait_record(approver, "g2p.payroll", self.payroll_id, "approval")
        state = approver.read("g2p.payroll", self.payroll_id, ["state"])["state"]
        if state != "approved":
            raise BenchError("the payroll is %s after its approval" % state)
        return self.line_count(approver), jobs

    def transfer(self):
        finance = self.users["finance"]
        finance.button("g2p.payroll", "action_transfer_to_psp", [self.payroll_id])
        return self.line_count(finance), 0

    def create_batches(self):
        """Finance: Create Payment Batches on the payroll (a background stage above 5,000 payments)."""
        finance = self.users["finance"]
        finance.button("g2p.payroll", "action_create_batches", [self.payroll_id])
        _run, jobs = self.wait_record(finance, "g2p.payroll", self.payroll_id, "payment batches")
        return sum(batch["total_count"] for batch in self.batches()), jobs

    def send(self):
        """Finance: Send All Batches on the payroll (chunks of batches in the send channel)."""
        finance = self.users["finance"]
        finance.button("g2p.payroll", "action_send_batches", [self.payroll_id])
        _run, jobs = self.wait_record(finance, "g2p.payroll", self.payroll_id, "sending")
        unsent = [b["name"] for b in self.batches() if b["state"] in ("draft", "queued", "sending")]
        if unsent:
            raise BenchError("%s batches not sent: %s" % (len(unsent), ", ".join(unsent[:5])))
        return sum(batch["total_count"] for batch in self.batches()), jobs

    def settle(self):
        """Callbacks queue status jobs that fetch and reconcile; wait until every payment has its
        outcome and the payroll is reconciled."""
        jobs = wait_settled(self)
        self.report["apply_jobs"] = apply_jobs(self.args.db)
        finance = self.users["finance"]
        payroll = finance.read("g2p.payroll", self.payroll_id, ["paid_count", "failed_count", "state"])
        if payroll["state"] != "reconciled":
            raise BenchError("the payroll is %s, not reconciled" % payroll["state"])
        return payroll["paid_count"] + payroll["failed_count"], jobs

    # ------------------------------------------------------------------ reading

    def line_count(self, client):
        return client.read("g2p.payroll", self.payroll_id, ["line_count"])["line_count"]

    def batches(self):
        return self.users["finance"].call(
            "g2p.payment.batch",
            "search_read",
            [("payroll_id", "=", self.payroll_id)],
            ["name", "state", "total_count", "paid_count", "failed_count", "pending_count"],
            order="id",
        )


# The payment hub's stages: one function each, so that moving them into payroll jobs (new payroll
# actions whose progress shows on the payroll) changes one function, not the driver.


def fetch_status(cycle, batch_ids):
    """Finance: Fetch Status on open batches (what the poll cron does for lost callbacks)."""
    cycle.users["finance"].button("g2p.payment.batch", "action_fetch_status", batch_ids)


def wait_settled(cycle):
    """Wait until no batch is open and the payroll is reconciled: the callbacks' status jobs do
    the work. When nothing moves for a while and no job waits (callbacks lost or given up), click
    Fetch Status on the open batches; when every batch is closed and still the payroll is not
    reconciled, stop: that is a failure. Returns the number of status jobs."""
    db = cycle.args.db
    deadline = time.monotonic() + cycle.args.stage_timeout
    last_change, last_seen = time.monotonic(), None
    last_print = time.monotonic()
    while True:
        batches = cycle.batches()
        open_ids = [b["id"] for b in batches if b["state"] in ("sent", "partially_completed")]
        state = cycle.users["finance"].read("g2p.payroll", cycle.payroll_id, ["state"])["state"]
        if not open_ids and state == "reconciled":
            return status_jobs(db)
        failed = failed_jobs(db)
        if failed:
            raise BenchError("a status job failed: %s" % failed)
        if (open_ids, state) != last_seen:
            last_change, last_seen = time.monotonic(), (open_ids, state)
        elif time.monotonic() - last_change > STALL_SECONDS and not waiting_jobs(db):
            if not open_ids:
                raise BenchError(
                    "every batch is completed and every payment has its outcome, yet the payroll "
                    "stays %s (no job left to change it)" % state
                )
            print("  no job left for %s open batches: Fetch Status" % len(open_ids), flush=True)
            fetch_status(cycle, open_ids)
            cycle.fallback_fetches += 1
            last_change = time.monotonic()
        if time.monotonic() > deadline:
            raise BenchError("%s batches still open after %s s" % (len(open_ids), cycle.args.stage_timeout))
        if time.monotonic() - last_print > 10:
            done = sum(b["paid_count"] + b["failed_count"] for b in batches)
            print("  settled: %s payments, %s batches open" % (done, len(open_ids)), flush=True)
            last_print = time.monotonic()
        time.sleep(POLL_SECONDS)


# ---------------------------------------------------------------------------- the database, read


def connect(db):
    """A connection to ``db`` with the suite's settings (DB_* or PG* variables, as scripts/common.sh)."""
    import psycopg2

    params = {"dbname": db}
    for key, names in (
        ("host", ("DB_HOST", "PGHOST")),
        ("port", ("DB_PORT", "PGPORT")),
        ("user", ("DB_USER", "PGUSER")),
        ("password", ("DB_PASSWORD", "PGPASSWORD")),
    ):
        value = next((os.environ[name] for name in names if os.environ.get(name)), None)
        if value:
            params[key] = value
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection


def query(db, sql, params=()):
    with contextlib.closing(connect(db)) as connection, connection.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def run_jobs(db, run_id):
    """How many queue jobs a stage's run had (its parts and its finishing job)."""
    if not run_id:
        return 0
    [(count,)] = query(
        db,
        """SELECT (SELECT count(*) FROM g2p_job_chunk WHERE run_id = %(run)s AND job_uuid IS NOT NULL)
                + (SELECT count(*) FROM g2p_job_run WHERE id = %(run)s AND job_uuid IS NOT NULL)""",
        {"run": run_id},
    )
    return count


def failed_jobs(db):
    rows = query(db, "SELECT name, exc_message FROM queue_job WHERE state = 'failed' ORDER BY id LIMIT 3")
    return "; ".join("%s: %s" % row for row in rows)


def waiting_jobs(db):
    [(count,)] = query(
        db, "SELECT count(*) FROM queue_job WHERE state NOT IN ('done', 'failed', 'cancelled')"
    )
    return count


def status_jobs(db):
    [(count,)] = query(db, "SELECT count(*) FROM queue_job WHERE method_name = '_fetch_and_apply'")
    return count


def apply_jobs(db):
    """Apply runs of the staged outcomes (status jobs join a waiting one: far fewer than them)."""
    [(count,)] = query(db, "SELECT count(*) FROM queue_job WHERE method_name = '_apply_staged_outcomes'")
    return count


# ---------------------------------------------------------------------------- the checks


def verify(args, setup, cycle, sim):
    """Every correctness check, as [{name, expected, actual, ok}]."""
    checks = []

    def check(name, actual, expected):
        checks.append({"name": name, "expected": expected, "actual": actual, "ok": actual == expected})

    db, households = args.db, args.households
    program, payroll = setup["program_id"], cycle.payroll_id
    [(enrolled,)] = query(
        db,
        "SELECT count(*) FROM g2p_program_membership WHERE program_id = %s AND state = 'enrolled'",
        [program],
    )
    check("households enrolled", enrolled, households)
    if not payroll:
        return checks
    [(lines, beneficiaries, numbers, total, failing, due)] = query(
        db,
        """SELECT count(*), count(DISTINCT beneficiary_id), count(DISTINCT payment_number), sum(amount),
                  count(*) FILTER (WHERE account_identifier LIKE '%%0'),
                  (SELECT sum(%s + %s * least(h.household_size, %s)) FROM res_partner h
                    WHERE h.registrant_number LIKE 'BHH-%%')
             FROM g2p_payroll_line WHERE payroll_id = %s""",
        [BASE_AMOUNT, PER_MEMBER, MAX_MEMBERS, payroll],
    )
    check("payments (one per household)", lines, households)
    check("payments: distinct beneficiaries", beneficiaries, households)
    check("payments: distinct payment numbers", numbers, households)
    check("payments: total amount (the benefit formula)", float(total or 0), float(due or 0))
    states = dict(
        query(db, "SELECT state, count(*) FROM g2p_payroll_line WHERE payroll_id = %s GROUP BY 1", [payroll])
    )
    check("payments paid", states.get("paid", 0), lines - failing)
    check("payments failed (wallets ending in 0)", states.get("failed", 0), failing)
    [(payroll_state,)] = query(db, "SELECT state FROM g2p_payroll WHERE id = %s", [payroll])
    check("payroll state", payroll_state, "reconciled")

    [(batches, completed, in_batches, paid_in_batches, failed_in_batches)] = query(
        db,
        """SELECT count(*), count(*) FILTER (WHERE state = 'completed'), COALESCE(sum(total_count), 0),
                  COALESCE(sum(paid_count), 0), COALESCE(sum(failed_count), 0)
             FROM g2p_payment_batch WHERE payroll_id = %s""",
        [payroll],
    )
    check("batches (at most --batch-size payments each)", batches >= math.ceil(lines / args.batch_size), True)
    check("batches completed", completed, batches)
    check("batches: payments in them", in_batches, lines)
    check("batches: paid and failed counts", (paid_in_batches, failed_in_batches), (lines - failing, failing))
    [(attempts, request_ids, attempted_lines)] = query(
        db,
        """SELECT count(*), count(DISTINCT a.request_id), count(DISTINCT a.payroll_line_id)
             FROM g2p_payment_attempt a JOIN g2p_payment_batch b ON b.id = a.batch_id
            WHERE b.payroll_id = %s""",
        [payroll],
    )
    check("attempts (one per payment)", attempts, lines)
    check("attempts: distinct request ids", request_ids, lines)
    check("attempts: distinct payments", attempted_lines, lines)

    received = sim.control("received")
    sent_ids = [
        request_id
        for entry in received["submissions"]
        if entry["status"] == 202
        for request_id in entry["requestIds"]
    ]
    check(
        "simulator: batches accepted", sum(1 for e in received["submissions"] if e["status"] == 202), batches
    )
    check("simulator: payments received", len(sent_ids), lines)
    check(
        "simulator: no request id twice",
        len(received["duplicateRequestIds"]) + len(sent_ids) - len(set(sent_ids)),
        0,
    )
    check("simulator: no batch twice", len(received["duplicateCorrelationIds"]), 0)
    check("simulator: no row dropped as a duplicate", len(received["droppedDuplicateRows"] or []), 0)
    callbacks = sim.control("callbacks")["callbacks"]
    answered = {c["clientCorrelationId"] for c in callbacks if c["status"] and c["status"] < 300}
    cycle.report["callbacks"] = {"attempts": len(callbacks), "batches_answered": len(answered)}
    cycle.report["fallback_fetches"] = cycle.fallback_fetches

    # Entries: every one posted and balanced, in both currencies.
    moves = query(
        db,
        """SELECT m.g2p_event, m.state, count(DISTINCT m.id),
                  count(DISTINCT m.id) FILTER (WHERE abs(t.debit - t.credit) > 0.001
                                                  OR abs(t.balance) > 0.001 OR abs(t.amount_currency) > 0.001)
             FROM account_move m
             JOIN (SELECT move_id, sum(debit) AS debit, sum(credit) AS credit, sum(balance) AS balance,
                          sum(amount_currency) AS amount_currency
                     FROM account_move_line GROUP BY move_id) t ON t.move_id = m.id
            WHERE m.g2p_payroll_id = %s
               OR m.g2p_fund_id IN (SELECT id FROM g2p_program_fund WHERE program_id = %s)
         GROUP BY 1, 2 ORDER BY 1, 2""",
        [payroll, program],
    )
    cycle.report["entries"] = {"%s/%s" % (event, state): count for event, state, count, _u in moves}
    check("entries: all posted", sorted({state for _e, state, _c, _u in moves}), ["posted"])
    check("entries: unbalanced", sum(unbalanced for *_x, unbalanced in moves), 0)
    check(
        "entries: events",
        sorted({event for event, *_x in moves}),
        sorted({"fund", "approval", "prefunding", "payment"} | ({"failure"} if failing else set())),
    )
    [(approved, settled_paid, settled_failed, residual, open_items, clearing)] = query(
        db,
        """SELECT COALESCE(sum(-l.balance) FILTER (WHERE m.g2p_event = 'approval'), 0),
                  COALESCE(sum(l.balance) FILTER (WHERE m.g2p_event = 'payment'), 0),
                  COALESCE(sum(l.balance) FILTER (WHERE m.g2p_event = 'failure'), 0),
                  COALESCE(sum(l.amount_residual), 0), count(*) FILTER (WHERE NOT l.reconciled),
                  (SELECT COALESCE(-sum(c.balance), 0) FROM account_move_line c
                     JOIN account_move cm ON cm.id = c.move_id
                    WHERE cm.g2p_payroll_id = %(payroll)s AND cm.g2p_event = 'payment'
                      AND c.account_id != %(payable)s)
             FROM account_move_line l JOIN account_move m ON m.id = l.move_id
            WHERE m.g2p_payroll_id = %(payroll)s AND l.account_id = %(payable)s""",
        {"payroll": payroll, "payable": setup["payable_account_id"]},
    )
    [(paid_amount, failed_amount)] = query(
        db,
        """SELECT COALESCE(sum(amount) FILTER (WHERE state = 'paid'), 0),
                  COALESCE(sum(amount) FILTER (WHERE state = 'failed'), 0)
             FROM g2p_payroll_line WHERE payroll_id = %s""",
        [payroll],
    )
    check("payable: approved = payments' total", float(approved), float(total or 0))
    check("payable: cleared by payments = paid amount", float(settled_paid), float(paid_amount))
    check("payable: cleared by failures = failed amount", float(settled_failed), float(failed_amount))
    check("payable: open (residual) after the cycle", float(residual), 0.0)
    check("payable: items not reconciled", open_items, 0)
    check("PSP clearing: credited once per paid payment", float(clearing), float(paid_amount))
    [(unsettled, settlement_items)] = query(
        db,
        """SELECT count(*) FILTER (WHERE settlement_move_line_id IS NULL),
                  count(DISTINCT settlement_move_line_id)
             FROM g2p_payroll_line WHERE payroll_id = %s""",
        [payroll],
    )
    check("payments without their settlement item", unsettled, 0)
    if args.granularity == "beneficiary":
        check("settlement items (one per payment)", settlement_items, lines)
    [(failed_job_count,)] = query(db, "SELECT count(*) FROM queue_job WHERE state = 'failed'")
    check("failed jobs", failed_job_count, 0)
    return checks


# ---------------------------------------------------------------------------- peak memory


class ProcessWatch:
    """Peak resident memory (VmHWM) of the benchmark's processes and their children, per stage: at
    a stage's start each process's peak is reset (``/proc/<pid>/clear_refs``), a thread reads it
    twice a second (a process may end within the stage), the stage keeps each one's highest."""

    def __init__(self):
        self.roots = {}
        self.names = {}
        self.peaks = defaultdict(float)
        # CPU seconds (user + system) of each process: at the stage's start, and the latest read.
        self.cpu_start, self.cpu_last = {}, {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def add(self, label, pid):
        self.roots[label] = pid

    def labels(self):
        with self.lock:
            return sorted(set(self.names.values()))

    @contextlib.contextmanager
    def running(self):
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            thread.join()

    def _loop(self):
        while not self.stop.wait(0.5):
            self.sample()

    def _processes(self):
        """{pid: label} of the roots and their descendants that run Python (not the shell
        around odoo-bin)."""
        children = defaultdict(list)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path("/proc/%s/stat" % entry).read_text()
                except OSError:
                    continue
                children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry))
        found = {}
        for label, root in self.roots.items():
            todo, main_seen = [root], False
            while todo:
                pid = todo.pop(0)
                todo.extend(sorted(children.get(pid, [])))
                try:
                    command = Path("/proc/%s/cmdline" % pid).read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"python" not in command[0]:
                    continue
                if label != "odoo":
                    found[pid] = label
                elif b"gevent" in command:
                    found[pid] = "odoo gevent"
                elif not main_seen:
                    found[pid], main_seen = "odoo main", True
                else:
                    found[pid] = "odoo worker %s" % pid
        return found

    def sample(self):
        processes = self._processes()
        for pid, label in processes.items():
            try:
                status = Path("/proc/%s/status" % pid).read_text()
            except OSError:
                continue
            hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
            cpu = self._cpu_seconds(pid)
            with self.lock:
                self.names[pid] = label
                self.peaks[label] = max(self.peaks[label], hwm / 1024)
                if cpu is not None:
                    self.cpu_start.setdefault(pid, cpu)
                    self.cpu_last[pid] = cpu

    @staticmethod
    def _cpu_seconds(pid):
        """User + system CPU seconds of ``pid`` (its own, not its children's), or None."""
        try:
            fields = Path("/proc/%s/stat" % pid).read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # After the command: state is field 3, utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def begin(self):
        for pid in self._processes():
            with contextlib.suppress(OSError):
                Path("/proc/%s/clear_refs" % pid).write_text("5")
        with self.lock:
            self.peaks.clear()
            self.cpu_start.clear()
            self.cpu_last.clear()
        self.sample()

    def end(self):
        """({label: peak RSS in MB}, {label: CPU seconds}) of the stage; the CPU of the Odoo
        workers is summed under "odoo workers" (a process that ended within the stage counts up to
        its last sample)."""
        self.sample()
        with self.lock:
            cpu = defaultdict(float)
            for pid, last in self.cpu_last.items():
                label = self.names.get(pid, "?")
                label = "odoo workers" if label.startswith("odoo worker") else label
                cpu[label] += last - self.cpu_start[pid]
            return (
                {label: round(mb) for label, mb in sorted(self.peaks.items())},
                {label: round(seconds, 1) for label, seconds in sorted(cpu.items())},
            )


# ---------------------------------------------------------------------------- the table


def rss_columns(rss):
    """The table's memory columns: Odoo's main process, its largest worker, the simulator, this
    driver (every process is in the JSON)."""
    workers = [mb for label, mb in rss.items() if label.startswith("odoo worker")]
    return (
        rss.get("odoo main", 0),
        max(workers, default=0),
        len(workers),
        rss.get("simulator", 0),
        rss.get("driver", 0),
    )


#: The PostgreSQL settings that weigh most on the cycle (write-ahead log, memory, parallelism):
#: printed with the figures, so that a run is compared with one on the same settings.
PG_SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "effective_cache_size",
    "max_wal_size",
    "checkpoint_timeout",
    "synchronous_commit",
    "wal_compression",
    "max_parallel_workers_per_gather",
)


def postgresql_settings(db):
    rows = query(
        db, "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", (list(PG_SETTINGS),)
    )
    found = dict(rows)
    return {name: found[name] for name in PG_SETTINGS if name in found}


def print_report(report):
    print()
    print(
        "%s households, %s posting, %s Odoo workers, batches of %s; %s CPUs, load %.1f before, %.1f after"
        % (
            report["households"],
            report["granularity"],
            report["workers"],
            report["batch_size"],
            report["cpus"],
            report["load_before"][0],
            report.get("load_after", report["load_before"])[0],
        )
    )
    if report.get("postgresql"):
        print("PostgreSQL: " + ", ".join("%s=%s" % item for item in report["postgresql"].items()))
    header = "%-36s %9s %9s %9s %5s | %9s %9s %9s %9s" % (
        "stage",
        "rows",
        "seconds",
        "rows/s",
        "jobs",
        "odoo main",
        "worker",
        "simulator",
        "driver",
    )
    print(header)
    print("-" * len(header))
    rows = report["stages"] + ([report["total"]] if report.get("total") else [])
    for row in rows:
        if row is report.get("total"):
            print("-" * len(header))
        main_mb, worker_mb, _count, sim_mb, driver_mb = rss_columns(row["rss_mb"])
        print(
            "%-36s %9s %9.2f %9s %5s | %6s MB %6s MB %6s MB %6s MB"
            % (
                row["stage"],
                row["rows"],
                row["seconds"],
                row["rows_per_s"] if row["rows_per_s"] is not None else "",
                row["jobs"] if row["jobs"] is not None else "",
                main_mb,
                worker_mb,
                sim_mb,
                driver_mb,
            )
        )
    print("CPU seconds per stage (Odoo main / workers / gevent, simulator, driver):")
    for row in rows:
        cpu = row.get("cpu_s") or {}
        print(
            "  %-34s %s"
            % (row["stage"], ", ".join("%s %.1f" % (label, seconds) for label, seconds in cpu.items()))
        )
    print(
        "peak RSS = the highest of each process during the stage (worker: the largest Odoo worker). "
        "Registry build %.1f s (0: kept), database preparation %.1f s."
        % (report.get("registry_seconds", 0), report.get("prepare_seconds", 0))
    )
    if "callbacks" in report:
        print(
            "callbacks: %(attempts)s sent, %(batches_answered)s batches answered 2xx; " % report["callbacks"]
            + "Fetch Status clicked %s times; %s apply runs; entries %s"
            % (report.get("fallback_fetches", 0), report.get("apply_jobs"), report.get("entries"))
        )
    print()
    for check in report["checks"]:
        print(
            "%-4s %-48s %s"
            % (
                "ok" if check["ok"] else "FAIL",
                check["name"],
                check["actual"] if check["ok"] else "%s, expected %s" % (check["actual"], check["expected"]),
            )
        )
    if report.get("error"):
        print("ERROR %s" % report["error"])


# ---------------------------------------------------------------------------- inside odoo shell


def setup(env, config):
    """Registry (when missing), users, PH-EE connector, a fresh active program and its funds;
    prints what the driver needs as one JSON line."""
    from odoo.tests import new_test_user

    from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values

    env = env(su=True)
    registry_seconds = generate_registry(env, config["households"])
    env.cr.commit()
    users = {}
    for role, (login, name, groups) in USERS.items():
        user = env["res.users"].search([("login", "=", login)], limit=1)
        if not user:
            user = new_test_user(env, login, groups=groups, name=name, password=login)
        users[role] = user
    psp = env["res.partner"].search([("name", "=", "Benchmark Wallet")], limit=1)
    env["g2p.payment.connector"].create(
        {
            "name": CONNECTOR_NAME,
            **connector_values(config["sim_url"]),
            "state": "test",
            "psp_id": psp.id,
            "batch_max_rows": config["batch_size"],
            "phee_callback_base_url": config["odoo_url"],
            "retry_backoff": 0.05,
        }
    )
    program = env["g2p.program"].create(
        {
            "name": PROGRAM_NAME,
            "target_type": "group",
            "base_amount": BASE_AMOUNT,
            "amount_per_member": PER_MEMBER,
            "max_members": MAX_MEMBERS,
            "psp_ids": [(6, 0, psp.ids)],
            "posting_granularity": config["granularity"],
        }
    )
    program.action_activate()
    program = program._g2p_accounting()
    # Enough for every household at the highest benefit.
    amount = config["households"] * (BASE_AMOUNT + PER_MEMBER * MAX_MEMBERS)
    fund = (
        env["g2p.program.fund"]
        .with_user(users["finance"])
        .create({"program_id": program.id, "amount": amount})
    )
    fund.action_post()
    env.cr.commit()
    print(
        SETUP_LINE
        + json.dumps(
            {
                "program_id": program.id,
                "payable_account_id": program.beneficiary_payable_account_id.id,
                "users": {role: user.login for role, user in users.items()},
                "registry_seconds": round(registry_seconds, 2),
            }
        ),
        flush=True,
    )


if "env" in globals() and os.environ.get(MARKER):
    setup(globals()["env"], json.loads(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
