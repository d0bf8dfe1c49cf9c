"""A local stand-in for an HTTP SMS gateway, run as its own process (standard library only).

    python sms_gateway.py [--port 8099] [--token T | --basic USER:PASS | --header NAME:VALUE]

Every request to any path outside ``/_sim/`` is a message: its JSON, form or query fields are recorded
and it is answered ``200 {"status": "accepted", "id": "sim-<n>"}``. With an authentication option,
a request without the right credentials is answered 401 (and not recorded).

Control API (JSON):
    GET  /_sim/messages            the recorded messages, oldest first
    POST /_sim/faults              arm a fault: {"status": 503, "count": 2}, {"delay": 3, "count": 1},
                                   {"reply": {"status": "rejected"}} (answered 200 with that body),
                                   each optionally limited to one number: {"to": "+254…", ...};
                                   "count" defaults to 1, -1 means for ever
    POST /_sim/reset               forget messages and faults
A faulty answer is not recorded as a delivered message but counted in ``/_sim/messages``'s "refused".
The server prints ``READY <url>`` on stdout once it listens.
"""

import argparse
import base64
import contextlib
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen


class State:
    def __init__(self, auth):
        self.auth = auth  # (kind, value) or None
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.messages = []
            self.refused = []
            self.faults = []
            self.counter = 0

    def take_fault(self, to):
        with self.lock:
            for fault in self.faults:
                if fault.get("to") and fault["to"] != to:
                    continue
                if fault["count"] > 0:
                    fault["count"] -= 1
                elif fault["count"] == 0:
                    continue
                return dict(fault)
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set on the class by serve()

    def log_message(self, format, *args):  # quiet: the tests read the control API instead
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type") or ""
        if "json" in kind:
            return json.loads(raw or b"{}")
        if raw:
            return dict(parse_qsl(raw.decode()))
        return {}

    def _authorized(self):
        auth = self.state.auth
        if not auth:
            return True
        kind, value = auth
        if kind == "token":
            return self.headers.get("Authorization") == "Bearer " + value
        if kind == "basic":
            return self.headers.get("Authorization") == "Basic " + base64.b64encode(value.encode()).decode()
        name, _sep, expected = value.partition(":")
        return self.headers.get(name) == expected

    def _control(self, method, path):
        state = self.state
        if method == "GET" and path == "/_sim/messages":
            with state.lock:
                return self._reply(200, {"messages": state.messages, "refused": state.refused})
        if method == "POST" and path == "/_sim/reset":
            state.reset()
            return self._reply(200, {"ok": True})
        if method == "POST" and path == "/_sim/faults":
            fault = self._body()
            fault.setdefault("count", 1)
            with state.lock:
                state.faults.append(fault)
            return self._reply(200, {"ok": True})
        return self._reply(404, {"error": "unknown control call"})

    def _message(self, method):
        split = urlsplit(self.path)
        fields = dict(parse_qsl(split.query)) if method == "GET" else self._body()
        if not self._authorized():
            return self._reply(401, {"status": "unauthorized"})
        to = str(fields.get("to") or fields.get("To") or "")
        fault = self.state.take_fault(to)
        record = {"method": method, "path": split.path, "fields": fields, "at": time.time()}
        if fault and fault.get("delay"):
            time.sleep(float(fault["delay"]))
            if not fault.get("status") and not fault.get("reply"):
                fault = None  # a slow answer that still arrives
        if fault and fault.get("status"):
            with self.state.lock:
                self.state.refused.append({**record, "status": fault["status"]})
            return self._reply(int(fault["status"]), {"status": "error"})
        if fault and fault.get("reply"):
            with self.state.lock:
                self.state.refused.append({**record, "status": 200})
            return self._reply(200, fault["reply"])
        with self.state.lock:
            self.state.counter += 1
            record["id"] = "sim-%s" % self.state.counter
            self.state.messages.append(record)
        return self._reply(200, {"status": "accepted", "id": record["id"]})

    def _dispatch(self, method):
        path = urlsplit(self.path).path
        if path.startswith("/_sim/"):
            return self._control(method, path)
        return self._message(method)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up on a slow answer is no server error.
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)


def serve(port=0, auth=None):
    handler = type("BoundHandler", (Handler,), {"state": State(auth)})
    server = Server(("127.0.0.1", port), handler)
    host, port = server.server_address[:2]
    print("READY http://%s:%s" % (host, port), flush=True)
    server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--token", help="require 'Authorization: Bearer TOKEN'")
    group.add_argument("--basic", help="require basic auth USER:PASS")
    group.add_argument("--header", help="require the header NAME:VALUE")
    args = parser.parse_args(argv)
    auth = None
    for kind in ("token", "basic", "header"):
        if getattr(args, kind):
            auth = (kind, getattr(args, kind))
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.port, auth)


class Running:
    """A stand-in process started by :func:`run_sms_gateway`: its ``url`` and the control API."""

    def __init__(self, process, url):
        self.process = process
        self.url = url

    def _call(self, path, payload=None):
        data = json.dumps(payload).encode() if payload is not None else b""
        method = "GET" if payload is None and path == "/_sim/messages" else "POST"
        request = Request(self.url + path, data=data if method == "POST" else None, method=method)
        request.add_header("Content-Type", "application/json")
        with urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def messages(self):
        return self._call("/_sim/messages")["messages"]

    def refused(self):
        return self._call("/_sim/messages")["refused"]

    def fault(self, **fault):
        return self._call("/_sim/faults", fault)

    def reset(self):
        return self._call("/_sim/reset", {})


@contextlib.contextmanager
def run_sms_gateway(*args):
    """Start the stand-in in its own process on a free port (``args``: its command-line options)."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError("the SMS gateway stand-in did not start: %r" % line)
        yield Running(process, line.split(" ", 1)[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


if __name__ == "__main__":
    main()
