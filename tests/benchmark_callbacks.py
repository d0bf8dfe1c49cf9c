#!/usr/bin/env python3
"""Benchmark: a storm of PH-EE callbacks against a real Odoo server with 4 HTTP workers.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_callbacks.py \\
        [--callbacks 10000] [--concurrency 20] [--duplicates 0.1] [--batch-size 20] \\
        [--workers 4] [--db NAME] [--port 8297] [--gevent-port 8298]

It installs g2p_payment_hub_phee in a database (default ``g2p_bench_callbacks``) when missing (else
updates it) and starts the PH-EE simulator (its own process, callbacks off: this script is the
processor calling back). Inside ``scripts/odoo.sh shell`` it prepares a payroll of sent batches
(the registry from bench_common.generate_registry, kept between runs; a new program, payroll and
batches each run, the previous run's deleted first, sent to the simulator over HTTP). Then it
starts Odoo with ``--workers N`` (HTTP workers and the queue_job runner, odoo.conf's channels) and
fires the callbacks from a bounded asyncio client (aiohttp, ``--concurrency`` requests in flight)
exactly as PH-EE sends them: ``POST <X-CallbackURL>`` (the batch's callback URL with its secret
token) with ``{"clientCorrelationId", "batchId", "message"}``; a share ``--duplicates`` of them
repeat an earlier body (half right behind it, so both are in flight together, half later). It
prints the throughput, the latency percentiles and the errors, waits for the job runner to apply
every batch's status, and checks that every event was stored once, every callback consumed, every
payment has one outcome and nothing was paid twice. Figures go to stdout; it exits non-zero when a
check fails (never on time).
"""

import os
import sys
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import TESTS_DIR

MARKER = "G2P_BENCH_CALLBACKS"
#: PH-EE's BatchAggregateRoute message; the rate makes each completion phase a new event.
MESSAGE = "The Batch Aggregation API was complete with : %s"
#: Distinct events per batch (the rates 0 … 100 PH-EE can report).
EVENTS_PER_BATCH = 100


