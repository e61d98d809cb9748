"""Plain, immutable records that cross layers (the store returns them, interfaces show them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    id: int
    ts: float
    actor: str
    kind: str
    subject: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunInfo:
    id: str
    name: str
    status: str
    started_at: float
    ended_at: float | None
    seed: int | None
    git_commit: str | None
    git_dirty: bool | None
    environment: dict[str, Any]
    dataset: str | None
    parent_id: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    latest_metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


@dataclass(frozen=True)
class MetricPoint:
    step: int
    value: float
    ts: float


@dataclass(frozen=True)
class DatasetVersion:
    """An immutable table ``name@version``, identified by the sha256 of its canonical Parquet."""

    id: int
    name: str
    version: int
    sha256: str
    created_at: float
    n_rows: int
    n_cols: int
    schema: list[dict[str, Any]]
    profile: dict[str, Any]
    parents: list[str] = field(default_factory=list)
    origin: dict[str, Any] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class LabelTask:
    """A row queued for a person to label, why it was picked, and the label it got."""

    id: int
    batch: str
    request_id: str | None
    source: str
    row: dict[str, Any]
    prediction: dict[str, Any] | None
    strategy: str
    reason: str
    score: float | None
    status: str
    created_at: float
    label: Any = None
    confidence: float | None = None


@dataclass(frozen=True)
class ModelVersion:
    """A registered model ``name:version``: its artifact, signature, evaluation and lineage."""

    name: str
    version: int
    run_id: str | None
    created_at: float
    artifact_sha256: str
    format: str
    trusted: bool
    status: str
    signature: dict[str, Any] = field(default_factory=dict)
    classes: list[Any] | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    card: str = ""
    reference_sha256: str | None = None
    decision: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class Alias:
    name: str
    alias: str
    version: int
    revision: int
    updated_at: float
