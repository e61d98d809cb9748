"""Scope sections for the promotion gate, the rollout and rollback, and decisions (issue 12)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fullcycle.scope._common import Duration, Section, fail


class Gate(Section):
    """A challenger must beat production by ``margin`` with significance ``alpha``."""

    margin: float = Field(default=0.0, ge=0)
    test: Literal["mcnemar", "paired_bootstrap"] = "paired_bootstrap"
    alpha: float = Field(default=0.05, gt=0, le=0.5)
    compare_on: Literal["metric", "cost"] = "metric"
    min_rows: int = Field(default=200, ge=1)


class Rollback(Section):
    """Roll the canary back at once when any of these is crossed."""

    automatic: bool = True
    error_rate: float = Field(default=0.05, ge=0, le=1)
    p95_ms: float | None = Field(default=None, gt=0)
    metric_drop: float | None = Field(default=0.05, ge=0)
    cost_increase: float | None = Field(default=None, ge=0)


class Rollout(Section):
    shadow: bool = True
    canary_share: float = Field(default=0.1, gt=0, le=1)
    steps: list[float] = Field(default_factory=lambda: [0.1, 0.5, 1.0])
    min_requests: int = Field(default=500, ge=1)
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_p95_ms: float | None = Field(default=None, gt=0)
    max_disagreement: float | None = Field(default=None, ge=0, le=1)
    analysis_interval: Duration = 60.0
    rollback: Rollback = Field(default_factory=Rollback)

    @model_validator(mode="after")
    def _consistent(self) -> Rollout:
        problems = []
        for i, step in enumerate(self.steps):
            if not 0 < step <= 1:
                problems.append(f"[steps[{i}]] {step} must be in (0, 1]")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            problems.append("[steps] must increase, e.g. [0.1, 0.5, 1.0]")
        if self.steps and self.steps[0] < self.canary_share:
            problems.append(
                f"[steps[0]] {self.steps[0]} is below canary_share {self.canary_share}")
        if self.rollback.error_rate < self.max_error_rate:
            problems.append(
                f"[rollback.error_rate] {self.rollback.error_rate} is below max_error_rate "
                f"{self.max_error_rate}: a canary could pass analysis and be rolled back at once")
        rb = self.rollback.p95_ms
        if rb is not None and self.max_p95_ms is not None and rb < self.max_p95_ms:
            problems.append(f"[rollback.p95_ms] {rb} is below max_p95_ms {self.max_p95_ms}")
        fail(problems)
        return self


class CostPair(Section):
    actual: str | int | bool
    predicted: str | int | bool
    cost: float = Field(ge=0)


class Costs(Section):
    """Cost of each (actual, predicted) pair for classification; unlisted errors cost default."""

    default: float = Field(default=1.0, ge=0)
    correct: float = Field(default=0.0, ge=0)
    pairs: list[CostPair] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Costs:
        seen: set[tuple[str, str]] = set()
        problems = []
        for i, p in enumerate(self.pairs):
            key = (str(p.actual), str(p.predicted))
            if key in seen:
                problems.append(f"[pairs[{i}]] ({key[0]}, {key[1]}) is listed twice")
            if key[0] == key[1]:
                problems.append(f"[pairs[{i}]] actual equals predicted; use correct: instead")
            seen.add(key)
        fail(problems)
        return self


class RegressionLoss(Section):
    kind: Literal["absolute", "squared", "asymmetric"] = "absolute"
    under: float = Field(default=1.0, ge=0)  # cost per unit when the prediction is too low
    over: float = Field(default=1.0, ge=0)  # ... and too high (asymmetric only)


class Constraint(Section):
    """Exactly one: precision at least, recall at least, or at most this share flagged."""

    min_precision: float | None = Field(default=None, gt=0, le=1)
    min_recall: float | None = Field(default=None, gt=0, le=1)
    max_flag_rate: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> Constraint:
        given = [v for v in (self.min_precision, self.min_recall, self.max_flag_rate) if v]
        if len(given) != 1:
            fail(["[min_precision] give exactly one of min_precision, min_recall, max_flag_rate"])
        return self


class ThresholdPolicy(Section):
    policy: Literal["fixed", "min_cost", "constraint"] = "fixed"
    value: float | None = Field(default=None, ge=0, le=1)
    positive_class: str | int | bool | None = None
    constraint: Constraint | None = None

    @model_validator(mode="after")
    def _fits(self) -> ThresholdPolicy:
        problems = []
        if self.policy == "fixed" and self.value is None:
            problems.append("[value] policy fixed needs a value in [0, 1], e.g. 0.5")
        if self.policy != "fixed" and self.value is not None:
            problems.append(f"[value] only policy fixed takes a value, not {self.policy}")
        if self.policy == "constraint" and self.constraint is None:
            problems.append("[constraint] policy constraint needs e.g. {min_precision: 0.9}")
        if self.policy != "constraint" and self.constraint is not None:
            problems.append(f"[constraint] only policy constraint takes one, not {self.policy}")
        fail(problems)
        return self


class Abstain(Section):
    below_confidence: float = Field(gt=0, le=1)
    cost: float = Field(default=0.0, ge=0)


class Decisions(Section):
    """How scores become actions, and what each kind of error costs."""

    costs: Costs | None = None
    loss: RegressionLoss | None = None
    threshold: ThresholdPolicy | None = None
    abstain: Abstain | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Decisions:
        if self.costs is not None and self.loss is not None:
            fail(["[loss] give costs (classification) or loss (regression), not both"])
        return self
