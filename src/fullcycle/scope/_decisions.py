"""The decisions section: what each kind of error costs, and how scores become
decisions (a threshold policy and an optional abstain band)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from fullcycle.scope._base import Cost, OpenShare, PositiveFloat, Problems, Section, Share


def _class_key(value: Any, where: str) -> str:
    if isinstance(value, bool):
        raise ValueError(f"{where} {value!r} was read as a boolean; quote the class name")
    if not isinstance(value, str | int | float):
        raise ValueError(f"{where} must be a class name, got {type(value).__name__}")
    return str(value)


class Costs(Section):
    """Cost of each (true class, predicted class) pair; pairs not listed cost ``default``."""

    default: Cost = 1.0
    correct: Cost = 0.0
    matrix: dict[str, dict[str, Cost]] = Field(default_factory=dict)

    @field_validator("matrix", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for true, row in value.items():
            key = _class_key(true, "true class")
            if isinstance(row, dict):
                row = {_class_key(k, "predicted class"): v for k, v in row.items()}
            out[key] = row
        return out

    def classes(self) -> set[str]:
        return set(self.matrix) | {p for row in self.matrix.values() for p in row}

    def cost(self, true: Any, predicted: Any) -> float:
        t, p = str(true), str(predicted)
        if t == p:
            return self.matrix.get(t, {}).get(p, self.correct)
        return self.matrix.get(t, {}).get(p, self.default)

    def as_matrix(self, classes: list[Any]) -> list[list[float]]:
        """Dense costs in ``classes`` order: ``[true][predicted]`` (for evaluation)."""
        return [[self.cost(t, p) for p in classes] for t in classes]


class Loss(Section):
    """A regression loss: absolute, squared, or asymmetric (under- and over-prediction)."""

    kind: Literal["absolute", "squared", "asymmetric"] = "absolute"
    under: Cost = 1.0
    over: Cost = 1.0

    def cost(self, true: Any, predicted: Any) -> Any:
        """Loss per prediction; works on numbers and on numpy arrays alike."""
        diff = predicted - true
        if self.kind == "absolute":
            return abs(diff)
        if self.kind == "squared":
            return diff * diff
        over = (abs(diff) + diff) / 2  # max(diff, 0) without importing numpy
        return self.over * over + self.under * (over - diff)

    @model_validator(mode="after")
    def _asymmetric_only(self) -> Loss:
        p = Problems()
        if self.kind != "asymmetric" and (self.under != 1.0 or self.over != 1.0):
            p.add("kind", "under and over apply only to kind: asymmetric")
        p.raise_any()
        return self


class ThresholdConstraint(Section):
    """The threshold must meet each limit given (precision >= X, recall >= Y, flagged <= K)."""

    min_precision: Share | None = None
    min_recall: Share | None = None
    max_flag_rate: OpenShare | None = None

    @model_validator(mode="after")
    def _one_given(self) -> ThresholdConstraint:
        if self.min_precision is None and self.min_recall is None and self.max_flag_rate is None:
            raise ValueError("give at least one of min_precision, min_recall, max_flag_rate")
        return self


class Threshold(Section):
    """How a binary score becomes a decision."""

    policy: Literal["fixed", "min_cost", "constraint"] = "fixed"
    value: Share | None = None
    positive_class: str | int | None = None
    constraint: ThresholdConstraint | None = None

    @model_validator(mode="after")
    def _policy_fits(self) -> Threshold:
        p = Problems()
        if self.policy == "fixed" and self.value is None:
            p.add("value", "the fixed policy needs value: a threshold between 0 and 1")
        if self.policy != "fixed" and self.value is not None:
            p.add("value", f"is only used by the fixed policy, not {self.policy}")
        if self.policy == "constraint" and self.constraint is None:
            p.add("constraint", "the constraint policy needs constraint: e.g. min_precision: 0.9")
        if self.policy != "constraint" and self.constraint is not None:
            p.add("constraint", f"is only used by the constraint policy, not {self.policy}")
        p.raise_any()
        return self


class Abstain(Section):
    """Route a request to a person when the model's confidence is below a level."""

    below_confidence: float = Field(gt=0, lt=1)
    cost: Cost = 0.0


class Decisions(Section):
    """Costs (classification) or loss (regression), threshold policy, abstain, cost limit."""

    costs: Costs | None = None
    loss: Loss | None = None
    threshold: Threshold | None = None
    abstain: Abstain | None = None
    max_cost_per_1000: PositiveFloat | None = None

    @model_validator(mode="after")
    def _parts_fit(self) -> Decisions:
        p = Problems()
        if self.costs is not None and self.loss is not None:
            p.add("loss", "give costs for classification or loss for regression, not both")
        if self.threshold is not None and self.threshold.policy == "min_cost" and not self.costs:
            p.add("threshold.policy", "min_cost needs the costs: section")
        p.raise_any()
        return self

    def problems_for(self, task: str, classes: list[str] | None) -> list[tuple[str, str]]:
        """Rules that need the scope's task and target classes: (path, message) pairs."""
        out: list[tuple[str, str]] = []
        if task == "regression":
            for key in ("costs", "threshold", "abstain"):
                if getattr(self, key) is not None:
                    out.append((key, f"a {key} policy applies to classification, not regression"))
            return out
        if self.loss is not None:
            out.append(("loss", "a loss applies to regression; use costs: for classification"))
        if classes is None:
            return out
        known = set(classes)
        if self.costs is not None:
            for true, row in self.costs.matrix.items():
                if true not in known:
                    out.append(
                        (
                            f"costs.matrix.{true}",
                            f"unknown class {true!r}; classes are {', '.join(classes)}",
                        )
                    )
                for pred in row:
                    if pred not in known:
                        out.append(
                            (
                                f"costs.matrix.{true}.{pred}",
                                f"unknown class {pred!r}; classes are {', '.join(classes)}",
                            )
                        )
        threshold = self.threshold
        if threshold is not None:
            if len(classes) != 2 and threshold.policy != "min_cost":
                out.append(
                    (
                        "threshold.policy",
                        f"{threshold.policy} needs two classes, the "
                        f"target has {len(classes)}; use min_cost with costs instead",
                    )
                )
            if threshold.positive_class is not None and str(threshold.positive_class) not in known:
                out.append(
                    (
                        "threshold.positive_class",
                        f"unknown class "
                        f"{threshold.positive_class!r}; classes are {', '.join(classes)}",
                    )
                )
        return out
