"""The commented ``fullcycle.yaml`` that ``fullcycle init`` writes."""

from __future__ import annotations

import json

from fullcycle import metric_table
from fullcycle.contract import check_column_name
from fullcycle.errors import ConfigError, InvalidInput
from fullcycle.names import check_name

COMMENT_COLUMN = 32
_BY_TASK = {
    "classification": {
        "metric": metric_table.DEFAULT["classification"],
        "goal": "0.9",
        "baseline": "0.85",
        "estimator": "sklearn.ensemble:HistGradientBoostingClassifier",
        "split": "stratified",
        "test": "sequential",
    },
    "regression": {
        "metric": metric_table.DEFAULT["regression"],
        "goal": "1.0",
        "baseline": "1.5",
        "estimator": "sklearn.ensemble:HistGradientBoostingRegressor",
        "split": "random",
        "test": "sequential",
    },
}

_DECISIONS = {
    "classification": """\
# decisions:                    # what each kind of error costs, and how scores become actions
#   costs:                      # cost per (true class -> predicted class); quote yes/no/true
#     default: 1                # any mistake not listed below
#     correct: 0                # a right answer
#     matrix:
#       fraud: {ok: 200}        # a missed fraud costs 200
#       ok: {fraud: 5}          # a false alarm costs 5
#   threshold:                  # two classes only (multi-class: policy min_cost)
#     policy: min_cost          # fixed (with value: 0.5) | min_cost | constraint
#     positive_class: fraud
#     # constraint: {min_precision: 0.9}   # or min_recall, max_flag_rate (policy: constraint)
#   abstain:                    # route to a person below this confidence
#     below_confidence: 0.6
#     cost: 2
#   max_cost_per_1000: 500      # live expected cost above this alerts and may retrain
""",
    "regression": """\
# decisions:                    # what errors cost
#   loss:
#     kind: asymmetric          # absolute | squared | asymmetric
#     under: 3                  # cost per unit of under-prediction (asymmetric only)
#     over: 1                   # cost per unit of over-prediction
#   max_cost_per_1000: 500      # live expected cost above this alerts and may retrain
""",
}

