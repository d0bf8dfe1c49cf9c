"""A local stand-in for a civil registry's SOAP person verification service behind an X-Road
security server, run as its own process (standard library and lxml).

    python civil_registry.py [--port 0] [--people people.json] [--basic USER:PASS] [--wsse USER:PASS]
                             [--require-xroad]

It serves ``../data/civil_registry.wsdl`` at ``GET /civil-registry?wsdl`` (its address rewritten to
this server) and answers ``POST /civil-registry`` SOAP 1.1 envelopes for ``verifyPerson`` as the WSDL
says: ``found`` and, when found, the ``person`` as recorded (``--people``: a JSON object keyed by ID
number, each value {"givenName", "familyName", "dateOfBirth", "sex"}).

- With ``--basic``, a request without those HTTP Basic credentials is answered 401; with ``--wsse``,
  one without that WS-Security UsernameToken gets a SOAP fault (HTTP 500), as SOAP 1.1 faults are.
- With ``--require-xroad``, a request without the X-Road client, service, id and protocolVersion
  headers gets a SOAP fault; the answer echoes the request's X-Road headers, as X-Road requires.
- ID numbers that start with ``FAULT`` get a SOAP fault (``soap:Server``, "Registry unavailable"),
  ``SLOW`` an answer after 10.5 s, ``ODD`` an envelope whose body is not the WSDL's answer.
- An envelope that is not XML, or not verifyPerson, gets a ``soap:Client`` fault.

Control API (JSON): ``GET /_sim/requests`` (each request's ID number, X-Road headers, whether it
carried credentials), ``POST /_sim/reset``. The server prints ``READY <url>`` once it listens.
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
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from lxml import etree

WSDL = Path(__file__).resolve().parent.parent / "data" / "civil_registry.wsdl"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "urn:g2p:civil-registry:v1"
XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
XROAD_REQUIRED = ("client", "service", "id", "protocolVersion")
#: Odoo's test mode raises request timeouts under 10 s to 10 s: a slow answer comes later than that.
SLOW_SECONDS = 10.5


class State:
    def __init__(self, people, basic, wsse, require_xroad):
        self.people = people
        self.basic = basic
        self.wsse = wsse
        self.require_xroad = require_xroad
        self.lock = threading.Lock()
        self.requests = []

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)


def fault(code, text):
    envelope = etree.Element("{%s}Envelope" % SOAP_ENV, nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, "{%s}Body" % SOAP_ENV)
    soap_fault = etree.SubElement(body, "{%s}Fault" % SOAP_ENV)
    etree.SubElement(soap_fault, "faultcode").text = "soap:%s" % code
    etree.SubElement(soap_fault, "faultstring").text = text
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def answer(person, xroad_headers, odd=False):
    envelope = etree.Element("{%s}Envelope" % SOAP_ENV, nsmap={"soap": SOAP_ENV, "cr": SERVICE_NS})
    if xroad_headers:
        header = etree.SubElement(envelope, "{%s}Header" % SOAP_ENV)
        for element in xroad_headers:
            header.append(element)
    body = etree.SubElement(envelope, "{%s}Body" % SOAP_ENV)
    if odd:
        etree.SubElement(body, "{urn:somewhere:else}statusReport").text = "maintenance"
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
    response = etree.SubElement(body, "{%s}verifyPersonResponse" % SERVICE_NS)
    etree.SubElement(response, "{%s}found" % SERVICE_NS).text = "true" if person else "false"
    if person:
        node = etree.SubElement(response, "{%s}person" % SERVICE_NS)
        for key in ("givenName", "familyName", "dateOfBirth", "sex", "deceased"):
            if person.get(key) not in (None, ""):
                value = person[key]
                text = ("true" if value else "false") if isinstance(value, bool) else str(value)
                etree.SubElement(node, "{%s}%s" % (SERVICE_NS, key)).text = text
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CivilRegistryStandIn/1.0"

    def log_message(self, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def _send(self, status, body, content_type="text/xml; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = urlsplit(self.path)
        if path.path == "/_sim/requests":
            with self.state.lock:
                body = json.dumps({"requests": list(self.state.requests)}).encode()
            return self._send(200, body, "application/json")
        if path.path == "/civil-registry" and path.query.lower() == "wsdl":
            if not self._basic_ok():
                return self._send(401, b"unauthorized", "text/plain")
            host, port = self.server.server_address[:2]
            wsdl = WSDL.read_bytes().replace(
                b'location="http://localhost/civil-registry"',
                b'location="http://%s:%d/civil-registry"' % (host.encode(), port),
            )
            return self._send(200, wsdl)
        return self._send(404, b"not found", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == "/_sim/reset":
            with self.state.lock:
                self.state.requests = []
            return self._send(200, b"{}", "application/json")
        if path != "/civil-registry":
            return self._send(404, b"not found", "text/plain")
        if not self._basic_ok():
            return self._send(401, b"unauthorized", "text/plain")
        try:
            envelope = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return self._send(500, fault("Client", "The request is not a SOAP envelope"))
        header = envelope.find("{%s}Header" % SOAP_ENV)
        xroad = [el for el in (header if header is not None else []) if etree.QName(el).namespace == XROAD_NS]
        names = {etree.QName(el).localname: el for el in xroad}
        request = envelope.find("{%s}Body/{%s}verifyPerson" % (SOAP_ENV, SERVICE_NS))
        id_number = request.findtext("{%s}idNumber" % SERVICE_NS) if request is not None else None
        entry = {
            "id_number": id_number,
            "id_type": request.findtext("{%s}idType" % SERVICE_NS) if request is not None else None,
            # An identifier header as its parts joined by "/" (KE/GOV/MLSP/g2p), others as their text.
            "xroad": {
                name: "/".join(t.strip() for t in el.itertext() if t.strip()) for name, el in names.items()
            },
            "xroad_user": names["userId"].text if "userId" in names else None,
            "wsse": header is not None and header.find(".//{%s}UsernameToken" % WSSE_NS) is not None,
            "basic": bool(self.headers.get("Authorization")),
        }
        self.state.record(entry)
        if self.state.wsse and not self._wsse_ok(header):
            return self._send(500, fault("Client", "Authentication failed"))
        if self.state.require_xroad and any(name not in names for name in XROAD_REQUIRED):
            return self._send(
                500, fault("Client", "X-Road headers missing: client, service, id, protocolVersion")
            )
        if request is None or not id_number:
            return self._send(500, fault("Client", "Unknown operation or no idNumber"))
        if id_number.startswith("FAULT"):
            return self._send(500, fault("Server", "Registry unavailable"))
        if id_number.startswith("SLOW"):
            time.sleep(SLOW_SECONDS)
        return self._send(
            200, answer(self.state.people.get(id_number), xroad, odd=id_number.startswith("ODD"))
        )

    def _basic_ok(self):
        if not self.state.basic:
            return True
        expected = "Basic " + base64.b64encode(self.state.basic.encode()).decode()
        return self.headers.get("Authorization") == expected

    def _wsse_ok(self, header):
        if header is None:
            return False
        token = header.find(".//{%s}UsernameToken" % WSSE_NS)
        if token is None:
            return False
        user, _sep, password = self.state.wsse.partition(":")
        return (
            token.findtext("{%s}Username" % WSSE_NS) == user
            and token.findtext("{%s}Password" % WSSE_NS) == password
        )


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--people", help="a JSON file: {id number: person}")
    parser.add_argument("--basic", help="USER:PASS required as HTTP Basic")
    parser.add_argument("--wsse", help="USER:PASS required as a WS-Security UsernameToken")
    parser.add_argument("--require-xroad", action="store_true")
    args = parser.parse_args()
    people = json.loads(Path(args.people).read_text()) if args.people else {}
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(people, args.basic, args.wsse, args.require_xroad)
    print("READY http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


class Running:
    def __init__(self, process, url):
        self.process = process
        self.url = url

    @property
    def wsdl_url(self):
        return self.url + "/civil-registry?wsdl"

    def requests(self):
        with urlopen(self.url + "/_sim/requests", timeout=5) as answer_:
            return json.loads(answer_.read())["requests"]

    def reset(self):
        with urlopen(Request(self.url + "/_sim/reset", data=b"{}", method="POST"), timeout=5):
            pass


@contextlib.contextmanager
def run_civil_registry(people, *args):
    """Start the stand-in in its own process on a free port with ``people`` ({id number: person})
    and ``args`` (its command-line options); yields a :class:`Running`."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as data:
        json.dump(people, data)
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--people", data.name, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError("the civil registry stand-in did not start: %r" % line)
        yield Running(process, line.split(" ", 1)[1])
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        Path(data.name).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
