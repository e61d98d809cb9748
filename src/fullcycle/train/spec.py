"""What training needs from the scope, as plain frozen records.

The trainer, the evaluation and the registry read the scope only through :class:`TrainSpec`,
so they are tested with specs built in the test and never depend on the YAML's exact shape.
:meth:`TrainSpec.from_scope` reads a ``fullcycle.scope.Scope`` (or anything shaped like one:
pydantic models or plain dicts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fullcycle import metric_table
from fullcycle.errors import ConfigError
from fullcycle.train.limits import effective_limit

DEFAULT_ESTIMATORS = {
    "classification": "sklearn.ensemble:HistGradientBoostingClassifier",
    "regression": "sklearn.ensemble:HistGradientBoostingRegressor",
}


def _greater_is_better(name: str) -> bool:
    found = metric_table.TABLE.get(name)
    return True if found is None else found.greater_is_better


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _plain(obj: Any) -> Any:
    """A pydantic model, dataclass-ish object or dict -> plain JSON-able data."""
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", exclude_none=True)
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


@dataclass(frozen=True)
class MetricSpec:
    name: str
    goal: float | None = None
    baseline: float | None = None
    baseline_label: str = "baseline"
    greater_is_better: bool = True

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a > b if self.greater_is_better else a < b

    def meets(self, value: float, target: float | None) -> bool:
        if target is None:
            return True
        return value >= target if self.greater_is_better else value <= target


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    kind: str  # numeric | integer | categorical | text | datetime


@dataclass(frozen=True)
class GateSpec:
    """What ``fullcycle promote`` reads of ``gate:`` (the loop's gate reads the scope itself)."""

    tolerance: float = 0.0  # how far a version may fall short of the alias's current holder
    compare_on: str = "metric"  # metric | cost


@dataclass(frozen=True)
class TrainSpec:
    """Everything training and evaluation read from the scope."""

    name: str
    task: str
    target: str
    metric: MetricSpec
    features: tuple[FeatureSpec, ...] = ()
    contract: Any = None  # a fullcycle.contract.Contract when there is one
    estimator: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=lambda: {"strategy": "random", "test_size": 0.2})
    search_space: dict[str, Any] = field(default_factory=dict)
    gate: GateSpec = field(default_factory=GateSpec)
    decisions: dict[str, Any] | None = None
    data: str | None = None
    description: str = ""
    #: the run's time limit (train/limits.py), None for none
    time_limit: Any = None
    #: who uses the predictions (scope ``users``), shown on the model card
    users: tuple[str, ...] = ()

    @property
    def is_classifier(self) -> bool:
        return self.task == "classification"

    @property
    def estimator_path(self) -> str:
        if self.task == "regression" and self.estimator == DEFAULT_ESTIMATORS["classification"]:
            return DEFAULT_ESTIMATORS["regression"]  # the scope's default names the classifier
        return self.estimator or DEFAULT_ESTIMATORS[self.task]

    def signature(self) -> dict[str, Any]:
        if self.contract is not None and hasattr(self.contract, "signature"):
            return dict(self.contract.signature())
        return {
            "inputs": [{"name": f.name, "kind": f.kind} for f in self.features],
            "target": {"name": self.target},
        }

    def kinds(self) -> dict[str, str]:
        return {f.name: f.kind for f in self.features}

    @classmethod
    def from_scope(cls, scope: Any) -> TrainSpec:
        """Read a ``Scope`` (or a dict of the same shape)."""
        task = str(_get(scope, "task", "classification"))
        if task not in DEFAULT_ESTIMATORS:
            raise ConfigError(f"scope task {task!r} is not classification or regression")
        m = _get(scope, "metric")
        name = str(_get(m, "name", metric_table.DEFAULT[task]))
        baseline = _get(m, "baseline")
        label = "baseline"
        if baseline is not None and not isinstance(baseline, int | float):
            label = str(_get(baseline, "label", label))
            baseline = _get(baseline, "value")
        gib = _get(m, "greater_is_better")
        metric = MetricSpec(
            name=name,
            goal=_get(m, "goal"),
            baseline=baseline,
            baseline_label=str(_get(m, "baseline_label", label)),
            greater_is_better=_greater_is_better(name) if gib is None else bool(gib),
        )
        contract = _get(scope, "contract") or _get(scope, "features")
        feats = tuple(
            FeatureSpec(str(_get(f, "name")), str(_get(f, "kind")))
            for f in (_get(contract, "features") or _get(contract, "columns") or [])
        )
        target = _get(scope, "target")
        if not isinstance(target, str):
            target = _get(target, "name") or _get(_get(contract, "target"), "name") or "label"
        training = _get(scope, "training")
        split = _plain(_get(training, "split")) or {"strategy": "random", "test_size": 0.2}
        gate = _get(scope, "gate")
        decisions = _plain(_get(scope, "decisions"))
        return cls(
            name=str(_get(scope, "name", "model")),
            task=task,
            target=str(target),
            metric=metric,
            features=feats,
            contract=contract if hasattr(contract, "validate_frame") else None,
            estimator=_get(training, "estimator"),
            params=_plain(_get(training, "params")) or {},
            split=split,
            search_space=_plain(_get(training, "search_space") or _get(training, "search")) or {},
            gate=GateSpec(
                tolerance=float(_get(gate, "tolerance", 0.0) or 0.0),
                compare_on=str(_get(gate, "compare_on", "metric") or "metric"),
            ),
            decisions=decisions or None,
            data=_get(training, "data") or _get(_get(_get(scope, "retraining"), "data"), "base"),
            description=str(_get(scope, "description", "") or ""),
            time_limit=effective_limit(
                _get(training, "timeout_minutes"),
                _get(_get(scope, "constraints"), "max_train_minutes"),
            ),
            users=tuple(str(u) for u in _get(scope, "users") or ()),
        )