def main():
    import argparse
    import math
    import signal
    import subprocess
    import time

    from bench_common import HUB_CLEANUP, ODOO_SH, odoo, psql

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--callbacks", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of repeated bodies")
    parser.add_argument("--batch-size", type=int, default=20, help="payments per batch")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default="g2p_bench_callbacks")
    parser.add_argument("--port", type=int, default=8297)
    parser.add_argument("--gevent-port", type=int, default=8298)
    parser.add_argument("--apply-timeout", type=float, default=300, help="seconds to wait for the jobs")
    args = parser.parse_args()
    unique = args.callbacks - round(args.callbacks * args.duplicates)
    batches = math.ceil(unique / EVENTS_PER_BATCH)
    base_url = "http://127.0.0.1:%s" % args.port

    probe = subprocess.run(["psql", "-d", args.db, "-Atc", "SELECT 1"], capture_output=True, check=False)
    if probe.returncode == 0:
        # From the registry up: -u of the connector alone leaves new columns of its dependencies out.
        odoo(args.db, "-u", "g2p_registry")
    else:
        odoo(args.db, "-i", "g2p_payment_hub_phee")
    # The previous run's program, payroll, entries, batches and jobs: the registry is rebuilt
    # when the number of batches changes, and those would hold on to it.
    psql(args.db, HUB_CLEANUP)
    sys.path.insert(0, str(TESTS_DIR.parent / "addons" / "g2p_payment_hub" / "tests" / "simulators"))
    import base as simulators

    phee = TESTS_DIR.parent / "addons" / "g2p_payment_hub_phee" / "tests" / "simulators" / "phee.py"
    config = {"oauth": True, "callback_drop": True, "fail_if_payee_endswith": ["0"]}
    with simulators.run_simulator(str(phee), "PHEE_SIMULATOR_READY", config) as sim:
        marker = "%s|%s|%s|%s" % (batches, args.batch_size, sim.url, base_url)
        env = dict(os.environ, **{MARKER: marker}, G2P_BENCH_TESTS_DIR=str(TESTS_DIR))
        print("preparing %s sent batches of %s payments …" % (batches, args.batch_size), flush=True)
        with open(__file__, "rb") as script:
            shell = subprocess.run(
                [ODOO_SH, "shell", "-d", args.db, "--no-http", "--log-level=warn"],
                stdin=script,
                env=env,
                stdout=subprocess.PIPE,
                check=False,
            )
        output = shell.stdout.decode()
        shown = [line for line in output.splitlines() if not line.startswith("BENCH_")]
        sys.stdout.write("".join(line + "\n" for line in shown))
        if shell.returncode:
            sys.exit(shell.returncode)
        figures = dict(line.split("=", 1) for line in output.splitlines() if line.startswith("BENCH_"))
        payroll_id = int(figures["BENCH_PAYROLL"])
        rows = psql_rows(
            args.db,
            "SELECT correlation_id, callback_token, external_id FROM g2p_payment_batch "
            "WHERE payroll_id = %s AND state = 'sent' ORDER BY id" % payroll_id,
        )
        assert len(rows) == batches, "every batch is sent: %s of %s" % (len(rows), batches)
        plan = callback_plan(rows, base_url, args.callbacks, unique)

        server = subprocess.Popen(
            # No --db-filter: with one, every request lists the databases over a new connection.
            [ODOO_SH, "-d", args.db, "--http-port", str(args.port)]
            + ["--gevent-port", str(args.gevent_port), "--workers", str(args.workers)]
            + ["--max-cron-threads", "0", "--log-level=warn", "--no-database-list"],
            start_new_session=True,  # scripts/odoo.sh runs odoo-bin as a child: stop the whole group
        )
        try:
            wait_health(base_url)
            import asyncio

            # Every worker loads the registry on its first request: not part of the figures.
            warm = [("%s/g2p/payment_hub/phee/callback/warm-up?token=x" % base_url, b"{}")] * (
                10 * args.workers
            )
            asyncio.run(fire(warm, args.concurrency))
            started = time.perf_counter()
            results = asyncio.run(fire([(url, body) for url, body, _key in plan], args.concurrency))
            wall = time.perf_counter() - started
            report(plan, results, wall, args)
            applied = wait_applied(args.db, payroll_id, args.apply_timeout)
            print("%-52s %8.2f s" % ("job runner: every batch's status applied", applied))
            ok = check(args.db, payroll_id, plan, results)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    sys.exit(0 if ok else 1)


def psql_rows(db, query):
    import subprocess

    out = subprocess.run(["psql", "-d", db, "-AtF", "\t", "-c", query], capture_output=True, check=True)
    return [line.split("\t") for line in out.stdout.decode().splitlines() if line]


def wait_health(base_url, seconds=120):
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen("%s/web/health" % base_url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    sys.exit("the Odoo server did not start")


def callback_plan(rows, base_url, total, unique):
    """[(url, body, event)] in firing order: ``unique`` distinct events spread over the batches,
    plus ``total - unique`` repeats, half right behind their original (in flight with it), half
    later at random. ``event`` is (correlation id, rate)."""
    import json
    import random

    rng = random.Random(14)
    events = []
    for number in range(unique):
        correlation_id, token, external_id = rows[number % len(rows)]
        rate = number // len(rows)
        body = json.dumps(
            {"clientCorrelationId": correlation_id, "batchId": external_id, "message": MESSAGE % rate}
        ).encode()
        url = "%s/g2p/payment_hub/phee/callback/%s?token=%s" % (base_url, correlation_id, token)
        events.append((url, body, (correlation_id, rate)))
    rng.shuffle(events)
    plan = list(events)
    repeats = total - unique
    for number in range(repeats):
        original = rng.randrange(unique)
        if number % 2:
            position = plan.index(events[original]) + 1
        else:
            position = rng.randrange(len(plan) + 1)
        plan.insert(position, events[original])
    return plan


async def fire(plan, concurrency):
    """POST every (url, body) of ``plan`` with at most ``concurrency`` in flight; returns
    [(status or None, seconds, answer)] in plan order."""
    import asyncio
    import json
    import time

    import aiohttp

    results = [None] * len(plan)
    position = iter(range(len(plan)))
    headers = {"Content-Type": "application/json"}

    async def worker(session):
        for index in position:
            url, body = plan[index]
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    raw = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as error:
                results[index] = (None, time.perf_counter() - started, str(error))
                continue
            elapsed = time.perf_counter() - started
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
            results[index] = (status, elapsed, answer)

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _n in range(concurrency)))
    return results


