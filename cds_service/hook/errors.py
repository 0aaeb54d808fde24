"""Errors a hook call can end in, each mapped to an HTTP status and a FHIR OperationOutcome.

HookError
  ├── BadRequestError           400  bad JSON, not a CDS Hooks request, coverage/payer problems (hook-13)
  ├── UnauthorizedError          401  client JWT missing or invalid (text stays generic)
  ├── NotFoundError              404  unknown service or artifact
  ├── PreconditionFailedError    412  required data neither prefetched nor retrievable
  ├── PayloadTooLargeError       413  body over the configured limit
  └── UnprocessableError         422  valid CDS Hooks JSON that violates a CRD constraint

Messages never carry patient data: they name fields and keys, not values.
"""

from __future__ import annotations

from typing import Any


class HookError(Exception):
    status = 500
    issue_code = "exception"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issue_code, self.message)


class BadRequestError(HookError):
    status = 400
    issue_code = "invalid"


class UnauthorizedError(HookError):
    status = 401
    issue_code = "login"


class NotFoundError(HookError):
    status = 404
    issue_code = "not-found"


class PreconditionFailedError(HookError):
    status = 412
    issue_code = "incomplete"


class PayloadTooLargeError(HookError):
    status = 413
    issue_code = "too-costly"


class UnprocessableError(HookError):
    status = 422
    issue_code = "business-rule"


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }
