"""Two Odoo nodes over one PostgreSQL database, as the README's *Deployment at national scale*
runs them: each node is its own server process with HTTP workers and a queue_job runner, both
behind a load balancer (here a round-robin TCP stand-in) that the runners also send their
``/queue_job/runjob`` requests to. One runner holds queue_job's master lock and dispatches; the
other waits to take over.

A program's enrolment runs in chunks through g2p.job.mixin jobs. The test checks that the chunks
are run by both nodes, then holds the program's row so that the chunks in flight block half-way
(their INSERT waits for the row), SIGKILLs the node running one of them (its HTTP workers and its
runner), lets go, and checks that the other node finishes the stage: the killed chunk's
transaction is gone, queue_job's dead-job requeue gives the chunk to the survivor (and, when the
dead node held the master lock, the survivor's runner takes it over), and the members enrolled
equal those of the same enrolment run on one node, with every row written once and the stage
finished once.

Plain pytest over real servers: it runs in a scratch database of its own (``G2P_TWO_NODE_DB``,
default ``<test database>_nodes``, g2p_program installed on first use and kept), never in the
suite's database, because the servers need committed data. Ports are free ones picked at start.
"""

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import psutil
import psycopg2
import requests

from odoo.sql_db import connection_info_for
from odoo.tests import get_db_name

REPO = Path(__file__).resolve().parent.parent
ODOO_SH = str(REPO / "scripts" / "odoo.sh")
HOUSEHOLDS = 6000
CHUNK_SIZE = 100  # 60 chunks: some still in flight when the gate closes (24 once all ended first)
PROGRAM_PREFIX = "Two Nodes "
CHANNEL = "root.g2p.program"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RoundRobin:
    """A TCP load balancer stand-in: each connection goes to the next backend, or to the one after
    when that one refuses (a dead node), as a load balancer's health checks would have it."""

    def __init__(self):
        self.ports = []  # the nodes' HTTP ports, added as they start
        self.turn = itertools.count()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        start = next(self.turn) % len(self.ports)
        for step in range(len(self.ports)):
            try:
                backend = socket.create_connection(
                    ("127.0.0.1", self.ports[(start + step) % len(self.ports)])
                )
                break
            except OSError:
                continue
        else:
            client.close()
            return
        threading.Thread(target=self._pump, args=(client, backend), daemon=True).start()
        self._pump(backend, client)

    @staticmethod
    def _pump(source, target):
        # When the runner gives up waiting (it reads no answer), the job goes on in its worker:
        # only the write side is closed, the node is never cut off mid-request.
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self):
        self.closed = True
        self.server.close()


