"""The commented ``fullcycle.yaml`` that ``fullcycle init`` writes."""

from __future__ import annotations

import json

from fullcycle.contract._model import check_column_name
from fullcycle.errors import InvalidInput
from fullcycle.names import check_name

_BY_TASK = {
    "classification": {
        "metric": "f1_macro", "goal": 0.9, "baseline": 0.85,
        "metrics": "f1_macro, f1_weighted, accuracy, roc_auc, log_loss, precision_macro, "
                   "recall_macro",
        "estimator": "sklearn.ensemble:HistGradientBoostingClassifier", "split": "stratified",
    },
    "regression": {
        "metric": "rmse", "goal": 1.0, "baseline": 2.0, "metrics": "mae, rmse, r2",
        "estimator": "sklearn.ensemble:HistGradientBoostingRegressor", "split": "random",
    },
}

_TEMPLATE = """\
# fullcycle.yaml: what this project is for, how it is judged, and how it runs in production.
# Every section below is read and checked by `fullcycle` (unknown keys are errors).
schema_version: 1                 # the layout of this file; fullcycle migrates it when it changes

name: {name}                      # letters, digits, . _ - (used in model and dataset names)
description: ""                   # one sentence: what the model decides, for whom
users: []                         # who relies on its answers, e.g. [support team, mobile app]

task: {task}                      # classification or regression
target: {target}                  # the column the model learns to predict

metric:
  name: {metric}                  # one of: {metrics}
  goal: {goal}                    # the value that makes the project a success
  baseline:                       # what we must beat: a person, a rule, the current system
    value: {baseline}
    label: human-level

constraints:                      # leave a value out (or null) for no limit
  p95_latency_ms: 50              # 95th percentile time per prediction, milliseconds
  max_model_mb: 200               # size of the saved model
  max_train_minutes: 30           # wall time of one training run

# The feature contract: checked on every dataset and on every request the server takes.
# `fullcycle data add FILE --name NAME --infer-contract` fills it in from data; edit it then.
# Each column: name, kind (numeric | integer | categorical | text | datetime), and optionally
# min / max (numeric, integer, datetime), allowed (categorical), max_length (text),
# nullable (default false). Example:
#   columns:
#     - {{name: age, kind: integer, min: 0, max: 120}}
#     - {{name: plan, kind: categorical, allowed: [free, pro]}}
#   target: {{name: {target}, kind: categorical, classes: [no, yes]}}
features:
  columns: []

training:
  estimator: {estimator}   # module:Class, or file.py:function in this folder
  params: {{}}                    # passed to the estimator, e.g. {{max_depth: 6}}
  split:
    strategy: {split}             # random | stratified | time | group
    test_size: 0.2                # share of rows held out for evaluation
    seed: 42                      # the same seed and data give the same split, always
    # time_column: created_at     # for strategy: time (train on the past, test on the recent)
    # group_column: customer_id   # for strategy: group (a group never spans both sides)
  search_space: {{}}              # hyper-parameter search (Optuna); e.g.
  #   learning_rate: {{type: float, low: 0.01, high: 0.3, log: true}}
  #   max_depth: {{type: int, low: 2, high: 12}}
  #   loss: {{type: categorical, choices: [log_loss]}}
  search_trials: 20               # trials when a search space is given

monitoring:
  window: 1d                      # how much production to compare with the reference (s m h d w)
  min_rows: 200                   # below this, report "insufficient data", never an alarm
  thresholds:                     # a feature drifts when its statistic crosses these
    psi: 0.2                      # population stability index
    ks: 0.1                       # Kolmogorov-Smirnov statistic (numeric features)
    js: 0.1                       # Jensen-Shannon distance (categorical features)
    oov_rate: 0.05                # share of categories never seen in training
    null_rate: 0.05               # rise in the share of missing values
    drift_share: 0.3              # alert when this share of features drifts
    metric_drop: 0.05             # alert when the live metric falls this far below the goal
    error_rate: 0.01              # alert when this share of requests fails
    cost_increase: 0.2            # alert when expected cost rises by this share (decisions)
  alert:
    webhook: null                 # e.g. https://hooks.example.org/fullcycle
    allowed_hosts: []             # the webhook's host must be listed here

retraining:
  triggers:                       # what may start a retrain
    drift: true
    performance: true
    cost: false
    schedule: null                # e.g. 7d for a weekly retrain
    new_labels: null              # e.g. 500: retrain once this many new labels arrived
  guards:
    min_interval: 1h              # never two retrains closer than this
    max_per_day: 4
    lease_seconds: 3600           # one controller at a time; longer than a training run
  data:
    base: null                    # dataset the new rows are added to, e.g. {name}-train@1
    window: 30d                   # how far back production rows are taken
    dedupe: true
    recent_weight: 1.0            # weight of recent rows relative to the base data

gate:                             # a challenger is promoted only if it wins on recent data
  margin: 0.0                     # by at least this much
  test: paired_bootstrap          # paired_bootstrap | mcnemar (classification only)
  alpha: 0.05                     # significance level of the test
  compare_on: metric              # metric | cost (needs the decisions section)
  min_rows: 200

rollout:
  shadow: true                    # run the challenger beside production first, answers unused
  canary_share: 0.1               # then send it this share of traffic
  steps: [0.1, 0.5, 1.0]          # and grow its share through these steps
  min_requests: 500               # per step, before any decision
  max_error_rate: 0.01            # the canary may not fail more often than this
  max_p95_ms: null                # nor be slower than this (milliseconds)
  max_disagreement: null          # nor disagree with production on more than this share
  analysis_interval: 60s
  rollback:                       # roll back at once if any of these is crossed
    automatic: true
    error_rate: 0.05
    p95_ms: null
    metric_drop: 0.05
    cost_increase: null

# What errors cost, and how scores become actions. Uncomment and edit, e.g. for fraud:
# decisions:
#   costs:                        # classification: cost of each (actual, predicted) pair
#     default: 1                  # any error not listed below
#     correct: 0                  # a correct decision
#     pairs:
#       - {{actual: fraud, predicted: legit, cost: 200}}   # a missed fraud
#       - {{actual: legit, predicted: fraud, cost: 5}}     # a false alarm
#   # loss: {{kind: asymmetric, under: 2, over: 1}}       # regression instead of costs
#   threshold:
#     policy: min_cost            # fixed (with value: 0.5) | min_cost | constraint
#     positive_class: fraud
#     # constraint: {{min_precision: 0.9}}  # or min_recall, or max_flag_rate (policy constraint)
#   abstain:                      # route to a person below this confidence
#     below_confidence: 0.6
#     cost: 2
"""


def template(name: str, *, task: str = "classification", target: str = "label") -> str:
    """A fully commented ``fullcycle.yaml`` that :func:`load_scope` accepts as it is."""
    check_name(name, "name")
    try:
        check_column_name(target)
    except ValueError as exc:
        raise InvalidInput(f"target {target!r}: {exc}") from None
    if task not in _BY_TASK:
        raise InvalidInput(f"task {task!r} is not known", hint="use classification or regression")
    return _TEMPLATE.format(name=name, task=task, target=json.dumps(target), **_BY_TASK[task])
