"""Mifos X / Apache Fineract: one savings deposit per payment."""

import json

from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_payment_hub.exceptions import G2pTransportError
from odoo.addons.g2p_registry.const import SECRET_GROUPS

TENANT_HEADER = "Fineract-Platform-TenantId"
# Fineract error codes (userMessageGlobalisationCode) that say why a deposit was refused.
FINERACT_REASON_CODES = {
    "error.msg.savingsaccount.transaction.account.is.not.active": "ACCOUNT_CLOSED",
    "error.msg.saving.account.id.invalid": "ACCOUNT_NOT_FOUND",
    "error.msg.resource.not.found": "ACCOUNT_NOT_FOUND",
}


def fineract_error(body):
    """(reason code, message) of a Fineract error body (ApiGlobalErrorResponse or ApiParameterError)."""
    if not isinstance(body, dict):
        return "PSP_REJECTED", str(body)[:250]
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)] or [body]
    codes = [e.get("userMessageGlobalisationCode") for e in errors] + [
        body.get("userMessageGlobalisationCode")
    ]
    code = next((FINERACT_REASON_CODES[c] for c in codes if c in FINERACT_REASON_CODES), "PSP_REJECTED")
    message = (
        "; ".join(e.get("defaultUserMessage") or e.get("developerMessage") or "" for e in errors)
        or body.get("developerMessage")
        or ""
    )
    return code, message[:250]