class Node:
    """One Odoo server process: ``--workers 2`` HTTP workers and a queue_job runner that sends
    its jobs to the load balancer."""

    def __init__(self, name, db, balancer_port, log_dir):
        self.name = name
        self.http_port = free_port()
        self.log_path = log_dir / ("node-%s.log" % name)
        env = dict(
            os.environ,
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
            ODOO_QUEUE_JOB_PORT=str(balancer_port),
        )
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [ODOO_SH, "-d", db, "--http-port", str(self.http_port)]
                + ["--gevent-port", str(free_port()), "--workers", "2", "--max-cron-threads", "0"]
                + ["--log-level=info", "--no-database-list"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers and runner die with it
            )
        self.pids = set()

    @property
    def url(self):
        return "http://127.0.0.1:%s" % self.http_port

    def note_pids(self):
        """Remember the node's processes (a job's worker_pid says which node ran it)."""
        for process in psutil.process_iter():
            try:
                if os.getpgid(process.pid) == self.process.pid:
                    self.pids.add(process.pid)
            except (OSError, psutil.Error):
                continue

    def wait_ready(self, deadline):
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "node %s exited: see %s" % (self.name, self.log_path)
            try:
                requests.get(self.url + "/web/health", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.5)
        raise AssertionError("node %s did not start: see %s" % (self.name, self.log_path))

    def warm_up(self):
        """Each worker loads the registry on its first request: let that happen before the jobs."""

        def get(_n):
            requests.get(self.url + "/web/login", timeout=120)

        threads = [threading.Thread(target=get, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def master(self):
        """Whether this node's runner took queue_job's master lock (its log says so)."""
        return "queue job runner ready for db" in self.log_path.read_text(errors="replace")

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def scratch_database():
    """The scratch database, g2p_program installed when missing; earlier runs' programs, stages
    and jobs removed."""
    db = os.environ.get("G2P_TWO_NODE_DB") or "%s_nodes" % get_db_name()
    _name, info = connection_info_for(db)
    try:
        psycopg2.connect(**info).close()
    except psycopg2.OperationalError:
        subprocess.run(
            [ODOO_SH, "-d", db, "-i", "g2p_program", "--stop-after-init", "--log-level=warn"],
            check=True,
            timeout=900,
        )
    with psycopg2.connect(**info) as connection, connection.cursor() as cr:
        cr.execute("DELETE FROM queue_job WHERE channel = %s", (CHANNEL,))
        cr.execute(
            """DELETE FROM g2p_job_run WHERE res_model = 'g2p.program'
                  AND res_id IN (SELECT id FROM g2p_program WHERE name LIKE %s)""",
            (PROGRAM_PREFIX + "%",),
        )
        cr.execute("DELETE FROM g2p_program WHERE name LIKE %s", (PROGRAM_PREFIX + "%",))
    return db, info


#: Run inside ``odoo shell`` on the scratch database (a registry of another database cannot be
#: loaded in the suite's own process): households (kept between runs), two identical programs,
#: the first enrolled at once in one process (the one-node run), the second's enrolment queued
#: in chunks of CHUNK_SIZE.
PREPARE = """
import sys
from unittest.mock import patch
sys.path.insert(0, %(tests)r)
from bench_common import generate_registry
from odoo.addons.g2p_program.models import g2p_job_mixin
env = env(su=True)
generate_registry(env, %(households)s)
env.cr.commit()
programs = env["g2p.program"].create([
    {"name": %(prefix)r + label, "target_type": "group", "base_amount": 1000}
    for label in ("one node", "two nodes")
])
programs.action_activate()
env.cr.commit()
one, two = programs
with patch.object(g2p_job_mixin, "JOB_CHUNK_SIZE", %(chunk)s):
    one._start_enrolment(background=False)
    env.cr.commit()
    run = two._start_enrolment(background=True)
    assert run.in_background, run
    env.cr.commit()
print("PREPARED=%%s,%%s,%%s" %% (one.id, two.id, run.id), flush=True)
"""


def prepare(db):
    """(one-node program id, two-node program id, stage id), from PREPARE in ``odoo shell``."""
    script = PREPARE % {
        "tests": str(REPO / "tests"),
        "households": HOUSEHOLDS,
        "prefix": PROGRAM_PREFIX,
        "chunk": CHUNK_SIZE,
    }
    shell = subprocess.run(
        [ODOO_SH, "shell", "-d", db, "--no-http", "--log-level=warn"],
        input=script,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    line = next((line for line in shell.stdout.splitlines() if line.startswith("PREPARED=")), None)
    assert line, "preparing failed:\n%s\n%s" % (shell.stdout[-2000:], shell.stderr[-4000:])
    return tuple(int(value) for value in line.split("=", 1)[1].split(","))


def test_two_nodes_share_a_stage_and_one_dies(tmp_path):
    db, info = scratch_database()
    balancer = RoundRobin()
    nodes = []
    started = time.monotonic()
    try:
        # The first node's runner starts first and takes the master lock; the second's waits.
        for name in ("A", "B"):
            nodes.append(Node(name, db, balancer.port, tmp_path))
            balancer.ports.append(nodes[-1].http_port)
            nodes[-1].wait_ready(time.monotonic() + 120)
        for node in nodes:
            node.warm_up()
            node.note_pids()
        single_id, shared_id, run_id = prepare(db)
        watch = psycopg2.connect(**info)
        watch.autocommit = True
        cr = watch.cursor()

        def jobs():
            for node in nodes:
                if node.process.poll() is None:
                    node.note_pids()
            cr.execute(
                """SELECT q.uuid, q.state, q.worker_pid, q.retry FROM queue_job q
                    WHERE q.uuid IN (SELECT job_uuid FROM g2p_job_chunk WHERE run_id = %s)""",
                (run_id,),
            )
            return cr.fetchall()

        def node_of(pid):
            return next((node for node in nodes if pid in node.pids), None)

        def wait(condition, seconds, message):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                found = condition()
                if found:
                    return found
                time.sleep(0.1)
            raise AssertionError("%s (after %ss; logs in %s)" % (message, seconds, tmp_path))

        # 1. The chunks are shared: each node has run some.
        def shared():
            done = [node_of(pid) for _uuid, state, pid, _retry in jobs() if state == "done"]
            return all(done.count(node) >= 2 for node in nodes)

        wait(shared, 90, "both nodes run chunks")

        # 2. Hold the program's row: the chunks in flight block on their INSERT. Kill the node of one.
        gate = psycopg2.connect(**info)
        gate.cursor().execute("SELECT id FROM g2p_program WHERE id = %s FOR UPDATE", (shared_id,))

        def blocked():
            return [(uuid, node_of(pid)) for uuid, state, pid, _retry in jobs() if state == "started"]

        wait(blocked, 30, "a chunk in flight")
        time.sleep(1)
        # queue_job requeues a started job whose lock is free once it was enqueued 10 s ago: wait
        # for that, so the survivor's runner requeues it at its next turn.
        time.sleep(10)
        victim_uuid, victim = blocked()[0]
        survivor = next(node for node in nodes if node is not victim)
        killed_master = victim.master()
        victim.kill()
        gate.rollback()
        gate.close()

        # 3. The survivor finishes the stage.
        def finished():
            cr.execute("SELECT state FROM g2p_job_run WHERE id = %s", (run_id,))
            return cr.fetchone()[0] == "done"

        wait(finished, 120, "the stage finishes on the surviving node")

        final = {uuid: (state, pid, retry) for uuid, state, pid, retry in jobs()}
        assert {state for state, _pid, _retry in final.values()} == {"done"}
        victim_state, victim_pid, victim_retry = final[victim_uuid]
        assert node_of(victim_pid) is survivor, "the killed chunk was run again by the survivor"
        assert victim_retry >= 1, "requeued as a dead job"
        by_node = {node.name: 0 for node in nodes}
        for _state, pid, _retry in final.values():
            by_node[node_of(pid).name] += 1
        assert all(by_node.values()), by_node

        # The same members as the one-node run, each written once, the stage finished once.
        def members(program_id):
            cr.execute(
                """SELECT partner_id, state, payment_account_id, enrolment_date
                     FROM g2p_program_membership WHERE program_id = %s""",
                (program_id,),
            )
            return cr.fetchall()

        one, two = members(single_id), members(shared_id)
        assert len(two) == len(set(two)) == len({row[0] for row in two}) >= HOUSEHOLDS
        assert set(two) == set(one)
        cr.execute(
            "SELECT count(*), sum(result_count), count(*) FILTER (WHERE state = 'done') "
            "FROM g2p_job_chunk WHERE run_id = %s",
            (run_id,),
        )
        chunks, written, done = cr.fetchone()
        assert (written, done) == (len(two), chunks)
        cr.execute(
            """SELECT count(*) FROM mail_message WHERE model = 'g2p.program' AND res_id = %s
                  AND body LIKE %s""",
            (shared_id, "%Enrolment:%"),
        )
        assert cr.fetchone()[0] == 1, "the stage finished once"
        print(
            "two nodes: %s chunks (%s), node %s killed mid-chunk (%s), stage done in %.0f s"
            % (
                chunks,
                ", ".join("%s ran %s" % item for item in by_node.items()),
                victim.name,
                "it held the runner's master lock" if killed_master else "the other runner was master",
                time.monotonic() - started,
            )
        )
        watch.close()
    finally:
        for node in nodes:
            node.stop()
        balancer.close()
