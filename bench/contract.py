"""Contract validation speed: 1,000,000 rows x 30 columns, and one request row.

    .venv/bin/python bench/contract.py [--rows 1000000]

Prints seconds and rows/s for ``validate_frame`` and the ratio against pandas merely running
``df.isna().sum()`` on the same frame in the same process (issue 3's goal: 1M rows under 1 s),
and the time ``Contract.infer`` takes on that frame;
then microseconds per ``validate_records`` call for 1 row x 20 features (goal: about 100 us),
and where the per-row loop and the columnar path cross over.
"""

from __future__ import annotations

import argparse
import time
import timeit

import numpy as np
import pandas as pd

from fullcycle.contract import Contract, Feature
from fullcycle.contract._records import check_records

WORDS = np.array(
    [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog",
        "while",
        "rain",
        "falls",
        "on",
        "quiet",
    ]
)


def make_frame(rows: int, seed: int = 0) -> tuple[pd.DataFrame, Contract]:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    feats: list[Feature] = []
    for i in range(12):
        cols[f"num{i}"] = rng.normal(0, 1, rows)
        feats.append(Feature(name=f"num{i}", kind="numeric", min=-10, max=10))
    for i in range(8):
        cols[f"int{i}"] = rng.integers(0, 1000, rows)
        feats.append(Feature(name=f"int{i}", kind="integer", min=0, max=1000))
    for i in range(6):
        levels = [f"level{j}" for j in range(20)]
        cols[f"cat{i}"] = pd.Series(np.array(levels)[rng.integers(0, 20, rows)])
        feats.append(Feature(name=f"cat{i}", kind="categorical", allowed=levels))
    sentences = np.array([" ".join(rng.choice(WORDS, 8)) for _ in range(500)])
    for i in range(4):
        cols[f"text{i}"] = pd.Series(sentences[rng.integers(0, 500, rows)])
        feats.append(Feature(name=f"text{i}", kind="text", max_length=200))
    return pd.DataFrame(cols), Contract(features=feats)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_frame(rows: int) -> None:
    df, contract = make_frame(rows)
    print(
        f"frame: {rows:,} rows x {df.shape[1]} columns; dtypes: "
        f"{dict(df.dtypes.astype(str).value_counts())}"
    )
    report = contract.validate_frame(df)
    assert report.ok, report.summary("bench frame")
    validate = best_of(lambda: contract.validate_frame(df))
    baseline = best_of(lambda: df.isna().sum())
    print(
        f"validate_frame      {validate:8.3f} s  {rows / validate:14,.0f} rows/s  "
        f"(goal: 1M rows < 1 s)"
    )
    print(f"df.isna().sum()     {baseline:8.3f} s  {rows / baseline:14,.0f} rows/s  (baseline)")
    print(f"ratio validate / isna-sum: {validate / baseline:.1f}x")
    infer = best_of(lambda: Contract.infer(df, None), repeat=1)
    print(f"Contract.infer      {infer:8.3f} s  ({infer / baseline:.1f}x isna-sum)")


def bench_records() -> None:
    contract = Contract(
        features=[Feature(name=f"n{i}", kind="numeric", min=-1e6, max=1e6) for i in range(12)]
        + [Feature(name=f"i{i}", kind="integer", min=0) for i in range(4)]
        + [Feature(name=f"c{i}", kind="categorical", allowed=["a", "b", "c"]) for i in range(4)]
    )
    row = {f"n{i}": 0.5 * i for i in range(12)} | {f"i{i}": i for i in range(4)}
    row |= {f"c{i}": "b" for i in range(4)}
    numeric = Contract(features=[Feature(name=f"n{i}", kind="numeric") for i in range(20)])
    nrow = {f"n{i}": 0.5 * i for i in range(20)}
    n = 5000
    check = min(timeit.repeat(lambda: check_records(contract, [row]), number=n, repeat=3)) / n
    full = min(timeit.repeat(lambda: contract.validate_records([row]), number=n, repeat=3)) / n
    fast = min(timeit.repeat(lambda: numeric.validate_records([nrow]), number=n, repeat=3)) / n
    naive = min(timeit.repeat(lambda: pd.DataFrame([row]), number=n, repeat=3)) / n
    print("validate_records, 1 row x 20 features (goal ~100 us):")
    print(f"  baseline: pd.DataFrame([row]), no checks {naive * 1e6:8.1f} us/call")
    print(f"  checks only (mixed kinds)           {check * 1e6:8.1f} us/call")
    print(
        f"  checks + frame (mixed kinds)        {full * 1e6:8.1f} us/call"
        f"  ({full / naive:.2f}x the baseline)"
    )
    print(f"  checks + frame (all numeric)        {fast * 1e6:8.1f} us/call")
    for size in (8, 32, 128, 1000):
        batch = [dict(row) for _ in range(size)]
        rows_t = min(
            timeit.repeat(
                lambda b=batch: check_records(contract, b, columnar=False), number=20, repeat=3
            )
        )
        cols_t = min(
            timeit.repeat(
                lambda b=batch: check_records(contract, b, columnar=True), number=20, repeat=3
            )
        )
        print(
            f"  {size:5d} rows: per-row loop {rows_t / 20 / size * 1e6:6.2f} us/row, "
            f"columnar {cols_t / 20 / size * 1e6:6.2f} us/row "
            f"(columnar/loop {cols_t / rows_t:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_frame(args.rows)
    bench_records()


if __name__ == "__main__":
    main()
