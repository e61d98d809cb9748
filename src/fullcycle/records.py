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
