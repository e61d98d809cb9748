"""The whole of ``fullcycle.yaml``, and the rules that tie its sections together."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from fullcycle.contract import Contract, Target
from fullcycle.contract._model import check_column_name
from fullcycle.names import check_name
from fullcycle.scope._common import Section, fail
from fullcycle.scope._policies import Decisions, Gate, Rollout
from fullcycle.scope._sections import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    Constraints,
    Metric,
    Monitoring,
    Retraining,
    Training,
)

SCHEMA_VERSION = 1


class Scope(Section):
    """What the project is for, how it is judged, and the policies of every stage."""

    schema_version: int
    name: str
    description: str = ""
    users: list[str] = Field(default_factory=list)
    task: Literal["classification", "regression"]
    target: str
    metric: Metric
    constraints: Constraints = Field(default_factory=Constraints)
    features: Contract = Field(default_factory=Contract)
    training: Training = Field(default_factory=Training)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    retraining: Retraining = Field(default_factory=Retraining)
    gate: Gate = Field(default_factory=Gate)
    rollout: Rollout = Field(default_factory=Rollout)
    decisions: Decisions | None = None

    @field_validator("schema_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"this fullcycle reads schema_version {SCHEMA_VERSION}, not {value}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "name")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return check_column_name(value)

    @field_validator("users", mode="before")
    @classmethod
    def _one_user(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @property
    def contract(self) -> Contract:
        """The feature contract with the target filled in from ``task`` and ``target``."""
        if self.features.target is not None:
            return self.features
        kind = "categorical" if self.task == "classification" else "numeric"
        return self.features.with_target(Target(name=self.target, kind=kind))

    @property
    def classes(self) -> list[Any] | None:
        target = self.features.target
        return None if target is None or target.classes is None else list(target.classes)

    @model_validator(mode="after")
    def _together(self) -> Scope:
        fail(_metric_problems(self) + _feature_problems(self) + _policy_problems(self)
             + _decision_problems(self))
        return self


def _metric_problems(s: Scope) -> list[str]:
    allowed = CLASSIFICATION_METRICS if s.task == "classification" else REGRESSION_METRICS
    if s.metric.name in allowed:
        return []
    return [f"[metric.name] {s.metric.name} does not fit task {s.task}; "
            f"use one of {', '.join(allowed)}"]


def _feature_problems(s: Scope) -> list[str]:
    problems = []
    target = s.features.target
    if target is not None and target.name != s.target:
        problems.append(f"[features.target.name] {target.name!r} differs from target {s.target!r}")
    want = "categorical" if s.task == "classification" else "numeric"
    if target is not None and target.kind != want:
        problems.append(f"[features.target.kind] must be {want} for task {s.task}")
    if s.target in s.features.names:
        index = s.features.names.index(s.target)
        problems.append(f"[features.columns[{index}].name] {s.target!r} is the target; "
                        "remove it from the feature columns")
    return problems


def _policy_problems(s: Scope) -> list[str]:
    problems = []
    if s.task == "regression" and s.training.split.strategy == "stratified":
        problems.append("[training.split.strategy] stratified needs classes; "
                        "use random, time or group for regression")
    if s.task == "regression" and s.gate.test == "mcnemar":
        problems.append("[gate.test] mcnemar compares classifications; use paired_bootstrap")
    if s.gate.compare_on == "cost" and s.decisions is None:
        problems.append("[gate.compare_on] cost needs a decisions section with costs or a loss")
    minutes = s.constraints.max_train_minutes
    if minutes is not None and s.retraining.guards.lease_seconds < minutes * 60:
        problems.append(f"[retraining.guards.lease_seconds] {s.retraining.guards.lease_seconds} "
                        f"is shorter than max_train_minutes ({minutes:g} min): the lease "
                        "would expire while training")
    return problems


def _decision_problems(s: Scope) -> list[str]:
    d = s.decisions
    if d is None:
        return []
    problems = []
    if s.task == "regression":
        for key in ("costs", "threshold", "abstain"):
            if getattr(d, key) is not None:
                problems.append(f"[decisions.{key}] is for classification; "
                                "a regression task takes decisions.loss")
        return problems
    if d.loss is not None:
        problems.append("[decisions.loss] is for regression; use decisions.costs")
    classes = s.classes
    known = None if classes is None else {str(c) for c in classes}
    if known is not None and d.costs is not None:
        for i, pair in enumerate(d.costs.pairs):
            for key in ("actual", "predicted"):
                if str(getattr(pair, key)) not in known:
                    problems.append(f"[decisions.costs.pairs[{i}].{key}] {getattr(pair, key)!r} "
                                    f"is not a class; classes are {', '.join(sorted(known))}")
    t = d.threshold
    if t is not None and t.positive_class is not None and known is not None:
        if str(t.positive_class) not in known:
            problems.append(f"[decisions.threshold.positive_class] {t.positive_class!r} "
                            f"is not a class; classes are {', '.join(sorted(known))}")
    if t is not None and t.policy == "min_cost" and d.costs is None:
        problems.append("[decisions.threshold.policy] min_cost needs decisions.costs")
    return problems