def percentile(sorted_values, share):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def report(plan, results, wall, args):
    latencies = sorted(seconds for _status, seconds, _answer in results)
    errors = [r for r in results if r[0] is None or not 200 <= r[0] < 300]
    answers = [answer for status, _s, answer in results if status == 200 and answer]
    duplicates = sum(1 for answer in answers if answer.get("duplicate"))
    print("-" * 80)
    print(
        "callbacks: %s (%s distinct events, %s repeats) at concurrency %s, %s HTTP workers"
        % (
            len(plan),
            len({key for _u, _b, key in plan}),
            len(plan) - len({key for _u, _b, key in plan}),
            args.concurrency,
            args.workers,
        )
    )
    print("%-52s %8.2f s" % ("wall time", wall))
    print("%-52s %8.0f /s" % ("throughput", len(plan) / wall))
    for label, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        print("%-52s %8.1f ms" % ("latency %s" % label, 1000 * percentile(latencies, share)))
    print("%-52s %8.1f ms" % ("latency max", 1000 * latencies[-1]))
    print("%-52s %8s" % ("errors (no answer or not 2xx)", len(errors)))
    print("%-52s %8s" % ("answered duplicate", duplicates))
    for status, _seconds, answer in errors[:5]:
        print("    error: %s %s" % (status, str(answer)[:200]))


def wait_applied(db, payroll_id, timeout):
    """Seconds until no batch of the payroll is open and no callback waits to be consumed."""
    import time

    started = time.perf_counter()
    query = (
        "SELECT (SELECT count(*) FROM g2p_payment_batch WHERE payroll_id = %(p)s "
        "AND state NOT IN ('completed', 'failed', 'cancelled')), "
        "(SELECT count(*) FROM g2p_payment_batch_log l JOIN g2p_payment_batch b ON b.id = l.batch_id "
        "WHERE b.payroll_id = %(p)s AND l.kind = 'callback' AND l.processed IS NOT TRUE)" % {"p": payroll_id}
    )
    while time.perf_counter() - started < timeout:
        ((open_batches, pending),) = psql_rows(db, query)
        if open_batches == "0" and pending == "0":
            break
        time.sleep(0.25)
    else:
        print("    still open after %ss: %s batches, %s callbacks pending" % (timeout, open_batches, pending))
    return time.perf_counter() - started


def check(db, payroll_id, plan, results):
    """Every event stored once, every callback consumed, one outcome per payment, nothing paid
    twice (the payment entries add up to the paid lines, the payables are cleared)."""
    distinct = len({key for _u, _b, key in plan})
    answers = [answer for status, _s, answer in results if status == 200 and answer]
    new_answers = sum(1 for answer in answers if not answer["duplicate"])
    ((stored, keys, pending),) = psql_rows(
        db,
        "SELECT count(*), count(DISTINCT (l.batch_id, l.event_key)), count(*) FILTER (WHERE NOT l.processed) "
        "FROM g2p_payment_batch_log l JOIN g2p_payment_batch b ON b.id = l.batch_id "
        "WHERE b.payroll_id = %s AND l.kind = 'callback'" % payroll_id,
    )
    ((lines, paid, failed, paid_amount, failed_amount),) = psql_rows(
        db,
        "SELECT count(*), count(*) FILTER (WHERE state = 'paid'), count(*) FILTER (WHERE state = 'failed'), "
        "COALESCE(sum(amount) FILTER (WHERE state = 'paid'), 0), "
        "COALESCE(sum(amount) FILTER (WHERE state = 'failed'), 0) FROM g2p_payroll_line WHERE payroll_id = %s"
        % payroll_id,
    )
    rows = psql_rows(
        db,
        "SELECT m.g2p_event, sum(l.debit) FROM account_move_line l "
        "JOIN account_move m ON m.id = l.move_id "
        "WHERE m.g2p_payroll_id = %s AND m.state = 'posted' GROUP BY m.g2p_event" % payroll_id,
    )
    entries = {event: float(total) for event, total in rows}
    # The beneficiary payable of the payroll's program: what approval owes and outcomes clear.
    ((open_payable,),) = psql_rows(
        db,
        "SELECT COALESCE(sum(l.amount_residual), 0) FROM account_move_line l "
        "JOIN account_move m ON m.id = l.move_id JOIN g2p_payroll r ON r.id = m.g2p_payroll_id "
        "JOIN g2p_program p ON p.id = r.program_id "
        "WHERE m.g2p_payroll_id = %s AND m.state = 'posted' "
        "AND l.account_id = p.beneficiary_payable_account_id" % payroll_id,
    )
    checks = [
        (
            "every event stored once",
            int(stored) == int(keys) == distinct == new_answers,
            "%s stored, %s distinct, %s answered new" % (stored, distinct, new_answers),
        ),
        ("every callback consumed by a status fetch", pending == "0", "%s pending" % pending),
        (
            "every payment has one outcome",
            int(paid) + int(failed) == int(lines),
            "%s lines: %s paid, %s failed" % (lines, paid, failed),
        ),
        (
            "nothing paid twice (payment entries = paid lines)",
            abs(entries.get("payment", 0.0) - float(paid_amount)) < 0.005,
            "entries %.2f, lines %.2f" % (entries.get("payment", 0.0), float(paid_amount)),
        ),
        (
            "failures reversed once",
            abs(entries.get("failure", 0.0) - float(failed_amount)) < 0.005,
            "entries %.2f, lines %.2f" % (entries.get("failure", 0.0), float(failed_amount)),
        ),
        ("payables cleared", abs(float(open_payable)) < 0.005, "open %s" % open_payable),
    ]
    print("-" * 80)
    for label, ok, detail in checks:
        print("%-52s %s   (%s)" % (label, "ok" if ok else "FAILED", detail))
    return all(ok for _label, ok, _detail in checks)


