"""The scope: ``fullcycle.yaml``, one file that says what the project is and how it behaves.

    Scope                      schema_version, name, description, users, task, target
    ├── metric                 name, goal, baseline (e.g. human-level); direction derived
    ├── constraints            p95 latency, model size, training time
    ├── features               the feature Contract (fullcycle.contract)
    ├── training               estimator, params, split, Optuna search space
    ├── monitoring             window, min_rows, drift thresholds, alert webhook
    ├── retraining             triggers, guards, data
    ├── gate                   margin, statistical test, compare on metric or cost
    ├── rollout / rollback     shadow, canary steps and their analysis; rollback criteria
    └── decisions              costs or loss, threshold policy, abstain

``load_scope`` reads it with the safe YAML loader and reports every problem with its line.
"""

from __future__ import annotations

from fullcycle.scope._base import parse_duration
from fullcycle.scope._decisions import (
    Abstain,
    Costs,
    Decisions,
    Loss,
    Threshold,
    ThresholdConstraint,
)
from fullcycle.scope._loader import load_scope, parse_scope
from fullcycle.scope._model import METRICS, SCHEMA_VERSION, Baseline, Metric, Scope
from fullcycle.scope._policies import (
    Alert,
    Constraints,
    Gate,
    Guards,
    Monitoring,
    RetrainData,
    Retraining,
    Rollback,
    Rollout,
    SearchParam,
    Split,
    Thresholds,
    Training,
)
from fullcycle.scope._template import template
from fullcycle.scope._write import write_features

__all__ = [
    "METRICS",
    "SCHEMA_VERSION",
    "Abstain",
    "Alert",
    "Baseline",
    "Constraints",
    "Costs",
    "Decisions",
    "Gate",
    "Guards",
    "Loss",
    "Metric",
    "Monitoring",
    "RetrainData",
    "Retraining",
    "Rollback",
    "Rollout",
    "Scope",
    "SearchParam",
    "Split",
    "Threshold",
    "ThresholdConstraint",
    "Thresholds",
    "Training",
    "load_scope",
    "parse_duration",
    "parse_scope",
    "template",
    "write_features",
]
