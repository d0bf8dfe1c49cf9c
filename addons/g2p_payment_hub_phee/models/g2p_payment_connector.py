import datetime
import hashlib
import logging
from decimal import Decimal

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import jws, phee
from odoo.addons.g2p_payment_hub.exceptions import G2pTransportError
from odoo.addons.g2p_payment_hub.tools import FormatError, format_amount
from odoo.addons.g2p_registry.const import SECRET_GROUPS

_logger = logging.getLogger(__name__)

# The operations app's OAuth client is "client" with an empty secret (docs/phee-bulk.md §3).
OPS_CLIENT_BASIC = "Basic Y2xpZW50Og=="
CALLBACK_ROUTE = "/g2p/payment_hub/phee/callback/%s"
# Reasons PH-EE gives for a failed transfer, mapped to our reasons for non-payment.
REASON_CODES = (
    ("payee identifier not found", "ACCOUNT_NOT_FOUND"),
    ("account not found", "ACCOUNT_NOT_FOUND"),
    ("account closed", "ACCOUNT_CLOSED"),
)


class G2pPaymentConnectorPhee(models.Model):
    """Mifos Payment Hub EE bulk processor (docs/phee-bulk.md): CSV or RAW batches, callbacks as
    triggers, status from the operations app."""

    _inherit = "g2p.payment.connector"

    code = fields.Selection(selection_add=[("phee", "Mifos PH-EE (bulk)")], ondelete={"phee": "set default"})
    phee_bulk_url = fields.Char(string="Bulk Processor URL", help="Base URL of the bulk processor.")
    phee_ops_url = fields.Char(string="Operations API URL", help="Base URL of the operations app.")
    phee_tenant = fields.Char(string="Tenant", help="Platform-TenantId header.")
    phee_request_type = fields.Selection(
        [("csv", "CSV file (multipart)"), ("raw", "RAW JSON")], string="Request Type", default="csv"
    )
    phee_oauth = fields.Boolean(string="Operations API Needs a Token", default=True)
    phee_username = fields.Char(string="Operations Username", groups=SECRET_GROUPS, copy=False)
    phee_password = fields.Char(string="Operations Password", groups=SECRET_GROUPS, copy=False)
    phee_jws = fields.Boolean(string="Sign Requests (JWS)", help="Send X-SIGNATURE (tenant with JWS on).")
    phee_jws_private_key = fields.Text(string="Signing Private Key (PEM)", groups=SECRET_GROUPS, copy=False)
    phee_registering_institution = fields.Char(
        string="Registering Institution ID", help="X-Registering-Institution-ID (budget-account mode)."
    )
    phee_program_code = fields.Char(string="PH-EE Program ID", help="X-Program-ID (budget-account mode).")
    phee_payee_dfsp = fields.Char(string="Payee DFSP ID", help="X-PayeeDFSP-ID passthrough.")
    phee_callback_base_url = fields.Char(
        string="Callback Base URL",
        help="Where PH-EE reaches this Odoo; empty: the web.base.url system parameter.",
    )
    phee_channel_url = fields.Char(
        string="Channel Connector URL",
        help="Base URL of PH-EE's channel connector, which takes requests to pay (premium and "
        "contribution collection); empty: this connector does not collect.",
    )
    phee_page_size = fields.Integer(string="Status Page Size", default=500)
    phee_resubmit_after = fields.Integer(
        string="Resubmit After (seconds)",
        default=900,
        help="A submission whose answer was lost (timeout) and that the operations API still does not "
        "list after this long is considered never received, and is submitted again.",
    )

    # ------------------------------------------------------------------ helpers

    def _get_required_fields(self):
        if self.code != "phee":
            return super()._get_required_fields()
        required = ["phee_bulk_url", "phee_ops_url", "phee_tenant", "payment_mode"]
        return required + (["phee_jws_private_key"] if self.phee_jws else [])

    # ------------------------------------------------------------------ request hooks
    # ``api``: "bulk" (the bulk processor), "oauth" (the operations app's token endpoint) or
    # "ops" (the operations API, with a Bearer token when phee_oauth; ``refresh`` renews it).

    def _build_request_url(self, endpoint, api=None, **kwargs):
        if self.code != "phee":
            return super()._build_request_url(endpoint, api=api, **kwargs)
        base = {"bulk": self.phee_bulk_url, "channel": self.phee_channel_url}.get(api, self.phee_ops_url)
        return (base or "").rstrip("/") + endpoint

    def _build_request_headers(self, method, endpoint, batch=None, api=None, refresh=False, **kwargs):
        if self.code != "phee":
            return super()._build_request_headers(method, endpoint, batch=batch, api=api, **kwargs)
        if api == "bulk":
            return self._phee_headers(batch)
        if api == "channel":
            # ``batch`` is the collection request: its id is the correlation id, so a request sent
            # again after a lost answer is recognised, and its callback URL carries its token.
            return {
                "Platform-TenantId": self.phee_tenant,
                "X-CorrelationID": batch.request_id,
                "X-CallbackURL": batch._callback_url(),
            }
        if api == "oauth":
            return {"Authorization": OPS_CLIENT_BASIC, "Platform-TenantId": self.phee_tenant}
        headers = {"Platform-TenantId": self.phee_tenant}
        if self.phee_oauth:
            headers["Authorization"] = "Bearer %s" % self._phee_token(batch, refresh=refresh)
        return headers

    def _parse_response_content(self, response, **kwargs):
        if self.code != "phee":
            return super()._parse_response_content(response, **kwargs)
        # Strict: a listing that is not JSON must not read as "PH-EE does not hold the batch".
        return response.json() or {}

    def _callback_base_url(self):
        if self.code != "phee" or not self.phee_callback_base_url:
            return super()._callback_base_url()
        return self.phee_callback_base_url

    def _phee_callback_url(self, batch):
        base = self._callback_base_url()
        return "%s%s?token=%s" % (
            base.rstrip("/"),
            CALLBACK_ROUTE % batch.correlation_id,
            batch.callback_token,
        )

    def _get_batch_limits(self):
        limits = super()._get_batch_limits()
        if self.code == "phee":
            # PH-EE refuses files over csv.size (100,000 bytes by default).
            limits["max_bytes"] = min(limits["max_bytes"], 100_000)
        return limits

    def _phee_instructions(self, payments):
        """The PH-EE instructions of ``payments`` (the connector's settings read once)."""
        payer = {
            "payment_mode": self.payment_mode or "",
            "payer_identifier_type": self.payer_identifier_type or "",
            "payer_identifier": self.payer_identifier or "",
        }
        return [
            phee.PaymentInstruction(
                request_id=payment["request_id"],
                payee_identifier_type=payment["payee_identifier_type"] or "",
                payee_identifier=payment["payee_identifier"] or "",
                amount=Decimal(str(payment["amount"])),
                currency=payment["currency"],
                note=payment.get("payment_number") or "",
                line_id=payment.get("line_id"),
                **payer,
            )
            for payment in payments
        ]

    def _set_payee_identifiers(self, payments):
        super()._set_payee_identifiers(payments)
        if self.code == "phee":
            for payment in payments:
                if payment["payee_identifier_type"] == "msisdn" and payment["payee_identifier"]:
                    # PH-EE and Mojaloop use MSISDNs without the leading "+".
                    payment["payee_identifier"] = payment["payee_identifier"].lstrip("+")

    def _split_payments(self, payments):
        """PH-EE batches: row and byte limits, and never two payments sharing payee, type, amount
        and currency in one batch (PH-EE would drop one as a duplicate)."""
        if self.code != "phee":
            return super()._split_payments(payments)
        self._check_required_fields()
        limits = self._get_batch_limits()
        by_request = {payment["request_id"]: payment for payment in payments}
        for payment, instruction in zip(payments, self._phee_instructions(payments), strict=True):
            # Kept for _build_batches: the same instruction is rendered, not built again.
            payment["instruction"] = instruction
        bodies = {}
        try:
            groups = phee.split_into_batches(
                [payment["instruction"] for payment in payments],
                max_rows=limits["max_rows"],
                max_bytes=limits["max_bytes"],
                decimals=limits["decimals"],
                bodies=bodies,
            )
        except FormatError as error:
            raise UserError(_("Cannot prepare the PH-EE batches: %s", error)) from None
        for payment in payments:
            # Rendered while splitting: _build_batches writes these rows as they are.
            payment["csv_body"] = bodies[payment["request_id"]]
        return [[by_request[instruction.request_id] for instruction in group] for group in groups]

    # ------------------------------------------------------------------ build

    def _build_batches(self, batches, chunks):
        if self.code != "phee":
            return super()._build_batches(batches, chunks)
        for batch, chunk in zip(batches, chunks, strict=True):
            instructions = [payment.get("instruction") for payment in chunk]
            if not all(instructions):
                instructions = self._phee_instructions(chunk)
            bodies = {p["request_id"]: p["csv_body"] for p in chunk if p.get("csv_body")}
            self._phee_write_payload(batch, instructions, bodies)

    def _build_batch(self, batch):
        if self.code != "phee":
            return super()._build_batch(batch)
        self._check_required_fields()
        self.env["g2p.payment.attempt"].flush_model()
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT a.request_id, a.amount, a.payee_identifier_type, a.payee_identifier,
                          l.payment_number, l.id AS line_id, c.name AS currency
                     FROM g2p_payment_attempt a
                     JOIN g2p_payroll_line l ON l.id = a.payroll_line_id
                     JOIN res_currency c ON c.id = l.currency_id
                    WHERE a.batch_id = %s AND a.state = 'open'
                    ORDER BY a.id""",
                batch.id,
            )
        )
        self._phee_write_payload(batch, self._phee_instructions(rows))

    def _phee_write_payload(self, batch, instructions, bodies=None):
        decimals = self._get_batch_limits()["decimals"]
        try:
            if self.phee_request_type == "raw":
                payload, filename = phee.render_raw_json(instructions, decimals), "%s.json" % batch.name
            else:
                payload, filename = phee.render_csv(instructions, decimals, bodies), "%s.csv" % batch.name
        except FormatError as error:
            raise UserError(
                _("Batch %(batch)s cannot be rendered: %(error)s", batch=batch.name, error=error)
            ) from None
        if self.phee_request_type != "raw" and len(payload.encode()) > self._get_batch_limits()["max_bytes"]:
            raise UserError(_("Batch %s is larger than the processor accepts.", batch.name))
        batch.write({"payload": payload, "payload_filename": filename})

    # ------------------------------------------------------------------ send

    def _phee_headers(self, batch):
        payroll = batch.payroll_id
        headers = {
            "X-CorrelationID": batch.correlation_id,
            # Free text; PH-EE stores it, keep it to plain characters.
            "Purpose": "G2P payment %s %s" % (payroll.program_id.name or "", payroll.cycle_id.name or ""),
            "Type": self.phee_request_type or "csv",
            "Platform-TenantId": self.phee_tenant,
            "X-CallbackURL": self._phee_callback_url(batch),
        }
        # HTTP header values are Latin-1 at best: keep printable ASCII only.
        headers["Purpose"] = "".join(ch if " " <= ch <= "~" else "-" for ch in headers["Purpose"])[:200]
        if self.phee_request_type != "raw":
            headers["filename"] = batch.payload_filename
        optional = {
            "X-Registering-Institution-ID": self.phee_registering_institution,
            "X-Program-ID": self.phee_program_code,
            "X-PayeeDFSP-ID": self.phee_payee_dfsp,
        }
        headers.update({name: value for name, value in optional.items() if value})
        if self.phee_jws:
            try:
                headers["X-SIGNATURE"] = jws.sign(self.sudo().phee_jws_private_key, headers, batch.payload)
            except FormatError as error:
                raise UserError(
                    _("Cannot sign batch %(batch)s: %(error)s", batch=batch.name, error=error)
                ) from None
        return headers

    def _send(self, batch):
        """Submit one locked batch. Never submits twice what PH-EE may hold: any earlier
        submission (marker), lost answer or 5xx is followed by a look-up by correlation id."""
        if self.code != "phee":
            return super()._send(batch)
        self._check_required_fields()
        if not batch.payload:
            self._build_batch(batch)
        batch._set_sending()
        earlier, last_started = batch._previous_submissions()
        if earlier:
            if self._recover_submission(batch):
                return
            age = (fields.Datetime.now() - last_started).total_seconds() if last_started else None
            if age is not None and age < self.phee_resubmit_after:
                batch._set_queued(
                    _(
                        "An earlier submission got no answer and PH-EE does not list the batch yet; it is "
                        "looked up again before any new submission."
                    )
                )
                return
        request_type = self.phee_request_type or "csv"
        body = batch.payload.encode()
        summary = _(
            "%(file)s: %(bytes)s bytes, %(rows)s payments, sha256 %(digest)s",
            file=batch.payload_filename or "raw",
            bytes=len(body),
            rows=batch.total_count,
            digest=hashlib.sha256(body).hexdigest(),
        )
        if request_type == "raw":
            kwargs = {"data": body, "headers": {"Content-Type": "application/json"}}
        else:
            kwargs = {"files": {"data": (batch.payload_filename, body, "text/csv")}}

        def before_retry():
            # The previous try reached PH-EE (5xx): it may have registered the batch anyway.
            if self._recover_submission(batch):
                return True
            self._count_submission(batch)
            return False

        self._count_submission(batch)
        try:
            response = self._request(
                batch,
                "POST",
                "/batchtransactions?type=%s" % request_type,
                api="bulk",
                log_body=summary,
                before_retry=before_retry,
                **kwargs,
            )
        except G2pTransportError as error:
            if error.maybe_delivered and self._recover_submission(batch):
                return
            raise
        if response is None:
            return  # found at PH-EE after a 5xx, and marked sent by the look-up
        if response.status_code == 202:
            try:
                external_id = phee.batch_id_from_polling_path(response.text)
            except FormatError:
                external_id = None
            if not external_id and self._recover_submission(batch):
                return
            batch._set_sent(external_id)
            return
        if response.status_code == 409:
            # Duplicate correlation id (PH-EE with the de-duplication change): accepted before.
            if self._recover_submission(batch):
                return
            raise G2pTransportError(_("PH-EE reports the batch as a duplicate but does not list it."))
        if response.status_code < 500:
            batch._set_failed(
                _(
                    "PH-EE refused the batch (HTTP %(status)s): %(body)s",
                    status=response.status_code,
                    body=self._parse_response_error(response),
                )
            )
            return
        raise G2pTransportError(
            _(
                "PH-EE answered HTTP %(status)s %(n)s times.",
                status=response.status_code,
                n=self.max_transport_retries + 1,
            )
        )

    def _find_submitted_batch(self, batch):
        """The PH-EE batch id of ``batch``, found by its correlation id in the batch listing (PH-EE
        has no look-up by correlation id), or None."""
        if self.code != "phee":
            return super()._find_submitted_batch(batch)
        date_from = batch.create_date - datetime.timedelta(minutes=5)
        params = {
            "dateFrom": date_from.strftime("%Y-%m-%d %H:%M:%S"),
            "limit": 100,
            "offset": 0,
            "sort": "-startedAt",
        }
        while True:
            response = self._phee_ops_get(batch, "/api/v1/batches", params)
            data = self._parse_response_content(response)
            items = data.get("data") or []
            for item in items:
                if batch.correlation_id in (item.get("requestId"), item.get("correlationId")):
                    return item.get("batchId")
            if len(items) < params["limit"]:
                return None
            params["offset"] += params["limit"]

    # ------------------------------------------------------------------ operations API

    def _phee_token(self, batch, refresh=False):
        """The operations app's access token (password grant), from the hub's token cache."""
        # Sudo: the credentials are G2P administrators' fields; any role that sends reads them here.
        connector = self.sudo()
        credentials = (self.phee_ops_url, self.phee_tenant, connector.phee_username, connector.phee_password)
        token = None if refresh else self._token_cache_get(credentials)
        if token:
            return token
        response = self._request(
            batch,
            "POST",
            "/oauth/token",
            api="oauth",
            idempotent=True,
            # In the form body, not the query string: a URL is written to logs (urllib3's at debug
            # level, proxies', the processor's access log). Spring's token endpoint reads both.
            data={
                "username": connector.phee_username or "",
                "password": connector.phee_password or "",
                "grant_type": "password",
            },
            log_body="grant_type=password&username=[REDACTED]&password=[REDACTED]",
            log_kind="poll",
            log_response=False,
        )
        if response.status_code != 200:
            raise UserError(
                _(
                    "PH-EE operations login failed (HTTP %(status)s): %(body)s",
                    status=response.status_code,
                    body=self._parse_response_error(response)[:300],
                )
            )
        data = self._parse_response_content(response)
        token = data.get("access_token")
        if not token:
            raise UserError(_("PH-EE operations login answered without an access token."))
        self._token_cache_set(credentials, token, data.get("expires_in"), margin=30)
        return token

    def _phee_ops_get(self, batch, path, params, log_response=False):
        """GET on the operations API with tenant and (when on) Bearer token; one token refresh on 401."""
        for refresh in (False, True):
            response = self._request(
                batch,
                "GET",
                path,
                api="ops",
                refresh=refresh,
                params=params,
                log_kind="poll",
                log_response=log_response,
            )
            if response.status_code == 401 and self.phee_oauth and not refresh:
                continue
            if response.status_code != 200:
                raise G2pTransportError(
                    _(
                        "PH-EE operations API answered HTTP %(status)s on %(path)s.",
                        status=response.status_code,
                        path=path,
                    ),
                    status=response.status_code,
                )
            return response

    def _fetch_status(self, batch):
        if self.code != "phee":
            return super()._fetch_status(batch)
        if not batch.external_id and not self._recover_submission(batch):
            return []
        outcomes, page, offsets = [], 0, {}
        page_size = max(self.phee_page_size or 500, 1)
        while True:
            response = self._phee_ops_get(
                batch,
                "/api/v1/batch/detail",
                {"batchId": batch.external_id, "status": "ALL", "pageNo": page, "pageSize": page_size},
            )
            data = self._parse_response_content(response)
            content = data.get("content") or []
            for transfer in content:
                try:
                    outcome = phee.transfer_outcome(transfer)
                except FormatError as error:
                    self.env["g2p.payment.batch.log"]._log(batch, "error", body=str(error))
                    continue
                outcomes.append(self._phee_result(outcome, offsets))
            if data.get("last", True) or not content:
                break
            page += 1
        return batch._results_from_outcomes(outcomes)

    def _phee_result(self, outcome, offsets=None):
        """A result dict from a PH-EE transfer outcome; its date is the day, in the user's time zone,
        the processor completed it (``offsets``: a cache of UTC offsets by hour, for big pages)."""
        result = {
            "request_id": outcome.request_id,
            "status": outcome.status,
            "psp_reference": outcome.psp_reference,
        }
        if outcome.completed_at:
            offsets = {} if offsets is None else offsets
            hour = outcome.completed_at.replace(minute=0, second=0, microsecond=0)
            if hour not in offsets:
                local = fields.Datetime.context_timestamp(self, hour)
                offsets[hour] = local.utcoffset() or datetime.timedelta(0)
            result["date"] = (outcome.completed_at + offsets[hour]).date()
        if outcome.status == phee.STATUS_FAILED:
            text = outcome.reason.lower()
            result["reason"] = outcome.reason
            result["reason_code"] = next(
                (code for marker, code in REASON_CODES if marker in text), "PSP_REJECTED"
            )
        return result

    # ------------------------------------------------------------------ collection (request to pay)

    def _supports_collection(self):
        return self.code == "phee" or super()._supports_collection()

    def _request_collection(self, collection):
        """PH-EE channel connector's request to pay: the payer (a wallet, MSISDN) is asked to pay
        the payee (the scheme's account, ``payer_identifier`` of this connector)."""
        if self.code != "phee":
            return super()._request_collection(collection)
        if not self.phee_channel_url or not self.payer_identifier:
            raise UserError(
                _(
                    "Connector %s needs its Channel Connector URL and the scheme's account to collect.",
                    self.name,
                )
            )
        msisdn = "".join(ch for ch in collection.payer_msisdn or "" if ch.isdigit())
        body = {
            "payer": {"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": msisdn}},
            "payee": {
                "partyIdInfo": {
                    "partyIdType": (self.payer_identifier_type or "MSISDN").upper(),
                    "partyIdentifier": self.payer_identifier,
                }
            },
            "amount": {
                "amount": format_amount(collection.amount, collection.currency_id.decimal_places, "amount"),
                "currency": collection.currency_id.name,
            },
        }
        response = self._request(
            collection, "POST", "/channel/transactionRequest", api="channel", json=body, idempotent=False
        )
        return self._phee_channel_answer(response)

    def _phee_channel_answer(self, response):
        """The channel connector's answer to a request to pay or a transfer, as the hub reads it."""
        if response.status_code >= 500:
            # It may have been registered: the status fetch by our correlation id will tell.
            return {"accepted": True, "error": _("PH-EE answered HTTP %s.", response.status_code)}
        if response.status_code >= 400:
            return {"accepted": False, "reason": self._parse_response_error(response)[:300]}
        data = response.json() if response.content else {}
        return {"accepted": True, "external_id": data.get("transactionId")}

    def _fetch_collection_status(self, collection):
        """The operations app's transaction request, by PH-EE's transaction id (or, when the answer
        to the request was lost, by our correlation id)."""
        if self.code != "phee":
            return super()._fetch_collection_status(collection)
        params = (
            {"transactionId": collection.external_id}
            if collection.external_id
            else {"clientCorrelationId": collection.request_id}
        )
        response = self._phee_ops_get(collection, "/api/v1/transactionRequests", params, log_response=True)
        content = self._parse_response_content(response).get("content") or []
        if not content:
            return {"status": "pending"}
        transaction = content[0]
        if not collection.external_id and transaction.get("transactionId"):
            collection.external_id = transaction["transactionId"]
        state = transaction.get("state")
        status = phee.COLLECTION_STATES.get(state, "pending")
        result = {"status": status, "reason": transaction.get("errorInformation")}
        if status == "paid":
            result["amount"] = float(Decimal(str(transaction.get("amount"))))
            result["psp_reference"] = transaction.get("externalId") or transaction.get("transactionId")
            # PH-EE's dates, epoch milliseconds or ISO text, read as for bulk transfers.
            completed = phee.utc_datetime(transaction.get("completedAt"))
            if completed:
                result["date"] = fields.Datetime.context_timestamp(self, completed).date()
        return result

    # ------------------------------------------------------------------ single transfers (money out)

    def _supports_transfer(self):
        return self.code == "phee" or super()._supports_transfer()

    def _request_transfer(self, transfer):
        """PH-EE channel connector's transfer: the scheme's account (``payer_identifier``) pays one
        payee (a wallet, an IBAN or an account number). Our request id is the correlation id, so a
        transfer sent again after a lost answer is the same transfer."""
        if self.code != "phee":
            return super()._request_transfer(transfer)
        if not self.phee_channel_url or not self.payer_identifier:
            raise UserError(
                _(
                    "Connector %s needs its Channel Connector URL and the scheme's account to pay by "
                    "transfer.",
                    self.name,
                )
            )
        identifier = transfer.payee_identifier or ""
        if transfer.payee_identifier_type == "msisdn":
            identifier = "".join(ch for ch in identifier if ch.isdigit())
        else:
            identifier = "".join(identifier.split()).upper()
        body = {
            "payer": {
                "partyIdInfo": {
                    "partyIdType": (self.payer_identifier_type or "MSISDN").upper(),
                    "partyIdentifier": self.payer_identifier,
                }
            },
            "payee": {
                "partyIdInfo": {
                    "partyIdType": phee.PARTY_ID_TYPES[transfer.payee_identifier_type],
                    "partyIdentifier": identifier,
                }
            },
            "amount": {
                "amount": format_amount(transfer.amount, transfer.currency_id.decimal_places, "amount"),
                "currency": transfer.currency_id.name,
            },
            "note": transfer.description or transfer.name,
        }
        response = self._request(
            transfer, "POST", "/channel/transfer", api="channel", json=body, idempotent=False
        )
        return self._phee_channel_answer(response)

    def _fetch_transfer_status(self, transfer):
        """The channel connector's transfer by PH-EE's transaction id; when the answer to the
        transfer was lost, the operations app's transfers by our correlation id."""
        if self.code != "phee":
            return super()._fetch_transfer_status(transfer)
        if transfer.external_id:
            response = self._request(
                transfer,
                "GET",
                "/channel/transfer/%s" % transfer.external_id,
                api="channel",
                log_response=True,
            )
            if response.status_code == 404:
                return {"status": "pending"}
            data = self._parse_response_content(response)
        else:
            response = self._phee_ops_get(
                transfer, "/api/v1/transfers", {"clientCorrelationId": transfer.request_id}, log_response=True
            )
            content = self._parse_response_content(response).get("content") or []
            if not content:
                return {"status": "pending"}
            data = content[0]
            if data.get("transactionId"):
                transfer.external_id = data["transactionId"]
        status = phee.TRANSFER_STATES.get(data.get("transferState"), "pending")
        result = {"status": status, "reason": data.get("errorInformation")}
        if status == "paid":
            result["psp_reference"] = data.get("transferId") or data.get("transactionId")
            completed = phee.utc_datetime(data.get("completedTimestamp"))
            if completed:
                result["date"] = fields.Datetime.context_timestamp(self, completed).date()
        return result

    def _test_connection(self):
        if self.code != "phee":
            return super()._test_connection()
        self._check_required_fields()
        batch = self.env["g2p.payment.batch"]
        try:
            if self.phee_oauth:
                self._phee_token(batch, refresh=True)
            response = self._phee_ops_get(batch, "/api/v1/batches", {"limit": 1, "offset": 0})
        except G2pTransportError as error:
            raise UserError(_("PH-EE operations API: %s", error)) from None
        total = self._parse_response_content(response).get("totalBatches")
        return _(
            "PH-EE operations API reached for tenant %(tenant)s (%(total)s batches).",
            tenant=self.phee_tenant,
            total=total,
        )
