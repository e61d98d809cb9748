"""fullcycle: one tool for a machine-learning project's whole life, and the loop that keeps it
current.

    scope -> data -> train & evaluate -> register -> deploy -> monitor -> update
      ^                                                                    |
      +---------------------- the loop closes here ------------------------+

The nouns, each with one home:

    Scope            fullcycle.yaml: task, metric and goal, constraints, policies   scope.py
    Contract         the feature schema; validates frames and requests             contract.py
    DatasetVersion   an immutable table NAME@N, by the sha256 of its Parquet       data/
    Run              one training run: params, metrics, artifacts, environment     train/
    ModelVersion     NAME:N with aliases (production, challenger, ...)             registry.py
    Deployment       production, canary and share, shadow; every change kept       serving/
    Prediction log   every request, its inputs, outputs, latency; feedback joins   serving/
    Monitor report   a window of production against the reference                  monitoring/
    Event            the audit log of who did what, when and why                   store/

``Project`` is the facade over all of them:

    import fullcycle as fc
    project = fc.Project.open(".")
    with project.start_run(params={"lr": 0.1}) as run:
        run.log_metric("loss", 0.3, step=1)

Importing this package is cheap: heavy libraries load when a feature needs them.
"""

from __future__ import annotations

from typing import Any

from fullcycle.errors import (
    AlreadyExists,
    AuthError,
    BadRequest,
    ConfigError,
    Conflict,
    ContractViolation,
    DriftDetected,
    ExecutorError,
    Forbidden,
    FullcycleError,
    GateRefused,
    InsufficientData,
    IntegrityError,
    InvalidInput,
    InvalidName,
    LeaseHeld,
    MalformedInput,
    ModelCheckFailed,
    ModelTooLarge,
    NotFound,
    QuotaExceeded,
    ScopeError,
    StoreUnavailable,
    TrainingTimeout,
    Unauthorized,
    UnsafeArtifact,
)
from fullcycle.records import (
    Alias,
    DatasetVersion,
    DriftVerdict,
    Evaluation,
    Event,
    LabelTask,
    MetricPoint,
    ModelVersion,
    MonitorReport,
    RunInfo,
    Status,
    Trace,
)
from fullcycle.settings import Settings

__version__ = "0.1.0"

_LAZY = {
    "Project": ("fullcycle.project", "Project"),
    # verdicts: str enums, so stored JSON and comparisons with plain strings keep working
    "CanaryAction": ("fullcycle.loop.policy", "CanaryAction"),
    "GateVerdict": ("fullcycle.loop.gate", "GateVerdict"),
}

__all__ = [
    "Alias",
    "AlreadyExists",
    "AuthError",
    "BadRequest",
    "CanaryAction",
    "ConfigError",
    "Conflict",
    "ContractViolation",
    "DatasetVersion",
    "DriftDetected",
    "DriftVerdict",
    "Evaluation",
    "Event",
    "ExecutorError",
    "Forbidden",
    "FullcycleError",
    "GateRefused",
    "GateVerdict",
    "InsufficientData",
    "IntegrityError",
    "InvalidInput",
    "InvalidName",
    "LabelTask",
    "LeaseHeld",
    "MalformedInput",
    "MetricPoint",
    "ModelCheckFailed",
    "ModelTooLarge",
    "ModelVersion",
    "MonitorReport",
    "NotFound",
    "Project",
    "QuotaExceeded",
    "RunInfo",
    "ScopeError",
    "Settings",
    "Status",
    "StoreUnavailable",
    "Trace",
    "TrainingTimeout",
    "Unauthorized",
    "UnsafeArtifact",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'fullcycle' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
