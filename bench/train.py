"""Training overhead: ``fullcycle train`` vs fitting the same pipeline directly, same run.

    python bench/train.py [--rows 100000] [--repeat 2] [--learning-curve auto|off]

Builds a 100,000-row tabular dataset (8 numeric, 2 integer, 3 categorical features, a binary
target), then times (a) the scikit-learn pipeline fullcycle would build, fitted directly on the
same training rows, and (b) the Python API path ``fullcycle train`` uses: contract checks, split,
fit, the whole evaluation (bootstrap CI, slices, baseline, learning curve, error analysis),
saving with skops, run tracking, and registering the run's model. Prints both, the overhead
and the goal from issue 4: at most 10% + 1 s more than (a). Best of ``--repeat`` runs each.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def dataset(rows: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(size=rows) for i in range(8)}
    data["count_a"] = rng.integers(0, 50, rows)
    data["count_b"] = rng.poisson(3, rows)
    for i, levels in enumerate((5, 20, 60)):
        data[f"cat{i}"] = rng.choice([f"v{j}" for j in range(levels)], rows)
    frame = pd.DataFrame(data)
    signal = frame.x0 - 0.5 * frame.x1 + 0.3 * frame.count_b + (frame.cat0 == "v1") * 1.0
    frame["label"] = np.where(signal + rng.normal(size=rows) > 0.9, "yes", "no")
    return frame


def spec():  # type: ignore[no-untyped-def]
    from fullcycle.train.spec import FeatureSpec, MetricSpec, TrainSpec

    kinds = [(f"x{i}", "numeric") for i in range(8)]
    kinds += [("count_a", "integer"), ("count_b", "integer")]
    kinds += [(f"cat{i}", "categorical") for i in range(3)]
    return TrainSpec(
        name="bench",
        task="classification",
        target="label",
        metric=MetricSpec("f1_macro", goal=0.7, baseline=0.9, baseline_label="human-level"),
        features=tuple(FeatureSpec(n, k) for n, k in kinds),
        estimator="sklearn.ensemble:HistGradientBoostingClassifier",
        split={"strategy": "stratified", "test_size": 0.2},
    )


def direct(frame, seed: int, folder: Path) -> float:  # type: ignore[no-untyped-def]
    """The same pipeline, fitted on the same training rows, by hand."""
    from fullcycle.train.recipe import build
    from fullcycle.train.trainer import TrainDeps, _features, split_rows

    s = spec()
    deps = TrainDeps(None, None, folder, load_data=lambda ref: frame)  # type: ignore[arg-type]
    train_idx, _, _ = split_rows(deps, s, frame, seed)
    model = build(s, folder, seed=seed).model
    X, y = _features(s, frame).iloc[train_idx], frame["label"].to_numpy()[train_idx]
    tick = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - tick


def through_fullcycle(frame, seed: int, folder: Path, curve: str) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    from fullcycle import registry
    from fullcycle.store.artifacts import ArtifactStore
    from fullcycle.store.db import Database
    from fullcycle.train.trainer import TrainDeps, train

    db = Database.open(f"sqlite:///{folder / 'fullcycle.db'}")
    deps = TrainDeps(
        db, ArtifactStore(str(folder / "artifacts")), folder, load_data=lambda ref: frame
    )
    tick = time.perf_counter()
    result = train(
        deps, spec(), "bench@1", seed=seed, learning_curve="auto" if curve == "auto" else False
    )
    registry.register(db, deps.artifacts, result.run_id, name="bench")
    total = time.perf_counter() - tick
    db.dispose()
    return total, {**result.timings, "f1_macro": result.value}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--learning-curve", choices=("auto", "off"), default="auto")
    args = parser.parse_args()
    frame = dataset(args.rows)
    print(
        f"dataset: {len(frame):,} rows x {frame.shape[1] - 1} features; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; CPUs {os.cpu_count()}"
    )
    plain, ours, detail, outside = [], [], {}, []
    with tempfile.TemporaryDirectory(prefix="fc-bench-") as tmp:
        for i in range(args.repeat):
            plain.append(direct(frame, seed=7, folder=Path(tmp)))
            folder = Path(tmp) / f"p{i}"
            folder.mkdir()
            total, detail = through_fullcycle(frame, 7, folder, args.learning_curve)
            ours.append(total)
            outside.append((total - detail["fit_s"], detail["fit_s"]))
            print(f"  round {i + 1}: direct fit {plain[-1]:.2f} s, fullcycle {total:.2f} s")
    base, full = min(plain), min(ours)
    budget = base * 1.10 + 1.0
    print(f"direct pipeline.fit           {base:8.2f} s")
    print(f"fullcycle train + register    {full:8.2f} s   (ratio {full / base:.2f}x)")
    print("  of which: " + ", ".join(f"{k} {v:.2f}" for k, v in detail.items()))
    print(f"overhead                      {full - base:8.2f} s")
    print(
        f"goal (10% + 1 s)              {budget:8.2f} s   -> "
        f"{'MET' if full <= budget else 'MISSED'}"
    )
    # On a shared host the fit time itself swings by more than 10% from run to run; the time
    # fullcycle spends outside the fit, against 10% of its own fit + 1 s, is the steadier figure.
    extra, fit = min(outside)
    print(
        f"fullcycle outside the fit     {extra:8.2f} s   vs 10% of its fit + 1 s = "
        f"{fit * 0.1 + 1:.2f} s -> {'MET' if extra <= fit * 0.1 + 1 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
