"""The Scope: the whole of ``fullcycle.yaml`` as one validated, frozen object."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from fullcycle import metric_table
from fullcycle.contract import Contract, Target, check_column_name
from fullcycle.names import check_name
from fullcycle.scope._base import Problems, Section
from fullcycle.scope._decisions import Decisions
from fullcycle.scope._policies import (
    Constraints,
    Gate,
    Monitoring,
    Retraining,
    Rollback,
    Rollout,
    Training,
)

SCHEMA_VERSION = 1
Task = Literal["classification", "regression"]
MetricName = Literal[
    "f1_macro",
    "accuracy",
    "f1_weighted",
    "precision_macro",
    "precision_weighted",
    "recall_macro",
    "recall_weighted",
    "roc_auc",
    "log_loss",
    "brier",
    "r2",
    "rmse",
    "mae",
    "mape",
]  # the metric table's names (a test keeps them equal): pydantic needs them as a Literal
# name -> (task, greater is better, lower bound, upper bound), from the one metric table
METRICS: dict[str, tuple[str, bool, float | None, float | None]] = {
    m.name: (m.task, m.greater_is_better, m.low, m.high) for m in metric_table.TABLE.values()
}


class Baseline(Section):
    """A reference level for the metric, e.g. human-level performance."""

    value: float
    label: str = "baseline"


class Metric(Section):
    """The metric the project is judged by, its goal and a baseline to compare with."""

    name: MetricName
    goal: float | None = None
    baseline: Baseline | None = None

    @property
    def task(self) -> str:
        return METRICS[self.name][0]

    @property
    def greater_is_better(self) -> bool:
        return METRICS[self.name][1]

    @property
    def direction(self) -> str:
        return "maximize" if self.greater_is_better else "minimize"

    def is_better(self, value: float, reference: float, margin: float = 0.0) -> bool:
        """True when ``value`` beats ``reference`` by more than ``margin`` in this direction."""
        gain = value - reference if self.greater_is_better else reference - value
        return gain > margin

    def meets_goal(self, value: float) -> bool | None:
        """Whether ``value`` reaches the goal (None when no goal is set)."""
        if self.goal is None:
            return None
        return value >= self.goal if self.greater_is_better else value <= self.goal

    @model_validator(mode="after")
    def _in_range(self) -> Metric:
        p = Problems()
        _, _, lo, hi = METRICS[self.name]
        values = [("goal", self.goal)]
        if self.baseline is not None:
            values.append(("baseline.value", self.baseline.value))
        for key, value in values:
            if value is None:
                continue
            if lo is not None and hi is not None and not lo <= value <= hi:
                p.add(key, f"must be between {lo:g} and {hi:g} for {self.name}")
            elif lo is not None and value < lo:
                p.add(key, f"must be at least {lo:g} for {self.name}")
            elif hi is not None and value > hi:
                p.add(key, f"must be at most {hi:g} for {self.name}")
        p.raise_any()
        return self


class Scope(Section):
    """``fullcycle.yaml``: what the project predicts, for whom, how well, and its policies."""

    schema_version: Literal[1]
    name: str
    description: str = ""
    users: list[str] = Field(default_factory=list)
    task: Task
    target: str
    metric: Metric
    constraints: Constraints = Field(default_factory=Constraints)
    features: Contract = Field(default_factory=Contract)
    training: Training = Field(default_factory=Training)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    retraining: Retraining = Field(default_factory=Retraining)
    gate: Gate = Field(default_factory=Gate)
    rollout: Rollout = Field(default_factory=Rollout)
    rollback: Rollback = Field(default_factory=Rollback)
    decisions: Decisions | None = None

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_name(value, "name")

    @field_validator("target")
    @classmethod
    def _column(cls, value: str) -> str:
        return check_column_name(value)

    @property
    def contract(self) -> Contract:
        """The feature contract, with the target filled in from ``target`` and ``task``."""
        if self.features.target is not None:
            return self.features
        if self.task == "classification":
            return self.features.with_target(Target(name=self.target, kind="categorical"))
        return self.features.with_target(Target(name=self.target, kind="numeric"))

    @property
    def canary_max_p95_ms(self) -> float | None:
        """The canary's latency limit: rollout.max_p95_ms, else constraints.p95_latency_ms."""
        return self.rollout.max_p95_ms or self.constraints.p95_latency_ms

    @property
    def classes(self) -> list[str] | None:
        target = self.features.target
        if target is None or target.classes is None:
            return None
        return [str(c) for c in target.classes]

    @model_validator(mode="after")
    def _sections_agree(self) -> Scope:
        p = Problems()
        classes = self.classes
        for problem in metric_table.problems(
            self.metric.name, self.task, n_classes=len(classes) if classes else None
        ):
            p.add("metric.name", problem)
        self._check_target(p)
        self._check_policies(p)
        if self.decisions is not None:
            for path, message in self.decisions.problems_for(self.task, self.classes):
                p.add(f"decisions.{path}", message)
        p.raise_any()
        return self

    def _check_target(self, p: Problems) -> None:
        if self.target in self.features.names:
            p.add("target", f"{self.target!r} is also listed as a feature; remove it there")
        target = self.features.target
        if target is None:
            return
        if target.name != self.target:
            p.add(
                "features.target.name",
                f"{target.name!r} differs from target {self.target!r}; make them the same",
            )
        wanted = "categorical" if self.task == "classification" else "numeric"
        if target.kind != wanted:
            p.add("features.target.kind", f"must be {wanted} for a {self.task} task")

    def _check_policies(self, p: Problems) -> None:
        if self.task == "regression":
            if self.training.split.strategy == "stratified":
                p.add(
                    "training.split.strategy",
                    "stratified needs classes; use random, time or group for regression",
                )
            if self.gate.test == "mcnemar":
                p.add("gate.test", "mcnemar compares classifiers; use sequential")
        if self.gate.compare_on == "cost":
            d = self.decisions
            if d is None or (d.costs is None and d.loss is None):
                p.add("gate.compare_on", "cost needs decisions.costs (or decisions.loss)")
        if self.rollback.max_error_rate < self.rollout.max_error_rate:
            p.add(
                "rollback.max_error_rate",
                f"{self.rollback.max_error_rate:g} is below "
                f"rollout.max_error_rate {self.rollout.max_error_rate:g}: a canary that "
                "passes would be rolled back at once",
            )
        lo, hi = self.rollout.max_p95_ms, self.rollback.max_p95_ms
        if lo is not None and hi is not None and hi < lo:
            p.add("rollback.max_p95_ms", f"{hi:g} is below rollout.max_p95_ms {lo:g}")
