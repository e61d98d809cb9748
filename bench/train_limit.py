"""The cost of a training time limit: a fit in a child process vs the same fit in process.

    python bench/train_limit.py [--rows 100000] [--repeat 3]

With ``training.timeout_minutes`` or ``constraints.max_train_minutes`` set (the template sets
30), the fit runs in a child process that is killed at the deadline (train/limits.py). This
times, in the same run, the scope's default pipeline (HistGradientBoosting behind fullcycle's
preprocessing) fitted (a) in process and (b) through ``fit_within`` with a 30-minute limit, on
a real dataset that ships with scikit-learn (breast cancer, 569 rows) and on a synthetic
``--rows`` table (bench/train.py's). Prints best-of-``--repeat`` seconds, the first limited
fit (which starts the forkserver) on its own, and the ratio (b) / (a).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OMP_NUM_THREADS", "1")


def cancer():  # type: ignore[no-untyped-def]
    from sklearn.datasets import load_breast_cancer

    from fullcycle.train.spec import FeatureSpec, MetricSpec, TrainSpec

    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    names = [c for c in frame.columns if c != "target"]
    spec = TrainSpec(
        name="cancer",
        task="classification",
        target="target",
        metric=MetricSpec("f1_macro"),
        features=tuple(FeatureSpec(n, "numeric") for n in names),
        estimator="sklearn.ensemble:HistGradientBoostingClassifier",
    )
    return spec, frame[names], frame["target"].to_numpy()


def synthetic(rows: int):  # type: ignore[no-untyped-def]
    import train as bench_train

    frame = bench_train.dataset(rows)
    return bench_train.spec(), frame.drop(columns="label"), frame["label"].to_numpy()


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        tick = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tick)
    return min(times)


def measure(name: str, spec, X, y, repeat: int) -> None:  # type: ignore[no-untyped-def]
    from sklearn.base import clone

    from fullcycle.train import recipe
    from fullcycle.train.limits import TimeLimit, fit_within

    model = recipe.build(spec, Path("."), seed=0).model
    limit = TimeLimit(30, "constraints.max_train_minutes")

    def limited() -> None:
        fit_within(clone(model), X, y, limit, time.monotonic() + limit.seconds)

    first = best(limited, 1)
    inside = best(lambda: clone(model).fit(X, y), repeat)
    child = best(limited, repeat)
    print(
        f"{name:<22} rows {len(X):>7,}  in process {inside:7.3f} s  child {child:7.3f} s  "
        f"(first {first:6.3f} s)  ratio {child / inside:5.2f}x  (+{child - inside:.3f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    measure("breast cancer (real)", *cancer(), args.repeat)
    measure("synthetic tabular", *synthetic(args.rows), args.repeat)


if __name__ == "__main__":
    main()
