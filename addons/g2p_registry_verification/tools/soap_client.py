"""Calling a civil registry's SOAP operation with zeep, and reading its answer.

zeep reads the WSDL, builds and validates the envelope and parses the answer; this module adds what
a government service needs around it: HTTP Basic or a WS-Security UsernameToken, the X-Road
message protocol headers (client, service, id, userId, protocolVersion), a timeout on every call,
TLS verification always on, and a transport that never logs envelopes (they carry the credentials
and personal data; zeep's own transport logs them at DEBUG level).
"""

import threading
import uuid
from datetime import date, datetime

import requests
from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.helpers import serialize_object
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
XROAD_ID_NS = "http://x-road.eu/xsd/identifiers"
#: X-Road identifier parts, in the order they are written ("KE/GOV/MLSP/g2p").
XROAD_CLIENT_PARTS = ("xRoadInstance", "memberClass", "memberCode", "subsystemCode")
XROAD_SERVICE_PARTS = (
    "xRoadInstance",
    "memberClass",
    "memberCode",
    "subsystemCode",
    "serviceCode",
    "serviceVersion",
)


class VerificationCallError(Exception):
    """The service could not give an answer: ``kind`` is fault, timeout, unreachable or unexpected."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class QuietTransport(Transport):
    """zeep's transport without its DEBUG logging of every envelope sent and received."""

    def post(self, address, message, headers):
        response = self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout)
        return response


_clients = {}
_clients_lock = threading.Lock()


def get_client(key, wsdl_url, timeout, auth_type=None, username=None, password=None):
    """A zeep client for the WSDL, kept per ``key`` (a service and its last change): the WSDL is
    read once, not on every call."""
    with _clients_lock:
        client = _clients.get(key)
    if client is not None:
        return client
    session = requests.Session()
    session.verify = True
    if auth_type == "basic":
        session.auth = requests.auth.HTTPBasicAuth(username or "", password or "")
    transport = QuietTransport(session=session, timeout=timeout, operation_timeout=timeout)
    wsse = UsernameToken(username or "", password or "") if auth_type == "wsse" else None
    try:
        client = Client(wsdl_url, transport=transport, wsse=wsse, settings=Settings(strict=True))
    except requests.Timeout as error:
        raise VerificationCallError(
            "timeout", "The service description (WSDL) did not arrive in %s s." % timeout
        ) from error
    except requests.RequestException as error:
        raise VerificationCallError(
            "unreachable", "The service description (WSDL) could not be read: %s" % type(error).__name__
        ) from error
    except (ZeepError, etree.XMLSyntaxError, ValueError) as error:
        raise VerificationCallError(
            "unexpected", "The service description (WSDL) is not usable: %s" % error
        ) from error
    with _clients_lock:
        # Only the latest version of a service is kept.
        for old in [k for k in _clients if k[:2] == key[:2]]:
            del _clients[old]
        _clients[key] = client
    return client


def xroad_headers(client_id, service_id, user_id, protocol_version="4.0"):
    """The X-Road SOAP headers as lxml elements: ``client_id`` "INSTANCE/CLASS/MEMBER[/SUBSYSTEM]",
    ``service_id`` "INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]"."""
    nsmap = {"xrd": XROAD_NS, "id": XROAD_ID_NS}

    def identifier(tag, value, parts, kinds):
        values = [part.strip() for part in value.split("/")]
        element = etree.Element("{%s}%s" % (XROAD_NS, tag), nsmap=nsmap)
        element.set("{%s}objectType" % XROAD_ID_NS, kinds[len(values)])
        # A member client has no subsystem; a service's version is optional.
        for name, text in zip(parts[: len(values)], values, strict=True):
            etree.SubElement(element, "{%s}%s" % (XROAD_ID_NS, name)).text = text
        return element

    headers = [
        identifier("client", client_id, XROAD_CLIENT_PARTS, {3: "MEMBER", 4: "SUBSYSTEM"}),
        identifier("service", service_id, XROAD_SERVICE_PARTS, {5: "SERVICE", 6: "SERVICE"}),
    ]
    for tag, text in (("id", uuid.uuid4().hex), ("userId", user_id), ("protocolVersion", protocol_version)):
        element = etree.Element("{%s}%s" % (XROAD_NS, tag), nsmap=nsmap)
        element.text = text
        headers.append(element)
    return headers


def call(client, operation, arguments, soap_headers=None, endpoint=None):
    """Call ``operation`` with ``arguments`` (a dict); returns the answer as plain dicts and
    values. Raises :class:`VerificationCallError` for a SOAP fault, a timeout, a service that
    cannot be reached and an answer that is not what the WSDL describes."""
    try:
        if endpoint:
            binding = next(iter(client.wsdl.bindings))
            service = client.create_service(binding, endpoint)
        else:
            service = client.service
        method = getattr(service, operation)
    except (AttributeError, StopIteration) as error:
        raise VerificationCallError("unexpected", "The service has no operation %s." % operation) from error
    try:
        result = method(**arguments, _soapheaders=soap_headers or None)
    except Fault as error:
        raise VerificationCallError(
            "fault", "The registry answered with a SOAP fault: %s" % (error.message or error.code)
        ) from error
    except requests.Timeout as error:
        raise VerificationCallError("timeout", "No answer within the timeout.") from error
    except requests.RequestException as error:
        raise VerificationCallError(
            "unreachable", "The service could not be reached (%s)." % type(error).__name__
        ) from error
    except TransportError as error:
        raise VerificationCallError(
            "unexpected", "The service answered HTTP %s." % error.status_code
        ) from error
    except (ZeepError, etree.XMLSyntaxError, ValueError, TypeError) as error:
        raise VerificationCallError(
            "unexpected", "The answer is not what the service description says: %s" % error
        ) from error
    return serialize_object(result, dict)


def read_path(answer, path):
    """The value at a dotted ``path`` (person.givenName) of an answer, or None."""
    value = answer
    for key in (path or "").split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