# ---------------------------------------------------------------------------- inside odoo shell


def prepare(env, batches, batch_size, sim_url, base_url):
    """A new program and payroll over ``batches * batch_size`` households, approved, split in
    batches of ``batch_size`` and sent to the simulator; committed."""
    sys.path.insert(0, str(TESTS_DIR))
    from bench_common import generate_registry  # sibling script: the same registry data

    from odoo.tools import SQL

    from odoo.addons.g2p_payment_hub_phee.tests.simulators.phee import connector_values

    env = env(su=True)
    generate_registry(env, batches * batch_size)
    env.cr.commit()
    psp = env["res.partner"].search([("name", "=", "Benchmark Wallet")], limit=1)
    env["g2p.payment.connector"].search([("name", "=", "Benchmark Callbacks")]).write({"active": False})
    program = env["g2p.program"].create(
        {"name": "Benchmark Callbacks", "target_type": "group", "base_amount": 1000, "amount_per_member": 200}
    )
    program.action_activate()
    program._enrol_eligible()
    due = env.execute_query(SQL("SELECT sum(amount) FROM (%s) b", program._benefit_amounts_sql()))[0][0]
    env["g2p.program.fund"].create({"program_id": program.id, "amount": float(due)}).action_post()
    cycle = program._create_next_cycle()
    cycle.action_submit()
    cycle.action_approve()
    payroll = env["g2p.payroll"].create({"cycle_id": cycle.id})
    env.cr.commit()
    payroll._generate_lines()
    env.cr.commit()
    payroll.action_submit()
    payroll._start_approval(background=False)
    env.cr.commit()
    env["g2p.payment.connector"].create(
        {
            "name": "Benchmark Callbacks",
            **connector_values(sim_url),
            "state": "test",
            "psp_id": psp.id,
            "batch_max_rows": batch_size,
            "retry_backoff": 0.05,
            "phee_callback_base_url": base_url,
        }
    )
    batches = payroll._create_payment_batches()
    env.cr.commit()
    sent = batches._send_batches()
    env.cr.commit()
    print("prepared: payroll %s, %s batches, %s sent" % (payroll.name, len(batches), len(sent)))
    print("BENCH_PAYROLL=%s" % payroll.id, flush=True)


if "env" in globals() and os.environ.get(MARKER):
    _batches, _size, _sim, _base = os.environ[MARKER].split("|", 3)
    prepare(globals()["env"], int(_batches), int(_size), _sim, _base)
elif __name__ == "__main__":
    main()