class G2pPaymentConnectorFineract(models.Model):
    _inherit = "g2p.payment.connector"

    code = fields.Selection(
        selection_add=[("fineract", "Mifos X / Fineract (savings deposits)")],
        ondelete={"fineract": "set default"},
    )
    fineract_url = fields.Char(
        string="Fineract API URL", help="Base of the REST API, e.g. https://host/fineract-provider/api/v1."
    )
    fineract_tenant = fields.Char(string="Fineract Tenant", default="default")
    fineract_username = fields.Char(string="Fineract User", groups=SECRET_GROUPS, copy=False)
    fineract_password = fields.Char(string="Fineract Password", groups=SECRET_GROUPS, copy=False)
    fineract_payment_type_id = fields.Integer(
        string="Fineract Payment Type ID", help="Payment type recorded on each deposit (Fineract code value)."
    )
    fineract_idempotency_header = fields.Char(
        string="Fineract Idempotency Header",
        default="Idempotency-Key",
        help="fineract.idempotency-key-header-name of the server.",
    )
    fineract_account_lookup = fields.Selection(
        [("search", "Account number or external id"), ("id", "Savings account id")],
        string="Fineract Account Lookup",
        default="search",
        help="What the payment account identifier holds. Account numbers and external ids are resolved "
        "to the savings account through /search.",
    )

    # ------------------------------------------------------------------ hooks

    def _build_batch(self, batch):
        """The deposits to make, one per attempt (amounts checked now so a bad one stops the batch)."""
        if self.code != "fineract":
            return super()._build_batch(batch)
        self._check_required_fields()
        deposits = []
        for attempt in batch.attempt_ids.filtered(lambda a: a.state == "open"):
            deposits.append({"request_id": attempt.request_id, "amount": self._attempt_amount(attempt)})
        batch.write({"payload": json.dumps(deposits), "payload_filename": "%s.json" % batch.name})

    def _send(self, batch):
        """Mark the batch sent, then deposit each payment: its outcome is final at once. A deposit
        without a usable answer stays pending and is posted again later with the same
        Idempotency-Key, which Fineract answers from its cache instead of depositing twice."""
        if self.code != "fineract":
            return super()._send(batch)
        if batch.state == "queued":
            batch._set_sending()
        error = self._fineract_login_error(batch)
        if error:
            return batch._set_failed(error)
        # On record even if this transaction is lost: the send cron then sends the batch again and
        # Fineract replays the deposits already made (same attempts, same keys).
        self._count_submission(batch)
        batch._set_sent()
        batch._apply_results(self._fineract_deposit_open(batch))
        return batch

    def _fetch_status(self, batch):
        """Deposits are synchronous: the pending ones are simply posted again (idempotent)."""
        if self.code != "fineract":
            return super()._fetch_status(batch)
        return self._fineract_deposit_open(batch)

    def _test_connection(self):
        if self.code != "fineract":
            return super()._test_connection()
        error = self._fineract_login_error(self.env["g2p.payment.batch"])
        if error:
            raise UserError(error)
        return _("Logged in to tenant %s.", self.fineract_tenant)

    # ------------------------------------------------------------------ helpers

    def _get_required_fields(self):
        if self.code != "fineract":
            return super()._get_required_fields()
        return ["fineract_url", "fineract_tenant", "fineract_payment_type_id"]

    def _build_request_url(self, endpoint, **kwargs):
        if self.code != "fineract":
            return super()._build_request_url(endpoint, **kwargs)
        if not self.fineract_url:
            self._check_required_fields()  # names what is missing
        return "%s/%s" % (self.fineract_url.rstrip("/"), endpoint.lstrip("/"))

    def _build_request_headers(self, method, endpoint, batch=None, **kwargs):
        if self.code != "fineract":
            return super()._build_request_headers(method, endpoint, batch=batch, **kwargs)
        return {
            TENANT_HEADER: self.fineract_tenant or "default",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def _build_request_auth(self, batch=None, **kwargs):
        if self.code != "fineract":
            return super()._build_request_auth(batch=batch, **kwargs)
        connector = self.sudo()
        return (connector.fineract_username or "", connector.fineract_password or "")

    def _parse_response_content(self, response, **kwargs):
        if self.code != "fineract":
            return super()._parse_response_content(response, **kwargs)
        try:
            return response.json()
        except ValueError:
            return {"developerMessage": response.text[:250]}

    def _parse_response_error(self, response, content=None, **kwargs):
        if self.code != "fineract":
            return super()._parse_response_error(response, content=content, **kwargs)
        return fineract_error(self._parse_response_content(response) if content is None else content)[1]

    def _fineract_call(self, batch, method, parts, **kwargs):
        return self.sudo()._request_content(
            batch, method, "/".join(str(p).strip("/") for p in parts), **kwargs
        )

    def _fineract_login_error(self, batch):
        """Why Fineract refuses the tenant or login, or None. That is the connector's problem, not
        the payments': the batch fails before any deposit."""
        response, body = self._fineract_call(batch, "GET", ["savingsaccounts"], params={"limit": 1})
        if response.status_code in (400, 401, 403):
            return _(
                "Fineract refused the tenant or login (HTTP %(status)s): %(error)s",
                status=response.status_code,
                error=self._parse_response_error(response, body),
            )
        return None

    def _fineract_resolve(self, batch, identifier):
        """(savings account id, None) or (None, (reason code, message))."""
        identifier = (identifier or "").strip()
        if self.fineract_account_lookup == "id":
            if identifier.isdigit():
                return int(identifier), None
            return None, ("ACCOUNT_NOT_FOUND", _("%s is not a savings account id.", identifier))
        response, body = self._fineract_call(
            batch,
            "GET",
            ["search"],
            params={"query": identifier, "resource": "savings", "exactMatch": "true"},
            log_kind="poll",
            log_response=False,  # client names
        )
        if response.status_code != 200:
            raise G2pTransportError(
                _("Fineract account search failed (HTTP %(status)s): %(error)s",
                  status=response.status_code, error=self._parse_response_error(response, body)),
                status=response.status_code,
            )  # fmt: skip
        rows = [r for r in body if isinstance(r, dict) and r.get("entityType") == "SAVING"]
        if not rows:
            return None, ("ACCOUNT_NOT_FOUND", _("No savings account has the number or external id given."))
        if len(rows) > 1:
            return None, ("PSP_REJECTED", _("Several savings accounts match the account identifier."))
        return int(rows[0]["entityId"]), None

    def _fineract_deposit_open(self, batch):
        """Outcomes of the deposits of ``batch``'s open attempts. Stops at the first transport
        error (the server is unwell): the rest stay pending for the next fetch."""
        day = fields.Date.context_today(self)
        outcomes = []
        for attempt in batch.attempt_ids.filtered(lambda a: a.status in ("queued", "sent")):
            try:
                outcome = self._fineract_deposit(batch, attempt, day)
            except G2pTransportError as error:
                self.env["g2p.payment.batch.log"]._log(batch, "error", body=str(error))
                batch.last_error = str(error)
                break
            if outcome:
                outcomes.append(outcome)
        return batch._results_from_outcomes(outcomes)

    def _fineract_deposit(self, batch, attempt, day):
        account_id, refusal = self._fineract_resolve(batch, attempt.payee_identifier)
        if refusal:
            return {"request_id": attempt.request_id, "status": "failed", "reason_code": refusal[0],
                    "reason": refusal[1]}  # fmt: skip
        body = {
            "transactionDate": day.isoformat(),
            "dateFormat": "yyyy-MM-dd",
            "locale": "en",
            "transactionAmount": self._attempt_amount(attempt),
            "paymentTypeId": self.fineract_payment_type_id,
            "receiptNumber": attempt.payment_number,
            "note": _("G2P payroll %s", batch.payroll_id.name),
        }
        response, answer = self._fineract_call(
            batch,
            "POST",
            ["savingsaccounts", account_id, "transactions"],
            params={"command": "deposit"},
            data=json.dumps(body),
            # Safe to retry (timeouts and 5xx included): the key makes Fineract replay, not re-deposit.
            idempotent=True,
            # The attempt's request id: a repeated post replays the first answer, never deposits twice.
            headers={self.fineract_idempotency_header or "Idempotency-Key": attempt.request_id},
        )
        status = response.status_code
        if status == 200:
            reference = "%s/%s" % (answer.get("savingsId", account_id), answer.get("resourceId"))
            return {
                "request_id": attempt.request_id,
                "status": "paid",
                "psp_reference": reference,
                "date": day,
            }
        if status in (404, 400, 403):
            code, message = fineract_error(answer)
            if status == 404:
                code = "ACCOUNT_NOT_FOUND"
            return {
                "request_id": attempt.request_id,
                "status": "failed",
                "reason_code": code,
                "reason": message,
            }
        # 401 (credentials changed), 409/425 (the first post is still running) or anything else:
        # the deposit's fate is unknown, ask again later with the same key.
        raise G2pTransportError(
            _("Fineract answered HTTP %(status)s for payment %(number)s.", status=status,
              number=attempt.payment_number),
            status=status,
        )  # fmt: skip
