"""Shared by the benchmarks (tests/benchmark_*.py, tests/bench/cycle.py). Each benchmark runs twice:
as a script, whose ``main`` prepares a scratch database and pipes the script itself into
``scripts/odoo.sh shell`` (``run_in_odoo_shell``), then inside that shell, read from stdin, where it
builds data (``generate_registry``) and times the work (``timed``). There ``__file__`` is undefined:
a benchmark finds this folder from ``G2P_BENCH_TESTS_DIR``, which ``run_in_odoo_shell`` sets. Those
that talk to a real Odoo server start it with ``odoo_server``."""

import argparse
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
# The payment hub's records first: they refer to payroll lines.
HUB_CLEANUP = (
    """
DELETE FROM g2p_payment_outcome;
DELETE FROM g2p_payment_batch_log;
DELETE FROM g2p_payment_attempt;
DELETE FROM g2p_payment_batch;
DELETE FROM g2p_payment_connector;
DELETE FROM queue_job;
DELETE FROM g2p_job_run;"""
    + PAYROLL_CLEANUP
)


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


def ensure_database(db, addon, update=False):
    """Install ``addon`` in ``db`` when the database is missing, else update ``update`` (an addon
    name, or True for ``addon``: updating an addon also updates those that depend on it)."""
    probe = subprocess.run(["psql", "-d", db, "-Atc", "SELECT 1"], capture_output=True, check=False)
    if probe.returncode != 0:
        print("installing %s in %s …" % (addon, db), flush=True)
        odoo(db, "-i", addon)
    elif update:
        odoo(db, "-u", addon if update is True else update)


def run_in_odoo_shell(script_path, db, addon, marker_env, update=False, before=None):
    """Install ``addon`` in ``db`` when the database is missing (else update it if ``update``), call
    ``before()``, then run ``script_path`` inside ``odoo shell`` with ``marker_env`` (how the script
    knows it is there, and its arguments) and exit with the shell's status."""
    ensure_database(db, addon, update)
    if before:
        before()
    sys.exit(odoo_shell(script_path, db, marker_env))


def odoo_shell(script_path, db, marker_env, stdout=None):
    """Run ``script_path`` inside ``odoo shell`` on ``db`` with ``marker_env``; its exit status
    (with ``stdout=subprocess.PIPE``, the completed process, its output captured)."""
    env = dict(os.environ, **marker_env, G2P_BENCH_TESTS_DIR=str(TESTS_DIR))
    with open(script_path, "rb") as script:
        result = subprocess.run(
            [ODOO_SH, "shell", "-d", db, "--no-http", "--log-level=warn"],
            stdin=script,
            env=env,
            stdout=stdout,
            check=False,
        )
    return result if stdout else result.returncode


