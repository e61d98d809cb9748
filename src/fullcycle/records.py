"""Plain, immutable records that cross layers (the store returns them, interfaces show them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
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


class DriftVerdict(StrEnum):
    """A window's drift verdict, as the monitor report stores it (``verdict``); the sentence
    beside it (``verdict_text``) says why. A ``str``, so stored JSON compares as before."""

    DRIFT = "drift"
    NO_DRIFT = "no_drift"
    INSUFFICIENT_DATA = "insufficient_data"


# -- reports: typed at the top level, their nested parts stay JSON-able dicts -------------------
def _fields_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def _split(cls: Any, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``data`` as (the fields ``cls`` names, the rest): what goes to ``extra``."""
    known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "extra"}
    return known, {k: v for k, v in data.items() if k not in known}


@dataclass(frozen=True)
class Status:
    """The project at a glance (``fullcycle status``): scope, store and counts."""

    name: str
    task: str
    target: str
    metric: str
    goal: float | None
    #: the scope's ``metric.baseline`` section (value and label), or None; ``--json`` prints
    #: it as its text, as it always has
    baseline: Any
    users: tuple[str, ...]
    project_dir: str
    database: str
    artifacts: str
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape ``fullcycle status --json`` prints."""
        return {**_fields_of(self), "users": list(self.users), "counts": dict(self.counts)}


@dataclass(frozen=True)
class Evaluation:
    """Everything a run's evaluation found on the held-out split (``train/evaluation.py``
    builds it; the store keeps ``to_dict()`` as JSON). ``metric`` is the headline (name, value,
    ci, goal, meets_goal, greater_is_better); the other parts are described where they are built.
    An old run that stored only its scalars reads back with the parts it has."""

    schema: int | None = None
    task: str | None = None
    target: str | None = None
    classes: list[Any] | None = None
    rows: dict[str, int] = field(default_factory=dict)
    metric: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, Any] = field(default_factory=dict)
    slices: Any = None
    learning_curve: dict[str, Any] | None = None
    diagnosis: dict[str, Any] | None = None
    errors: Any = None
    decisions: dict[str, Any] | None = None
    #: the dataset version and split it was evaluated on (set by training, not by evaluate())
    data: dict[str, Any] | None = None
    #: keys a newer or older writer stored that this record does not name (kept, not dropped)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        known, extra = _split(cls, data)
        for key in ("rows", "metric", "metrics", "baselines"):
            if known.get(key) is None:
                known.pop(key, None)
        return cls(**known, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON shape (what ``fullcycle evaluate --json`` prints)."""
        out = _fields_of(self)
        del out["extra"]
        if self.data is None:
            del out["data"]
        return {**out, **self.extra}

    @property
    def value(self) -> float | None:
        """The scope metric on the held-out rows."""
        return self.metric.get("value")


@dataclass(frozen=True)
class MonitorReport:
    """A window of production against the reference (``fullcycle monitor``): drift, live
    performance, cost, service health and the alerts they raised; ``to_dict()`` is the JSON the
    store keeps and ``--json`` prints."""

    created_at: float
    model: str
    version: int | None
    window: str
    rows: int
    min_rows: int
    verdict: DriftVerdict
    verdict_text: str
    drifted_features: list[str]
    drift_score: float
    drift: dict[str, Any] | None
    performance: dict[str, Any]
    health: dict[str, Any]
    cost: dict[str, Any] | None
    contract: dict[str, Any] | None
    alerts: list[dict[str, Any]] = field(default_factory=list)
    top_rows: list[str] | None = None
    window_since: float | None = None
    window_until: float | None = None
    latency: dict[str, Any] | None = None
    id: int | None = None
    html_sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonitorReport:
        known, extra = _split(cls, data)
        return cls(**{**known, "verdict": DriftVerdict(known["verdict"])}, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able data, in the shape stored reports have: ``top_rows`` only
        when drift was measured, ``id`` and ``html_sha256`` only once the report was saved."""
        out = _fields_of(self)
        del out["extra"]
        if self.top_rows is None:
            del out["top_rows"]
        if self.id is None:
            del out["id"], out["html_sha256"]
        return {**out, **self.extra}

    @property
    def drifted(self) -> bool:
        return self.verdict is DriftVerdict.DRIFT


@dataclass(frozen=True)
class Trace:
    """One logged prediction traced back to the model, run, data, gate and events behind it
    (``fullcycle trace``); a link that could not be followed is named in ``missing``. The parts
    are JSON-able dicts (see ``fullcycle/trace.py``)."""

    request_id: str
    prediction: dict[str, Any]
    other_answers: list[dict[str, Any]]
    routing: dict[str, Any]
    feedback: dict[str, Any] | None
    model: dict[str, Any] | None
    run: dict[str, Any] | None
    data: dict[str, Any] | None
    evaluation: dict[str, Any] | None
    gate: dict[str, Any] | None
    promotion: list[dict[str, Any]]
    rollouts: list[dict[str, Any]]
    events: list[dict[str, Any]]
    missing: list[dict[str, str]]
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``fullcycle trace --json`` and ``GET /trace/{id}`` give."""
        return _fields_of(self)
