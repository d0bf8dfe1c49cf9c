"""Errors of the FHIR API: each becomes an HTTP status and an OperationOutcome."""


class FhirError(Exception):
    """A refusal with its HTTP ``status``, a human ``diagnostics`` text, the FHIRPath of the
    offending elements (``expression``, e.g. ``["Patient.birthDate"]``) and the OperationOutcome
    issue ``code`` (``invalid``, ``not-found``, ``conflict``, ``security``, ``processing`` …)."""

    def __init__(self, status, diagnostics, expression=None, code=None, headers=None):
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = str(diagnostics)
        self.expression = list(expression or [])
        self.code = code or DEFAULT_CODES.get(status, "processing")
        self.headers = dict(headers or {})

    def to_outcome(self):
        return operation_outcome(self.diagnostics, self.code, self.expression)


DEFAULT_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "business-rule",
    500: "exception",
}


def operation_outcome(diagnostics, code="processing", expression=None, severity="error"):
    issue = {"severity": severity, "code": code, "diagnostics": str(diagnostics)}
    if expression:
        issue["expression"] = list(expression)
    return {"resourceType": "OperationOutcome", "issue": [issue]}