@contextlib.contextmanager
def odoo_server(db, port, workers=0, gevent_port=None, extra=(), health_path="/web/health", timeout=180):
    """A real Odoo server (``scripts/odoo.sh``) on ``db`` only, HTTP on ``port``, no cron threads;
    with ``workers`` > 0 prefork workers (and the gevent worker on ``gevent_port``) and, as
    odoo.conf loads queue_job server-wide, its job runner. Yields the ``Popen`` once
    ``health_path`` answers; stopped (the whole process group) on exit."""
    command = [ODOO_SH, "-d", db, "--db-filter=^%s$" % db, "--http-port=%s" % port]
    command += ["--workers=%s" % workers, "--max-cron-threads=0", "--log-level=warn", *extra]
    if gevent_port:
        command.append("--gevent-port=%s" % gevent_port)
    # Its own process group: stopping it stops odoo-bin and its workers, not only scripts/odoo.sh.
    server = subprocess.Popen(command, start_new_session=True)
    try:
        wait_for_http("http://127.0.0.1:%s%s" % (port, health_path), server, timeout)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_for_http(url, process, timeout=180):
    """Wait until ``url`` answers (any status below 500), or ``process`` stops, or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the Odoo server stopped (exit status %s)" % process.returncode)
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the Odoo server did not answer %s in %s s" % (url, timeout))


def peak_rss_mb():
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


# ---------------------------------------------------------------------------- inside odoo shell


def run_waiting_jobs(env, channels):
    """Inside ``odoo shell``: perform every waiting job of the channels matching the LIKE patterns
    ``channels``, one transaction each, as one job runner worker would (in order, committed one by
    one), until none is left; returns how many ran."""
    from odoo.addons.queue_job.controllers.main import RunJobController
    from odoo.addons.queue_job.job import Job

    count = 0
    while True:
        env.cr.execute(
            """SELECT uuid FROM queue_job WHERE state IN ('pending', 'enqueued')
                  AND channel LIKE ANY(%s) ORDER BY id""",
            [list(channels)],
        )
        uuids = [uuid for (uuid,) in env.cr.fetchall()]
        if not uuids:
            return count
        for uuid in uuids:
            job = Job.load(env, uuid)
            job.set_started()
            job.store()
            env.cr.commit()
            RunJobController._try_perform_job(env, job)  # commits
            RunJobController._enqueue_dependent_jobs(env, job)
            env.cr.commit()
            count += 1


def run_stage(env, label, button, record, channels):
    """Inside ``odoo shell``: press ``button`` of ``record`` (one transaction), run the stage's jobs
    (channels as in :func:`run_waiting_jobs`), then do each chunk again: it must change nothing.
    Prints one line of figures; returns (the stage's run, seconds)."""
    started = time.perf_counter()
    button()
    env.cr.commit()
    t_button = time.perf_counter() - started
    jobs = run_waiting_jobs(env, channels)
    elapsed = time.perf_counter() - started
    env.invalidate_all()
    run = record.g2p_job_run_id
    assert run.state == "done" and not record.g2p_job_running, "%s did not finish" % label
    method = getattr(record, record._g2p_job_stages[run.stage]["chunk"])
    again_started = time.perf_counter()
    again = sum(method(run, chunk.id_from, chunk.id_to) for chunk in run.chunk_ids)
    t_again = time.perf_counter() - again_started
    env.cr.rollback()
    env.invalidate_all()
    print(
        "%-26s %9s rows %7.2f s (button %5.2f s, %3s jobs, %s) %9.0f rows/s   again: %s changed in "
        "%.2f s   RSS %4.0f MB"
        % (
            label,
            run.total_count,
            elapsed,
            t_button,
            jobs,
            "in background" if run.in_background else "at once",
            run.total_count / elapsed if elapsed else 0,
            again,
            t_again,
            peak_rss_mb(),
        ),
        flush=True,
    )
    assert again == 0, "%s: a chunk done twice changed %s rows" % (label, again)
    return run, elapsed


def generate_registry(env, households):
    """Households of 2 to 6 members (4 on average): a head, sometimes a spouse, children of every
    age and, in one household in ten, an elderly dependant. Every person has a national ID, every
    head a mobile wallet at the PSP "Benchmark Wallet" (``+2547`` and the household number on 8
    digits). All in set-based SQL; kept (and reused) while the number of households is the same.
    Returns the seconds spent (0 when reused)."""
    from odoo.tools import SQL

    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE registrant_number LIKE 'BHH-%'")
    if cr.fetchone()[0] == households:
        print("registry data: reusing %s households" % households)
        _registry_ids(env)
        return 0.0
    started = time.perf_counter()
    cr.execute("DELETE FROM g2p_program WHERE name LIKE 'Benchmark %'")
    cr.execute(
        """DELETE FROM res_partner
            WHERE registrant_number LIKE 'BHH-%' OR registrant_number LIKE 'BIND-%'"""
    )
    psp = env["res.partner"].search([("name", "=", "Benchmark Wallet")], limit=1)
    if not psp:
        mechanism = env["g2p.payment.mechanism"].search([("code", "=", "mobile_wallet")], limit=1)
        psp = env["res.partner"].create(
            {
                "name": "Benchmark Wallet",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": mechanism.ids,
            }
        )
    env.flush_all()
    cr.execute(
        SQL(
            """CREATE TEMP TABLE bench_hh ON COMMIT DROP AS
               SELECT g, 2 + g %% 5 AS size, nextval('res_partner_id_seq') AS id
                 FROM generate_series(1, %s) g""",
            households,
        )
    )
    cr.execute(
        """CREATE TEMP TABLE bench_ind ON COMMIT DROP AS
           SELECT h.g, h.id AS hh_id, k, nextval('res_partner_id_seq') AS id,
                  CASE WHEN k = 0 THEN 'head'
                       WHEN k = 1 AND h.size > 3 THEN 'spouse'
                       WHEN k = h.size - 1 AND h.g % 10 = 0 AND h.size > 2 THEN 'dependant'
                       ELSE 'child' END AS role
             FROM bench_hh h, generate_series(0, h.size - 1) k"""
    )
    # Other installed addons (account …) add NOT NULL columns to res_partner: fill them with the
    # ORM defaults.
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = 'res_partner' AND is_nullable = 'NO' AND column_default IS NULL
              AND column_name NOT IN ('id', 'name', 'active', 'type', 'is_registrant', 'is_group',
                                      'registrant_state', 'registrant_number', 'gender', 'birthdate',
                                      'disability', 'household_size', 'head_id', 'create_date',
                                      'write_date')"""
    )
    required = [name for (name,) in cr.fetchall() if name in env["res.partner"]._fields]
    defaults = env["res.partner"].default_get(required)
    extra_columns = SQL(", ").join([SQL.identifier(name) for name in required]) if required else None
    extra_values = SQL(", ").join([SQL("%s", defaults.get(name)) for name in required]) if required else None
    extra_cols = SQL(", %s", extra_columns) if required else SQL()
    extra_vals = SQL(", %s", extra_values) if required else SQL()
    cr.execute(
        SQL(
            """INSERT INTO res_partner (id, name, active, type, is_registrant, is_group, registrant_state,
                                    registrant_number, gender, birthdate, disability, create_date, write_date
                                    %(extra_cols)s)
           SELECT i.id, 'Bench person ' || i.g || '-' || i.k, TRUE, 'contact', TRUE, FALSE, 'active',
                  'BIND-' || i.g || '-' || i.k,
                  CASE WHEN (i.g + i.k) %% 2 = 0 THEN 'female' ELSE 'male' END,
                  current_date - CASE i.role
                      WHEN 'head' THEN 365 * 20 + (i.g * 37) %% (365 * 45)
                      WHEN 'spouse' THEN 365 * 19 + (i.g * 41) %% (365 * 40)
                      WHEN 'dependant' THEN 365 * 61 + (i.g * 13) %% (365 * 25)
                      ELSE 20 + (i.g * 53 + i.k * 211) %% (365 * 18 - 40) END,
                  (i.g * 7 + i.k) %% 50 = 0, now(), now() %(extra_vals)s
             FROM bench_ind i""",
            extra_cols=extra_cols,
            extra_vals=extra_vals,
        )
    )
    cr.execute(
        SQL(
            """INSERT INTO res_partner (id, name, active, type, is_registrant, is_group, registrant_state,
                                    registrant_number, household_size, head_id, create_date, write_date
                                    %(extra_cols)s)
           SELECT h.id, 'Bench household ' || h.g, TRUE, 'contact', TRUE, TRUE, 'active',
                  'BHH-' || h.g, h.size, i.id, now(), now() %(extra_vals)s
             FROM bench_hh h JOIN bench_ind i ON i.hh_id = h.id AND i.k = 0""",
            extra_cols=extra_cols,
            extra_vals=extra_vals,
        )
    )
    cr.execute(
        """INSERT INTO g2p_group_membership (group_id, individual_id, role, role_sequence, start_date,
                                             is_current, create_date, write_date)
           SELECT i.hh_id, i.id, i.role,
                  CASE i.role WHEN 'head' THEN 0 WHEN 'spouse' THEN 1 WHEN 'child' THEN 2 ELSE 3 END,
                  current_date, TRUE, now(), now()
             FROM bench_ind i"""
    )
    cr.execute(
        SQL(
            """INSERT INTO g2p_payment_account (partner_id, account_type, provider_id, msisdn, is_default,
                                                active, create_date, write_date)
               SELECT i.id, 'mobile_wallet', %s, '+2547' || lpad(i.g::text, 8, '0'), TRUE, TRUE, now(), now()
                 FROM bench_ind i WHERE i.k = 0""",
            psp.id,
        )
    )
    _registry_ids(env)
    cr.execute("ANALYZE res_partner; ANALYZE g2p_group_membership; ANALYZE g2p_payment_account")
    env.invalidate_all()
    elapsed = time.perf_counter() - started
    cr.execute("SELECT count(*) FROM res_partner WHERE registrant_number LIKE 'BIND-%'")
    print("registry data: %s households, %s individuals in %.1f s" % (households, cr.fetchone()[0], elapsed))
    return elapsed


def _registry_ids(env):
    """A national ID (type BENCH_NID, as the FHIR benchmarks use it) for every benchmark person
    without one, in one INSERT; a registry made before IDs were part of it gets them here."""
    from odoo.tools import SQL

    id_type = env["g2p.id.type"].search([("code", "=", "BENCH_NID")], limit=1)
    if not id_type:
        id_type = env["g2p.id.type"].create({"name": "Benchmark National ID", "code": "BENCH_NID"})
        env.flush_all()
    env.cr.execute(
        SQL(
            """INSERT INTO g2p_registrant_id (partner_id, id_type_id, value, company_id, create_date,
                                              write_date)
               SELECT p.id, %(type)s, 'BN' || lpad(p.id::text, 10, '0'), p.company_id, now(), now()
                 FROM res_partner p
                WHERE p.registrant_number LIKE 'BIND-%%'
                  AND NOT EXISTS (SELECT 1 FROM g2p_registrant_id r
                                   WHERE r.partner_id = p.id AND r.id_type_id = %(type)s)""",
            type=id_type.id,
        )
    )
    if env.cr.rowcount:
        print("registry data: national IDs for %s people" % env.cr.rowcount)
    env["g2p.registrant.id"].invalidate_model()
