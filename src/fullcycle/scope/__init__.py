"""The scope file, ``fullcycle.yaml``: what the project is for and the policy of every stage.

    Scope
    ├── metric (name, goal, baseline; greater_is_better)   constraints (latency, size, time)
    ├── features -> Contract (fullcycle.contract)          training (estimator, split, search)
    ├── monitoring (window, thresholds, alert)             retraining (triggers, guards, data)
    └── gate, rollout (+ rollback)                         decisions (costs, threshold, abstain)

``load_scope`` reads it with the safe loader only and reports every problem with its line.
"""

from __future__ import annotations

from fullcycle.scope._common import parse_duration
from fullcycle.scope._load import load_scope
from fullcycle.scope._policies import (
    Abstain,
    Constraint,
    CostPair,
    Costs,
    Decisions,
    Gate,
    RegressionLoss,
    Rollback,
    Rollout,
    ThresholdPolicy,
)
from fullcycle.scope._scope import SCHEMA_VERSION, Scope
from fullcycle.scope._sections import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    Alert,
    Baseline,
    Constraints,
    Guards,
    Metric,
    Monitoring,
    RetrainData,
    Retraining,
    SearchParam,
    Split,
    Thresholds,
    Training,
    Triggers,
)
from fullcycle.scope._template import template
from fullcycle.scope._write import features_yaml, write_features

__all__ = [
    "CLASSIFICATION_METRICS",
    "REGRESSION_METRICS",
    "SCHEMA_VERSION",
    "Abstain",
    "Alert",
    "Baseline",
    "Constraint",
    "Constraints",
    "CostPair",
    "Costs",
    "Decisions",
    "Gate",
    "Guards",
    "Metric",
    "Monitoring",
    "RegressionLoss",
    "RetrainData",
    "Retraining",
    "Rollback",
    "Rollout",
    "Scope",
    "SearchParam",
    "Split",
    "ThresholdPolicy",
    "Thresholds",
    "Training",
    "Triggers",
    "features_yaml",
    "load_scope",
    "parse_duration",
    "template",
    "write_features",
]
