"""The one error -> HTTP status map, used by the inference server and the dashboard alike.

No web framework here, so both interfaces import it. The first row whose class matches wins,
so subclasses come before their parents. An error that is not a fullcycle error is a bug in
the server: 500, never "bad request".
"""

from __future__ import annotations

from typing import Any

from fullcycle import errors as E

STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (E.MalformedInput, 400),  # the body is not well-formed JSON
    (E.BadRequest, 400),  # a URL, query or form field is malformed
    (E.InvalidInput, 422),  # a well-formed body or value that breaks its schema
    (E.ConfigError, 422),  # a policy or setting given by the caller is invalid
    (E.Unauthorized, 401),
    (E.Forbidden, 403),
    (E.AuthError, 401),
    (E.NotFound, 404),
    (E.Conflict, 409),
    (E.GateRefused, 409),
    (E.ModelCheckFailed, 409),
    (E.StoreUnavailable, 503),
    (E.QuotaExceeded, 429),  # a bounded store is full (orphan feedback)
    (E.IntegrityError, 500),  # a corrupt artifact is the server's fault, not the caller's
    (E.UnsafeArtifact, 500),
)
"""(error class, HTTP status), most specific first."""

MAX_VIOLATIONS = 1000


class HTTPFault(Exception):
    """A refusal decided by the HTTP layer itself (408, 413, 415)."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


def status_of(exc: BaseException) -> int:
    """The HTTP status for ``exc``: the table's first match, else 500."""
    if isinstance(exc, HTTPFault):
        return exc.status
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_kind(exc: BaseException, status: int) -> str:
    """A short label for metrics: ``http_415``, the error's class name, or ``internal``."""
    if isinstance(exc, HTTPFault):
        return f"http_{status}"
    return type(exc).__name__ if isinstance(exc, E.FullcycleError) else "internal"


def error_body(exc: BaseException, rid: str) -> dict[str, Any]:
    """The JSON error body: the message, its kind, the request id (and violations, if any);
    an internal error says nothing of its cause."""
    if isinstance(exc, HTTPFault):
        return {"error": exc.message, "kind": "http", "request_id": rid}
    if isinstance(exc, E.FullcycleError):
        body: dict[str, Any] = {"error": str(exc), "kind": type(exc).__name__, "request_id": rid}
        if isinstance(exc, E.ContractViolation):
            body["violations"] = [
                {"row": v.row, "field": v.field, "problem": v.problem}
                for v in exc.violations[:MAX_VIOLATIONS]
            ]
            body["n_violations"] = len(exc.violations)
        return body
    return {
        "error": "internal error; the server keeps serving",
        "kind": "internal",
        "request_id": rid,
    }
