"""Labels a gate needs to promote a better challenger, on real data (scikit-learn's digits).

The champion learned from 150 rows, the challenger from 900; both are scored on the same
held-out rows in the order they would be labelled. Printed: the held-out rows each gate needed
before it passed, over 20 orderings (median and worst), and how often each passed a "twin"
(the champion's recipe refit on 150 other rows: at most slightly better).
Run: python bench/gate_labels.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from fullcycle.loop.gate import gate


def rows_to_pass(y, a, b, test: str, step: int, cycle_rows: int | None) -> int | None:
    """Smallest number of rows at which the gate passes, looking every ``step`` rows
    (the old loop looked once per cycle of ``cycle_rows`` rows, with a fresh test each time)."""
    stride = cycle_rows or step
    for n in range(stride, len(y) + 1, stride):
        found = gate(y[:n], a[:n], b[:n], metric="accuracy", test=test, min_rows=min(n, 30))
        if found.passed:
            return n
        if test == "sequential" and found.verdict == "refuse":
            return None
    return None


def main() -> None:
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:1000], order[1000:]
    fit = lambda rows: LogisticRegression(max_iter=3000).fit(X[rows], y[rows])  # noqa: E731
    champion, challenger = fit(train[:150]), fit(train[:900])
    twin = fit(train[150:300])
    pa, pb, pt = (m.predict(X[test]).astype(str) for m in (champion, challenger, twin))
    yt = y[test].astype(str)
    print(
        f"accuracy: champion {np.mean(pa == yt):.3f}, challenger {np.mean(pb == yt):.3f}, "
        f"twin {np.mean(pt == yt):.3f} on {len(yt)} held-out rows"
    )
    for label, test_name, cycle in (
        ("before: mcnemar, 150 gate rows per cycle", "mcnemar", 150),
        ("after: sequential, looking every 10 rows", "sequential", None),
    ):
        needed, false = [], 0
        for seed in range(20):
            idx = np.random.default_rng(seed).permutation(len(yt))
            needed.append(rows_to_pass(yt[idx], pa[idx], pb[idx], test_name, 10, cycle))
            false += rows_to_pass(yt[idx], pa[idx], pt[idx], test_name, 10, cycle) is not None
        got = [n for n in needed if n is not None]
        print(
            f"{label}: passed {len(got)}/20, rows needed median {np.median(got):.0f} "
            f"max {max(got)}; passed the twin {false}/20"
        )


if __name__ == "__main__":
    main()
