"""Scope sections for the metric, constraints, training, monitoring and retraining."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from fullcycle.names import split_ref
from fullcycle.scope._common import Duration, Section, fail

CLASSIFICATION_METRICS = ("f1_macro", "f1_weighted", "accuracy", "roc_auc", "log_loss",
                          "precision_macro", "recall_macro")
REGRESSION_METRICS = ("mae", "rmse", "r2")
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse"})
BOUNDED = frozenset(CLASSIFICATION_METRICS) - {"log_loss"}
MetricName = Literal["f1_macro", "f1_weighted", "accuracy", "roc_auc", "log_loss",
                     "precision_macro", "recall_macro", "mae", "rmse", "r2"]
_ESTIMATOR = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*|[\w\-/]+\.py:[A-Za-z_]\w*")


class Baseline(Section):
    value: float
    label: str = "human-level"


class Metric(Section):
    """The number the project is judged by, its goal and a baseline to beat."""

    name: MetricName
    goal: float
    baseline: Baseline | None = None

    @field_validator("baseline", mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        return {"value": value} if isinstance(value, int | float) else value

    @property
    def greater_is_better(self) -> bool:
        return self.name not in LOWER_IS_BETTER

    @property
    def direction(self) -> str:
        return "maximize" if self.greater_is_better else "minimize"

    @field_validator("goal")
    @classmethod
    def _goal(cls, value: float, info: ValidationInfo) -> float:
        return _in_range(info.data.get("name"), value)

    @field_validator("baseline")
    @classmethod
    def _baseline(cls, value: Baseline | None, info: ValidationInfo) -> Baseline | None:
        if value is not None:
            try:
                _in_range(info.data.get("name"), value.value)
            except ValueError as exc:
                raise ValueError(f"[value] {exc}") from None
        return value


def _in_range(name: str | None, value: float) -> float:
    if name in BOUNDED and not 0 <= value <= 1:
        raise ValueError(f"must be between 0 and 1 for {name}")
    if name in LOWER_IS_BETTER and value < 0:
        raise ValueError(f"must be 0 or more for {name}")
    if name == "r2" and value > 1:
        raise ValueError("must be at most 1 for r2")
    return value


class Constraints(Section):
    p95_latency_ms: float | None = Field(default=None, gt=0)
    max_model_mb: float | None = Field(default=None, gt=0)
    max_train_minutes: float | None = Field(default=None, gt=0)


class Split(Section):
    strategy: Literal["random", "stratified", "time", "group"] = "random"
    test_size: float = Field(default=0.2, gt=0, lt=1)
    seed: int = 42
    time_column: str | None = None
    group_column: str | None = None

    @model_validator(mode="after")
    def _columns(self) -> Split:
        problems = []
        if self.strategy == "time" and not self.time_column:
            problems.append("[time_column] is required for strategy: time")
        if self.strategy == "group" and not self.group_column:
            problems.append("[group_column] is required for strategy: group")
        fail(problems)
        return self


class SearchParam(Section):
    type: Literal["int", "float", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _space(self) -> SearchParam:
        problems = []
        if self.type == "categorical":
            if not self.choices:
                problems.append("[choices] must list at least one value for a categorical")
            if self.low is not None or self.high is not None or self.log:
                problems.append("[type] categorical takes choices, not low/high/log")
        elif self.low is None or self.high is None:
            problems.append(f"[low] {self.type} needs both low and high")
        elif self.low >= self.high:
            problems.append(f"[low] {self.low} must be less than high {self.high}")
        elif self.log and self.low <= 0:
            problems.append("[low] must be greater than 0 when log: true")
        if self.type != "categorical" and self.choices is not None:
            problems.append(f"[choices] only categorical takes choices, not {self.type}")
        fail(problems)
        return self


class Training(Section):
    estimator: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    split: Split = Field(default_factory=Split)
    search_space: dict[str, SearchParam] = Field(default_factory=dict)
    search_trials: int = Field(default=20, ge=1, le=100_000)

    @field_validator("estimator")
    @classmethod
    def _import_path(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not _ESTIMATOR.fullmatch(value) or ".." in value or value.startswith("/"):
            raise ValueError(
                "must be module:Class (sklearn.ensemble:RandomForestClassifier) or "
                "file.py:function, relative to the project, without '..'"
            )
        return value


class Thresholds(Section):
    psi: float = Field(default=0.2, ge=0)
    ks: float = Field(default=0.1, ge=0, le=1)
    js: float = Field(default=0.1, ge=0, le=1)
    oov_rate: float = Field(default=0.05, ge=0, le=1)
    null_rate: float = Field(default=0.05, ge=0, le=1)
    drift_share: float = Field(default=0.3, gt=0, le=1)
    metric_drop: float = Field(default=0.05, ge=0)
    error_rate: float = Field(default=0.01, ge=0, le=1)
    cost_increase: float = Field(default=0.2, ge=0)


class Alert(Section):
    webhook: str | None = None
    allowed_hosts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _url(self) -> Alert:
        if self.webhook is None:
            return self
        parts = urlsplit(self.webhook)
        problems = []
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append("[webhook] must be an http(s) URL with a host")
        elif parts.username or parts.password:
            problems.append("[webhook] must not carry a user or password; use a token header")
        elif parts.hostname not in self.allowed_hosts:
            problems.append(f"[allowed_hosts] must list {parts.hostname!r}, the webhook's host")
        fail(problems)
        return self


class Monitoring(Section):
    window: Duration = 86400.0
    min_rows: int = Field(default=200, ge=1)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    alert: Alert = Field(default_factory=Alert)


class Triggers(Section):
    drift: bool = True
    performance: bool = True
    cost: bool = False
    schedule: Duration | None = None
    new_labels: int | None = Field(default=None, ge=1)


class Guards(Section):
    min_interval: Duration = 3600.0
    max_per_day: int = Field(default=4, ge=1, le=1440)
    lease_seconds: int = Field(default=3600, ge=10)



class RetrainData(Section):
    base: str | None = None
    window: Duration | None = None
    dedupe: bool = True
    recent_weight: float = Field(default=1.0, gt=0, le=1000)

    @field_validator("base")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        if value is not None:
            split_ref(value, "@", "base")
        return value


class Retraining(Section):
    triggers: Triggers = Field(default_factory=Triggers)
    guards: Guards = Field(default_factory=Guards)
    data: RetrainData = Field(default_factory=RetrainData)
