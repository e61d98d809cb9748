"""Scope sections that hold policies: constraints, training, monitoring, retraining, gate,
rollout and rollback. Each validates its own fields; rules across sections live in Scope."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from fullcycle.names import parse_ref
from fullcycle.scope._base import (
    Duration,
    OpenShare,
    PositiveFloat,
    Problems,
    Section,
    Share,
)

_MODULE_RE = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_]\w*")
_FILE_RE = re.compile(r"[\w.-]+(/[\w.-]+)*\.py:[A-Za-z_]\w*")


class Constraints(Section):
    """Limits the model must live within; each is optional."""

    p95_latency_ms: PositiveFloat | None = None
    max_model_mb: PositiveFloat | None = None
    max_train_minutes: PositiveFloat | None = None


class Split(Section):
    """How the data is split into train and test; the same seed and data give the same rows."""

    strategy: Literal["random", "stratified", "time", "group"] = "random"
    test_size: float = Field(default=0.2, gt=0, lt=1)
    seed: int = Field(default=0, ge=0)
    time_column: str | None = None
    group_column: str | None = None

    @model_validator(mode="after")
    def _columns_fit(self) -> Split:
        p = Problems()
        for strategy, key in (("time", "time_column"), ("group", "group_column")):
            if self.strategy == strategy and getattr(self, key) is None:
                p.add(key, f"strategy {strategy} needs {key}: name the column")
            if self.strategy != strategy and getattr(self, key) is not None:
                p.add(key, f"is only used by strategy {strategy}; remove it or change strategy")
        p.raise_any()
        return self


class SearchParam(Section):
    """One dimension of the Optuna search space."""

    type: Literal["int", "float", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _fits_type(self) -> SearchParam:
        p = Problems()
        if self.type == "categorical":
            if not self.choices:
                p.add("choices", "a categorical parameter needs a non-empty list of choices")
            for key in ("low", "high"):
                if getattr(self, key) is not None:
                    p.add(key, "does not apply to a categorical parameter; use choices")
            if self.log:
                p.add("log", "does not apply to a categorical parameter")
            p.raise_any()
            return self
        if self.choices is not None:
            p.add("choices", f"does not apply to an {self.type} parameter; use low and high")
        if self.low is None or self.high is None:
            p.add("low" if self.low is None else "high", f"an {self.type} parameter needs both")
        elif self.low >= self.high:
            p.add("low", f"low {self.low} must be less than high {self.high}")
        elif self.log and self.low <= 0:
            p.add("low", "a log-scaled range must start above 0")
        if self.type == "int":
            for key in ("low", "high"):
                value = getattr(self, key)
                if value is not None and not float(value).is_integer():
                    p.add(key, f"must be a whole number for an int parameter, got {value}")
        p.raise_any()
        return self


class Training(Section):
    """The estimator to train, its parameters, the split and the search space."""

    estimator: str = "sklearn.ensemble:HistGradientBoostingClassifier"
    params: dict[str, Any] = Field(default_factory=dict)
    split: Split = Field(default_factory=Split)
    search: dict[str, SearchParam] = Field(default_factory=dict)
    trials: int = Field(default=20, ge=1)
    timeout_minutes: PositiveFloat | None = None

    @field_validator("estimator")
    @classmethod
    def _import_path(cls, value: str) -> str:
        if _MODULE_RE.fullmatch(value):
            return value
        if _FILE_RE.fullmatch(value) and ".." not in value.split(":")[0].split("/"):
            return value
        raise ValueError(
            f"{value!r} is not an import path: write module:Class "
            "(sklearn.linear_model:LogisticRegression) or file.py:function, relative to the project"
        )


#: Old threshold names -> the drift statistics' names (one vocabulary: scope, reports, CLI).
RENAMED_THRESHOLDS = {
    "js": ("jensenshannon",),
    "oov_rate": ("unseen_share", "oov_increase"),
    "null_rate": ("missing_change",),
}


class Thresholds(Section):
    """When a monitored statistic counts as drift or decay: each drift floor is named after
    its statistic, as in the reports (a feature drifts when its corrected test is significant
    and some statistic is above its floor)."""

    psi: PositiveFloat = 0.2
    ks: OpenShare = 0.1
    wasserstein: PositiveFloat = 0.1
    jensenshannon: OpenShare = 0.1
    unseen_share: OpenShare = 0.05
    oov_increase: OpenShare = 0.05
    missing_change: OpenShare = 0.05
    prediction_psi: PositiveFloat = 0.2
    metric_drop: float = Field(default=0.05, ge=0)
    error_rate: OpenShare = 0.01
    p95_latency_ms: PositiveFloat | None = None

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        """Old names still load, with a warning that names the new key."""
        if not isinstance(data, dict) or not set(data) & set(RENAMED_THRESHOLDS):
            return data
        import warnings

        data = dict(data)
        renamed = []
        for old, new in RENAMED_THRESHOLDS.items():
            if old not in data:
                continue
            clash = [n for n in new if n in data]
            if clash:
                raise ValueError(f"[{old}] is the old name of {clash[0]}; keep only {clash[0]}")
            value = data.pop(old)
            data.update({n: value for n in new})
            renamed.append(f"thresholds.{old} is deprecated: call it {' and '.join(new)}")
        warnings.warn(
            "monitoring." + "; ".join(renamed) + " (the names of the statistics in drift reports)",
            FutureWarning,
            stacklevel=2,
        )
        return data


class Alert(Section):
    """Where alerts go. Outbound calls are allowed only to the listed hosts."""

    webhook: str | None = None
    allowed_hosts: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _webhook_allowed(self) -> Alert:
        p = Problems()
        if self.webhook is not None:
            parts = urlsplit(self.webhook)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                p.add("webhook", "must be an http:// or https:// URL with a host")
            elif parts.hostname not in self.allowed_hosts:
                p.add("webhook", f"host {parts.hostname!r} is not in allowed_hosts; add it there")
        p.raise_any()
        return self


class Monitoring(Section):
    """How production is watched: the window, the minimum rows, the thresholds, the alerts."""

    window: Duration = 86400.0
    interval: Duration = 900.0
    min_rows: int = Field(default=200, ge=1)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    alert: Alert = Field(default_factory=Alert)


Trigger = Literal["drift", "performance", "schedule", "new_labels", "cost"]
_DEFAULT_TRIGGERS: tuple[Trigger, ...] = ("drift", "performance")


class Guards(Section):
    """Limits that keep the loop from retraining too often or twice at once."""

    min_interval: Duration = 6 * 3600.0
    max_per_day: int = Field(default=2, ge=1)
    lease_seconds: int = Field(default=3600, ge=10)
    #: rows the loop may queue for labelling in any 24 hours, whatever asks for them (retrains,
    #: pending gates, audits); None: no limit
    max_labels_per_day: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Guards:
        p = Problems()
        if (self.max_per_day - 1) * self.min_interval >= 86400:
            p.add(
                "max_per_day",
                f"{self.max_per_day} retrains a day cannot happen with min_interval "
                f"{self.min_interval:g}s; lower one of them",
            )
        p.raise_any()
        return self


class RetrainData(Section):
    """What a retrain learns from: a base dataset plus a recent window of labelled rows."""

    base: str | None = None
    window: Duration = 30 * 86400.0
    dedupe: bool = True
    recent_weight: PositiveFloat = 1.0

    @field_validator("base")
    @classmethod
    def _dataset_ref(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ref(value, "dataset", "retraining.data.base")
        return value


class Retraining(Section):
    """When the loop retrains, with what data, and within which guards."""

    triggers: list[Trigger] = Field(default_factory=lambda: list(_DEFAULT_TRIGGERS))
    schedule: Duration | None = None
    min_new_labels: int = Field(default=500, ge=1)
    guards: Guards = Field(default_factory=Guards)
    data: RetrainData = Field(default_factory=RetrainData)
    #: a class the labels name that the target never had: ``ask`` raises an alert and leaves
    #: its rows out until you add it to the target's classes; ``learn`` lets the loop add it
    #: once enough labelled rows name it (an event and a rewritten ``features:`` section)
    new_classes: Literal["ask", "learn"] = "ask"

    @model_validator(mode="after")
    def _triggers_fit(self) -> Retraining:
        p = Problems()
        if len(set(self.triggers)) != len(self.triggers):
            p.add("triggers", "lists a trigger twice")
        if "schedule" in self.triggers and self.schedule is None:
            p.add("schedule", "the schedule trigger needs schedule: e.g. 7d")
        p.raise_any()
        return self


class Gate(Section):
    """What a challenger must prove before it is promoted.

    Both distances are in the metric's units (cost per 1,000 decisions with ``compare_on:
    cost``), one per gate (docs/glossary.md): ``margin`` is the gain the loop's gate asks of a
    challenger over the champion; ``tolerance`` is how far ``fullcycle promote`` lets a version
    fall short of the alias's current holder. (Before ``tolerance`` existed, ``fullcycle
    promote`` read ``margin`` as its tolerance, as a fraction of the holder's cost with cost.)

    ``min_samples``: the held-out rows a fixed-sample test (``paired_bootstrap``, ``mcnemar``,
    the cost gate) needs; the ``sequential`` test, valid however often it looks, decides from
    50 rows when the evidence is strong and is tuned to be tightest at ``min_samples``."""

    margin: float = Field(default=0.0, ge=0)
    tolerance: float = Field(default=0.0, ge=0)
    test: Literal["sequential", "paired_bootstrap", "mcnemar"] = "sequential"
    alpha: float = Field(default=0.05, gt=0, le=0.5)
    compare_on: Literal["metric", "cost"] = "metric"
    min_samples: int = Field(default=200, ge=1)


class Rollout(Section):
    """How a promoted challenger reaches traffic: shadow, then canary steps, with analysis."""

    #: always (true) | never (false) | when_healthy: skip the shadow when the gate's own rows show
    #: the champion misses the goal (a shadow then only keeps users on the failing model)
    shadow: Literal["always", "when_healthy", "never"] = "when_healthy"
    canary_share: OpenShare = 0.1
    steps: list[OpenShare] = Field(default_factory=lambda: [0.1, 0.5, 1.0])
    min_requests: int = Field(default=500, ge=1)
    max_error_rate: Share = 0.01
    max_p95_ms: PositiveFloat | None = None
    max_disagreement: Share = 0.2
    analysis_interval: Duration = 300.0

    @field_validator("shadow", mode="before")
    @classmethod
    def _shadow_bool(cls, value: Any) -> Any:
        """``true`` / ``false`` (the earlier boolean) mean ``always`` / ``never``."""
        if isinstance(value, bool):
            return "always" if value else "never"
        return value

    @model_validator(mode="after")
    def _steps_rise(self) -> Rollout:
        p = Problems()
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            p.add("steps", f"must rise strictly, got {self.steps}")
        if self.steps and self.steps[0] < self.canary_share:
            p.add(
                "steps", f"the first step {self.steps[0]} is below canary_share {self.canary_share}"
            )
        p.raise_any()
        return self


class Rollback(Section):
    """When a promoted version is rolled back after it took all traffic."""

    automatic: bool = True
    watch: Duration = 86400.0
    max_error_rate: Share = 0.02
    max_metric_drop: float = Field(default=0.05, ge=0)
    max_p95_ms: PositiveFloat | None = None
