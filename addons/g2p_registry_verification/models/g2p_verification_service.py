import hashlib
import logging
import re
import unicodedata

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..const import AUTH_TYPES
from ..tools import soap_client
from odoo.addons.g2p_registry.const import SECRET_GROUPS
from odoo.addons.g2p_registry.tools.notify import notification

_logger = logging.getLogger(__name__)

XROAD_CLIENT = re.compile(r"^[^/\s]+(/[^/\s]+){2,3}$")
XROAD_SERVICE = re.compile(r"^[^/\s]+(/[^/\s]+){4,5}$")


class G2pVerificationService(models.Model):
    """A civil registry's SOAP service that verifies ID numbers: where it is (WSDL), which
    operation answers, how to authenticate, the X-Road headers when it is reached through a
    security server, and how its answer maps to registrant fields."""

    _name = "g2p.verification.service"
    _description = "Civil Registry Verification Service"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    wsdl_url = fields.Char(
        string="WSDL URL",
        required=True,
        help="The service description, e.g. https://xroad-ss.example.gov/civil-registry?wsdl. "
        "Certificates are always verified.",
    )
    endpoint_url = fields.Char(
        string="Endpoint URL",
        help="Where the calls go when it is not the address the WSDL gives "
        "(e.g. your X-Road security server).",
    )
    operation = fields.Char(
        required=True, default="verifyPerson", help="The SOAP operation that verifies a person."
    )
    id_number_argument = fields.Char(
        string="ID Number Argument",
        required=True,
        default="idNumber",
        help="The operation's argument for the ID number.",
    )
    id_type_argument = fields.Char(
        string="ID Type Argument",
        help="Optional: an argument that receives the ID type's code (e.g. idType).",
    )
    id_type_ids = fields.Many2many(
        "g2p.id.type",
        string="ID Types",
        required=True,
        help="The identity documents this service verifies.",
    )
    auth_type = fields.Selection(AUTH_TYPES, string="Authentication", required=True, default="none")
    username = fields.Char(groups=SECRET_GROUPS, copy=False)
    password = fields.Char(groups=SECRET_GROUPS, copy=False)
    xroad = fields.Boolean(string="Through X-Road", help="Send the X-Road message protocol headers.")
    xroad_client = fields.Char(
        string="X-Road Client",
        help="Our X-Road member or subsystem: INSTANCE/CLASS/MEMBER[/SUBSYSTEM], e.g. KE/GOV/MLSP/g2p.",
    )
    xroad_service = fields.Char(
        string="X-Road Service",
        help="The service called: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION], "
        "e.g. KE/GOV/NRB/civil-registry/verifyPerson/v1.",
    )
    xroad_protocol_version = fields.Char(string="X-Road Protocol Version", default="4.0")
    timeout = fields.Float(
        string="Timeout (s)", required=True, default=10.0, help="Seconds to wait for each answer."
    )
    found_path = fields.Char(
        string="Found Field",
        default="found",
        help="The field of the answer (dotted path) that says whether the registry knows the ID. "
        "Empty: known when any mapped field has a value.",
    )
    field_map_ids = fields.One2many(
        "g2p.verification.field.map", "service_id", string="Answer Fields", copy=True
    )

    @api.constrains("timeout")
    def _check_timeout(self):
        if any(service.timeout <= 0 for service in self):
            raise ValidationError(_("The timeout must be positive."))

    @api.constrains("wsdl_url", "endpoint_url")
    def _check_urls(self):
        for service in self:
            for url in (service.wsdl_url, service.endpoint_url):
                if url and not re.match(r"^https?://[^\s/]+", url):
                    raise ValidationError(_("%s is not an http(s) URL.", url))

    @api.constrains("xroad", "xroad_client", "xroad_service")
    def _check_xroad(self):
        for service in self.filtered("xroad"):
            if not XROAD_CLIENT.match(service.xroad_client or ""):
                raise ValidationError(
                    _(
                        "The X-Road client is INSTANCE/CLASS/MEMBER or "
                        "INSTANCE/CLASS/MEMBER/SUBSYSTEM, e.g. KE/GOV/MLSP/g2p."
                    )
                )
            if not XROAD_SERVICE.match(service.xroad_service or ""):
                raise ValidationError(
                    _(
                        "The X-Road service is INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION], "
                        "e.g. KE/GOV/NRB/civil-registry/verifyPerson/v1."
                    )
                )

    @api.model
    def _for_id_type(self, id_type, company):
        """The active service that verifies ``id_type`` in ``company`` (one is enough)."""
        return self.sudo().search(
            [("id_type_ids", "in", id_type.ids), ("company_id", "=", company.id)], limit=1, order="id"
        )

    # ------------------------------------------------------------------ calling

    def _client(self):
        """The zeep client of this service as it is configured now (kept while nothing changes)."""
        self.ensure_one()
        service = self.sudo()
        settings = (service.wsdl_url, service.timeout, service.auth_type, service.username, service.password)
        key = (self.env.cr.dbname, self.id, hashlib.sha256(repr(settings).encode()).hexdigest())
        return soap_client.get_client(key, *settings)

    def _ask(self, reg_id):
        """The registry's answer about ``reg_id`` as a dict (raises VerificationCallError)."""
        self.ensure_one()
        arguments = {self.id_number_argument: reg_id.value}
        if self.id_type_argument:
            arguments[self.id_type_argument] = reg_id.id_type_id.code or reg_id.id_type_id.name
        headers = None
        if self.xroad:
            headers = soap_client.xroad_headers(
                self.xroad_client,
                self.xroad_service,
                self.env.user.login,
                self.xroad_protocol_version or "4.0",
            )
        return soap_client.call(self._client(), self.operation, arguments, headers, self.endpoint_url or None)

    def _judge(self, reg_id, answer):
        """(state, note) for ``reg_id`` given the registry's ``answer``."""
        self.ensure_one()
        if not isinstance(answer, dict):
            return "error", _("The answer is not what the service description says.")
        values = {line: soap_client.read_path(answer, line.answer_path) for line in self.field_map_ids}
        if self.found_path:
            found = soap_client.read_path(answer, self.found_path)
            if found is None:
                return "error", _(
                    "The answer is not what the service description says: it has no %s.", self.found_path
                )
        else:
            found = any(value not in (None, "") for value in values.values())
        if not found:
            return "not_found", _("The civil registry does not know %s.", reg_id.value)
        differences = []
        partner = reg_id.partner_id
        for line, theirs in values.items():
            ours = partner[line.registrant_field]
            if theirs in (None, "") or not ours:
                continue
            if not line._same(ours, theirs):
                shown = (
                    ours
                    if line.registrant_field != "gender"
                    else dict(partner._fields["gender"].selection)[ours]
                )
                differences.append(
                    _(
                        "%(field)s: registry “%(theirs)s”, here “%(ours)s”",
                        field=line.display_name,
                        theirs=theirs,
                        ours=shown,
                    )
                )
        if differences:
            return "mismatch", "\n".join(differences)
        return "verified", _("Confirmed by the civil registry.")

    def action_test_connection(self):
        """Read the WSDL and check the operation exists: feedback for the administrator."""
        self.ensure_one()
        try:
            client = self._client()
        except soap_client.VerificationCallError as error:
            raise UserError(str(error)) from error
        operations = {
            name
            for service in client.wsdl.services.values()
            for port in service.ports.values()
            for name in port.binding._operations
        }
        if self.operation not in operations:
            raise UserError(
                _(
                    "The service has no operation %(op)s (it has: %(all)s).",
                    op=self.operation,
                    all=", ".join(sorted(operations)),
                )
            )
        return notification(_("Service reachable"), _("The WSDL was read and offers %s.", self.operation))


def fold(text):
    """Text compared as people write it: accents, case and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())