_TEMPLATE = """\
# fullcycle.yaml: the project's scope. `fullcycle` reads it on every command.
# Durations are written 30s, 15m, 6h, 7d, 2w. Shares are between 0 and 1.
schema_version: 1               # the format of this file

name: {name}                    # letters, digits, . _ - (used in paths and model names)
description: ""                 # what the model does, in a sentence
users: []                       # who uses its predictions, e.g. [support team, checkout]

task: {task}          # classification | regression
target: {target}                # the column the model predicts

metric:
  name: {metric}                # for {task}: {metric_names}
  goal: {goal}                   # the level that makes the model worth shipping
  baseline:                     # what you compare against (a rule, an old model, people)
    value: {baseline}
    label: human-level

constraints:                    # leave a limit empty (~) if it does not matter
  p95_latency_ms: 50            # 95th percentile of one prediction, in milliseconds
  max_model_mb: 200             # size of the saved model
  max_train_minutes: ~          # one training run; when set, the fit runs in a child
                                # process that is stopped at the limit (costs ~1 s a run)

# features: the data contract. Every dataset and every request is checked against it.
#   columns: a list of {{name, kind, ...}}; kind is numeric | integer | categorical | text |
#     datetime; numeric/integer/datetime take min and max; categorical takes allowed: [...];
#     text takes max_length; any column may be nullable: true.
#   target: {{name, kind: categorical | numeric, classes: [...]}} (name must match target:)
# `fullcycle data add FILE --infer-contract` writes a proposal here for you to edit.
features:
  columns: []

training:
  estimator: {estimator}   # module:Class or file.py:function
  params: {{}}                    # passed to the estimator
  split:
    strategy: {split}           # random | stratified | time (time_column) | group (group_column)
    test_size: 0.2
    seed: 0
  search: {{}}                    # Optuna space, e.g. learning_rate: {{type: float, low: 0.01,
                                #   high: 0.3, log: true}}; max_depth: {{type: int, low: 2,
                                #   high: 12}}; loss: {{type: categorical, choices: [a, b]}}
  trials: 20                    # search trials when a search space is given

monitoring:
  window: 1d                    # how much production each report looks at
  interval: 15m                 # how often the monitor runs
  min_rows: 200                 # fewer rows than this: "insufficient data", never an alarm
  thresholds:                   # above these a feature (or the predictions) has drifted
    psi: 0.2
    ks: 0.1
    wasserstein: 0.1            # in reference standard deviations
    jensenshannon: 0.1
    unseen_share: 0.05          # share of categories never seen in training
    oov_increase: 0.05          # rise in the share of words never seen in training
    missing_change: 0.05        # change in the share of missing values
    prediction_psi: 0.2
    metric_drop: 0.05           # drop of the metric on rows whose labels came back
    error_rate: 0.01            # share of failed requests
  alert:
    webhook: ~                  # e.g. https://hooks.example.com/fullcycle
    allowed_hosts: []           # the webhook's host must be listed here

retraining:
  triggers: [drift, performance]   # drift | performance | schedule | new_labels | cost
  schedule: ~                   # e.g. 7d, with the schedule trigger
  min_new_labels: 500           # for the new_labels trigger
  guards:
    min_interval: 6h            # never retrain more often than this
    max_per_day: 2
    lease_seconds: 3600         # one retrain at a time, even with several controllers
    max_labels_per_day: ~       # rows the loop may queue for labelling in 24 h (~: no limit)
  data:
    base: ~                     # dataset to start from, e.g. {name}-train@1 (default: latest)
    window: 30d                 # recent labelled production rows to add
    dedupe: true
    recent_weight: 1.0          # weight of recent rows against the base
  new_classes: ask              # a class the target never had: ask (alert, wait for you)
                                # | learn (added once 20 labelled rows name it)

gate:                           # what a challenger must prove to be promoted
  margin: 0.0                   # the loop: a challenger beats the champion by at least this
  tolerance: 0.0                # fullcycle promote: fall short of the alias's holder by at
                                # most this (both in the metric's units; cost per 1,000)
  test: {test}              # sequential (stops as soon as the evidence is enough)
                                # | paired_bootstrap | mcnemar
  alpha: 0.05
  compare_on: metric            # metric | cost (needs decisions:)
  min_samples: 200               # held-out rows (sequential: may decide from 50)

rollout:
  shadow: when_healthy          # first answer nothing, only log the challenger's predictions:
                                # always | never | when_healthy (not while the gate's rows
                                # show the champion misses the goal: users wait on it)
  canary_share: 0.1             # then send it this share of traffic
  steps: [0.1, 0.5, 1.0]        # and raise the share step by step
  min_requests: 500             # no decision on fewer requests than this
  max_error_rate: 0.01
  max_p95_ms: ~                 # default: constraints.p95_latency_ms
  max_disagreement: 0.2         # share of requests where it disagrees with production
  analysis_interval: 5m

rollback:                       # after promotion, go back to the previous version when
  automatic: true
  watch: 1d                     # within this time after promotion
  max_error_rate: 0.02          # failed requests rise above this
  max_metric_drop: 0.05         # or the metric drops by this much
  max_p95_ms: ~

{decisions}"""


def template(name: str, *, task: str = "classification", target: str = "label") -> str:
    """A fully commented ``fullcycle.yaml`` that :func:`load_scope` accepts."""
    check_name(name, "project name")
    if task not in _BY_TASK:
        raise ConfigError(f"task {task!r} is not known", hint="use classification or regression")
    try:
        check_column_name(target)
    except ValueError as exc:
        raise InvalidInput(f"target column {target!r}: {exc}") from None
    values = _BY_TASK[task]
    return _align(
        _TEMPLATE.format(
            name=json.dumps(name),
            target=json.dumps(target, ensure_ascii=False),
            task=task,
            decisions=_DECISIONS[task],
            metric_names=" ".join(metric_table.names(task)),
            **values,
        )
    )


def _align(text: str) -> str:
    """Start trailing comments in one column, whatever the length of the filled-in values."""
    out = []
    for line in text.splitlines():
        value, sep, comment = line.partition("  # ")
        if (
            sep
            and value.strip()
            and not value.lstrip().startswith("#")
            and value.count('"') % 2 == 0
        ):
            line = f"{value.rstrip():<{COMMENT_COLUMN - 1}} # {comment.lstrip()}"
        elif line.lstrip().startswith("#") and line.startswith(" " * 20):
            line = " " * COMMENT_COLUMN + line.lstrip()
        out.append(line)
    return "\n".join(out) + "\n"
