"""Every error fullcycle raises, in one place.

Each subclasses a built-in, so generic handlers keep working, and each message names the object
and what to do next. ``serving/statuses.py`` maps them to HTTP statuses (for the server and
the dashboard), ``cli`` to exit codes.

    FullcycleError (Exception)
    ├── ConfigError (ValueError)            a setting, the scope file or a policy is invalid
    │   └── ScopeError                      fullcycle.yaml is malformed; lists every problem
    ├── InvalidInput (ValueError)           a value given by a caller is wrong (NaN metric, ...)
    │   ├── InvalidName                     a name or path component that could escape the root
    │   ├── MalformedInput                  a request body that is not well-formed JSON (400)
    │   ├── BadRequest                      a URL, query or form field that is malformed (400)
    │   ├── ContractViolation               data or a request breaks the feature contract
    │   ├── ModelTooLarge                   a model artifact over constraints.max_model_mb
    │   └── InsufficientData                too few rows to decide anything
    ├── NotFound (LookupError)              no such run, dataset, version, alias or request
    ├── Conflict (RuntimeError)             a compare-and-set lost, or the object exists already
    │   ├── AlreadyExists (FileExistsError)
    │   └── LeaseHeld                       another process holds the lease
    ├── IntegrityError (ValueError)         stored bytes do not match their sha256
    ├── UnsafeArtifact (PermissionError)    a pickle or untrusted type that will not be opened
    ├── GateRefused (RuntimeError)          a promotion refused by the gate, with the numbers
    ├── DriftDetected (RuntimeError)        ``fullcycle drift --fail-on-drift`` found drift
    ├── ModelCheckFailed (RuntimeError)     a model loads but fails the load-and-query check
    ├── StoreUnavailable (ConnectionError)  the metadata store or artifact store cannot be reached
    ├── QuotaExceeded (RuntimeError)        a bounded store is full (orphan feedback): 429
    ├── AuthError (PermissionError)
    │   ├── Unauthorized                    no token, or a bad, expired or revoked one
    │   └── Forbidden                       a token without the role
    ├── ExecutorError (RuntimeError)        the local pool or the Dask cluster failed a job
    └── TrainingTimeout (TimeoutError)      a training run went past its time limit
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class FullcycleError(Exception):
    """Base of every fullcycle error."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class ConfigError(FullcycleError, ValueError):
    """A setting, the scope file or a policy is invalid."""


class ScopeError(ConfigError):
    """``fullcycle.yaml`` has problems; ``problems`` lists each as ``path (line N): what``."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path} has {len(self.problems)} problem(s):\n{lines}")


class InvalidInput(FullcycleError, ValueError):
    """A value given by a caller is wrong."""


class InvalidName(InvalidInput):
    """A name that could escape the store's root or is otherwise not allowed."""


class MalformedInput(InvalidInput):
    """A request body that is not well-formed JSON (truncated, BOM, bad UTF-8, too deep)."""


class BadRequest(InvalidInput):
    """A URL, query or form field that is malformed or missing (400, where a body that breaks
    its schema is 422)."""


class ContractViolation(InvalidInput):
    """Data or a request breaks the feature contract; ``violations`` lists each one."""

    def __init__(self, message: str, violations: Sequence[Any] = (), **kw: Any) -> None:
        self.violations = list(violations)
        super().__init__(message, **kw)


class InsufficientData(InvalidInput):
    """Too few rows to decide anything: never a false alarm."""


class NotFound(FullcycleError, LookupError):
    """No such object."""


class Conflict(FullcycleError, RuntimeError):
    """A compare-and-set lost, or the object exists already."""


class AlreadyExists(Conflict, FileExistsError):
    """The object exists already."""


class LeaseHeld(Conflict):
    """Another process holds the lease."""


class IntegrityError(FullcycleError, ValueError):
    """Stored bytes do not match their recorded sha256."""


class UnsafeArtifact(FullcycleError, PermissionError):
    """A pickle, or a serialized type outside the trusted list, that will not be opened."""


class GateRefused(FullcycleError, RuntimeError):
    """A promotion refused by the gate; the message carries the numbers."""


class DriftDetected(FullcycleError, RuntimeError):
    """``--fail-on-drift`` and the comparison found drift (exit code 11, for CI)."""


class ModelCheckFailed(FullcycleError, RuntimeError):
    """A model loads but fails the load-and-query check."""


class StoreUnavailable(FullcycleError, ConnectionError):
    """The metadata or artifact store cannot be reached."""


class QuotaExceeded(FullcycleError, RuntimeError):
    """A bounded store is full (feedback for unknown request ids beyond its quota)."""


class AuthError(FullcycleError, PermissionError):
    """Authentication or authorization failed."""


class Unauthorized(AuthError):
    """No token, or a malformed, expired or revoked one."""


class Forbidden(AuthError):
    """The token lacks the role."""


class ExecutorError(FullcycleError, RuntimeError):
    """The local pool or the Dask cluster failed a job."""


class ModelTooLarge(InvalidInput):
    """A model whose saved artifact is over ``constraints.max_model_mb``; nothing registered."""


class TrainingTimeout(FullcycleError, TimeoutError):
    """A training run went past its time limit; it was stopped and marked failed."""
