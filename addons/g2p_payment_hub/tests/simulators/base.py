"""What the stand-ins in this folder share: the HTTP server and handler settings, running a stand-in as
its own process (READY line, ``.url``, ``.control(...)``, stop), its command line, and, for the
stand-ins with a request log (GSMA, Fineract), the dispatch, fault injection and ``/simulator/`` control
API described in README-psp.md.

Standard library only. A stand-in imports it as ``from . import base`` when it is loaded as part of a
package, and as ``import base`` when it runs as a script (its folder is then ``sys.path[0]``).
"""

import argparse
import contextlib
import copy
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

# Control calls that change state and take no body: POST even without a payload.
BODILESS_POSTS = ("reset", "complete")


class HttpError(Exception):
    """An HTTP answer other than success, raised anywhere below the request handler."""

    def __init__(self, status, body, content_type="application/json"):
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that went away (it timed out on an injected delay) is no server error.
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)


def server_url(server):
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


class FastHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, which a benchmark of thousands of calls needs.
    protocol_version = "HTTP/1.1"
    # Without these, headers and body leave in two small writes and the client's delayed ACK costs
    # tens of milliseconds per call: buffer the answer (flushed once per request), no Nagle.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True


# --- stand-ins with a request log and path-matched faults (GSMA, Fineract) ------------------------------


def merge(base, update):
    """Deep-merge ``update`` into ``base`` (nested dicts merged, everything else replaced by a copy)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


class State:
    """Configuration, request log and armed faults behind one lock. A subclass sets ``default_config``
    and adds its own records in ``reset``."""

    default_config = {}

    def __init__(self, config):
        self.initial_config = merge(copy.deepcopy(self.default_config), config)
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.config = copy.deepcopy(self.initial_config)
            self.received = []
            self.faults = []

    def configure(self, update):
        with self.lock:
            return merge(self.config, update)

    def add_fault(self, spec):
        """``{kind, count=1, status, seconds, path_prefix}``; kinds: error, delay, accept_then_fail."""
        fault = {"kind": spec["kind"], "remaining": int(spec.get("count", 1))}
        fault.update({k: spec[k] for k in ("status", "seconds", "path_prefix") if k in spec})
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, path):
        """The first armed fault whose prefix ``path`` starts with, consuming one use of it."""
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.get("path_prefix", "/")) and fault["remaining"] > 0:
                    fault["remaining"] -= 1
                    return dict(fault)
        return None


class Handler(FastHandler):
    """Logs each API request, applies an armed fault, then answers ``route(method, path, raw)`` ->
    ``(status, body, headers)``; ``/simulator/...`` goes to ``control``. A subclass gives ``route`` and
    ``fault_body`` (its server-error body)."""

    state: State  # set on the subclass built by make_server

    def log_message(self, format, *args):  # stderr stays quiet; the received log is the record
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def send_json(self, status, body, headers=None):
        data = b"" if body is None else json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(data)

    def dispatch(self, method):
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/simulator/"):
            status, body = self.control(method, url.path.removeprefix("/simulator/"), raw)
            return self.send_json(status, body)
        state = self.state
        with state.lock:
            state.received.append(
                {
                    "method": method,
                    "path": url.path,
                    "query": self.query,
                    "headers": dict(self.headers.items()),
                    "body": raw.decode(errors="replace"),
                    "time": time.time(),
                }
            )
        fault = state.take_fault(url.path)
        if fault and fault["kind"] == "error":
            return self.send_json(fault.get("status", 500), self.fault_body())
        if fault and fault["kind"] == "delay":
            time.sleep(fault.get("seconds", 1.0))
        try:
            status, body, headers = self.route(method, url.path, raw)
        except HttpError as exc:
            status, body, headers = exc.status, exc.body, {}
        if fault and fault["kind"] == "accept_then_fail":
            # The work above is done and kept; only the answer is lost, as when a gateway times out.
            status, body, headers = fault.get("status", 500), self.fault_body(), {}
        self.send_json(status, body, headers)

    def control(self, method, name, raw):
        state = self.state
        payload = json.loads(raw or b"{}")
        with state.lock:
            if name == "config" and method == "GET":
                return 200, state.config
            if name == "config" and method == "POST":
                return 200, state.configure(payload)
            if name == "faults" and method == "POST":
                state.add_fault(payload)
                return 200, {"faults": state.faults}
            if name == "received" and method == "GET":
                prefix = self.query.get("path_prefix", "")
                return 200, [r for r in state.received if r["path"].startswith(prefix)]
            if name == "reset" and method == "POST":
                state.reset()
                return 200, {"reset": True}
        return 404, {"error": f"unknown control endpoint {method} /simulator/{name}"}

    def fault_body(self):
        raise NotImplementedError

    def route(self, method, path, raw):
        raise NotImplementedError


def make_server(host, port, handler, state):
    """A server whose requests are answered by a subclass of ``handler`` bound to ``state``."""
    return Server((host, port), type("BoundHandler", (handler,), {"state": state}))


# --- running a stand-in -----------------------------------------------------------------------------------


def load_config(value):
    """``--config``: a JSON object, or the path of a JSON file."""
    return json.loads(value if value.lstrip().startswith("{") else Path(value).read_text())


def argument_parser(description, default_port=0):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument(
        "--config",
        type=load_config,
        default="{}",
        help="configuration over the defaults: a JSON object or the path of a JSON file",
    )
    return parser


def serve(server, ready_prefix):
    """Print the READY line that ``run_simulator`` waits for, then serve until interrupted."""
    print(f"{ready_prefix} {server_url(server)}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def serve_main(description, ready_prefix, handler, state_class):
    """The command line of a stand-in built on ``Handler`` and ``State``."""
    args = argument_parser(description).parse_args()
    serve(make_server(args.host, args.port, handler, state_class(args.config)), ready_prefix)


class SimulatorProcess:
    """A stand-in running as a subprocess: its base ``url`` and its control API."""

    def __init__(self, url, process):
        self.url = url
        self.process = process

    def control(self, name, payload=None, method=None, **params):
        """Call ``/simulator/<name>?<params>``: GET without a payload, POST with one. Returns the decoded
        JSON; an error status raises ``urllib.error.HTTPError``."""
        if method is None:
            method = "GET" if payload is None and name not in BODILESS_POSTS else "POST"
        query = f"?{urlencode(params)}" if params else ""
        request = Request(
            f"{self.url}/simulator/{name}{query}",
            data=None if payload is None else json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method=method,
        )
        with urlopen(request, timeout=30) as response:
            return json.load(response)


@contextlib.contextmanager
def run_simulator(script, ready_prefix, config, process_class=SimulatorProcess, startup_timeout=20):
    """Start ``script`` on a free port with ``config`` and yield a ``process_class`` for it; stop it on
    exit. The configuration goes in a temporary file, so its size is not bound by the command line."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    process = subprocess.Popen(
        [sys.executable, script, "--host", "127.0.0.1", "--port", "0", "--config", handle.name],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process_class(wait_ready(process, ready_prefix, startup_timeout), process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        Path(handle.name).unlink(missing_ok=True)


def wait_ready(process, ready_prefix, timeout):
    """The URL from the READY line; a reader thread keeps the deadline even if nothing is printed."""
    found = {}

    def read():
        for line in process.stdout:
            if line.startswith(ready_prefix):
                found["url"] = line.split()[1]
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if "url" not in found:
        code = process.poll()  # None: still running, silent
        process.kill()
        raise RuntimeError(f"no {ready_prefix} line within {timeout}s (exit code {code})")
    return found["url"]
