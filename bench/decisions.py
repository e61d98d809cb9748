"""Decisions benchmark: what applying a version's decision policy adds to serving and monitoring.

Serving: a batch of ``--batch`` rows through a fitted 7-class LogisticRegression
(``predict_proba``, the baseline) and then ``train.decide.decide`` (min-cost rule with abstain)
on its probabilities. Monitoring: live expected cost (``monitoring.cost.live_cost``) over
``--rows`` logged rows, against the live metric (``performance.live_metric``) on the same rows.
Figures are ratios to the baseline measured in the same process.

    .venv/bin/python bench/decisions.py [--batch 32] [--rows 100000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import orjson
import pandas as pd
from sklearn.linear_model import LogisticRegression

from fullcycle.monitoring import performance
from fullcycle.monitoring.cost import live_cost
from fullcycle.train import decide

CLASSES = ["movies", "music", "navigation", "news", "shopping", "sports", "weather"]


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def record() -> dict[str, object]:
    matrix = np.ones((7, 7)) - np.eye(7)
    matrix[2, 1] = 10.0
    return {
        "rule": "bayes_min_cost",
        "threshold": None,
        "positive": None,
        "classes": CLASSES,
        "cost_matrix": matrix.tolist(),
        "abstain_below": 0.3,
        "abstain_cost": 0.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 20))
    y = np.asarray(CLASSES)[np.argmax(X[:, :7] + rng.normal(size=(5000, 7)), axis=1)]
    model = LogisticRegression(max_iter=300).fit(X, y)
    batch = X[: args.batch]
    rec = record()
    base = best_of(lambda: model.predict_proba(batch), 200)
    proba = model.predict_proba(batch).tolist()
    extra = best_of(lambda: decide.decide(rec, proba), 200)
    print(
        f"serving, batch {args.batch}: predict_proba {base * 1e6:.0f} us; decide adds "
        f"{extra * 1e6:.0f} us = {extra / base:.2f}x the model's time"
    )

    n = args.rows
    big = rng.normal(size=(n, 20))
    p = model.predict_proba(big)
    truth = np.asarray(CLASSES)[np.argmax(big[:, :7], axis=1)]
    log = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "row": 0,
            "output": [orjson.dumps(c).decode() for c in np.asarray(CLASSES)[p.argmax(1)]],
            "proba": [orjson.dumps(row).decode() for row in p.tolist()],
        }
    )
    feedback = dict(zip(log["request_id"], truth, strict=True))
    preds = np.asarray(CLASSES)[p.argmax(1)]
    metric = best_of(lambda: performance.live_metric("f1_macro", truth, preds), 3)
    cost = best_of(lambda: live_cost(log, feedback, rec, limit=100.0), 3)
    print(
        f"monitoring, {n} labelled rows: live f1_macro {metric:.3f} s; live cost "
        f"{cost:.3f} s = {cost / metric:.2f}x"
    )


if __name__ == "__main__":
    main()
