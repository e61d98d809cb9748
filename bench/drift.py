"""Drift benchmark: fullcycle's drift statistics vs a plain numpy/scipy loop (and Evidently).

Reference and current frames of ``--rows`` rows (default 1,000,000), 20 numeric and 5
categorical columns; 5 numeric and 2 categorical columns shifted. fullcycle computes every
statistic for every column (reference snapshot + compare, with bootstrap thresholds); the
baseline in the same run is a plain loop of ``scipy.stats.ks_2samp`` per numeric column and
``scipy.stats.chisquare`` per categorical column. ``--vs evidently`` also runs Evidently 0.7's
DataDriftPreset on the same frames (from Parquet) in a separate virtual environment under
``bench/.envs/evidently`` and checks both flag the same columns.

    .venv/bin/python bench/drift.py [--rows N] [--vs evidently]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from fullcycle.monitoring.compare import compare
from fullcycle.monitoring.reference import build_reference

HERE = Path(__file__).resolve().parent
ENV = HERE / ".envs" / "evidently"
OUT = HERE / "out"
N_NUMERIC, N_CATEGORICAL = 20, 5
SHIFTED_NUMERIC = [f"x{i}" for i in range(5)]
SHIFTED_CATEGORICAL = ["c0", "c1"]


def make_frames(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def numeric(i: int, n: int) -> np.ndarray:
        shape = i % 4
        if shape == 0:
            return rng.normal(10.0 * i, 1.0 + i, n)
        if shape == 1:
            return rng.lognormal(0.0, 0.5, n)
        if shape == 2:
            return rng.uniform(-5, 5, n)
        return rng.exponential(2.0, n)

    def categorical(i: int, n: int, shifted: bool) -> np.ndarray:
        k = 10 + 10 * i
        names = np.array([f"cat{i}_{j}" for j in range(k + 1)])
        p = np.linspace(2, 1, k)
        if shifted and i == 0:
            p = p[::-1] ** 4
        p = np.append(p / p.sum(), 0.0)
        if shifted and i == 1:  # a new category takes 30%
            p = np.append(p[:-1] * 0.7, 0.3)
        return names[rng.choice(k + 1, size=n, p=p)]

    frames = []
    for cur in (False, True):
        cols: dict[str, np.ndarray] = {}
        for i in range(N_NUMERIC):
            x = numeric(i, rows)
            name = f"x{i}"
            if cur and name in SHIFTED_NUMERIC:
                x = x + 0.5 * x.std() if i % 2 == 0 else x * 1.5
            cols[name] = x
        for i in range(N_CATEGORICAL):
            cols[f"c{i}"] = categorical(i, rows, cur and f"c{i}" in SHIFTED_CATEGORICAL)
        frames.append(pd.DataFrame(cols))
    return frames[0], frames[1]


def kinds_of(frame: pd.DataFrame) -> dict[str, str]:
    return {c: ("numeric" if c.startswith("x") else "categorical") for c in frame.columns}


def run_fullcycle(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[float, float, list[str]]:
    kinds = kinds_of(ref)
    t0 = time.perf_counter()
    reference = build_reference(ref, kinds)
    t1 = time.perf_counter()
    report = compare(reference, cur, kinds)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sorted(report.drifted_features)


def run_plain(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    flagged = []
    for col in ref.columns:
        if col.startswith("x"):
            p = stats.ks_2samp(ref[col].to_numpy(), cur[col].to_numpy()).pvalue
        else:
            rc, cc = ref[col].value_counts(), cur[col].value_counts()
            cats = rc.index.union(cc.index)
            exp = rc.reindex(cats, fill_value=0).to_numpy(dtype=float) + 0.5
            obs = cc.reindex(cats, fill_value=0).to_numpy(dtype=float)
            p = stats.chisquare(obs, exp / exp.sum() * obs.sum()).pvalue
        if p < 0.05:
            flagged.append(col)
    return time.perf_counter() - t0, sorted(flagged)


def run_sort_floor(ref: pd.DataFrame, cur: pd.DataFrame) -> float:
    """Context: one np.sort of every numeric column of both frames, one thread."""
    t0 = time.perf_counter()
    for frame in (ref, cur):
        for col in frame.columns:
            if col.startswith("x"):
                np.sort(frame[col].to_numpy())
    return time.perf_counter() - t0


def peak_memory(ref: pd.DataFrame, cur: pd.DataFrame) -> float:
    gc.collect()
    tracemalloc.start()
    run_fullcycle(ref, cur)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


EVIDENTLY_SCRIPT = """
import json, resource, sys, time
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
num = [c for c in ref.columns if c.startswith("x")]
cat = [c for c in ref.columns if c.startswith("c")]
dd = DataDefinition(numerical_columns=num, categorical_columns=cat)
t0 = time.perf_counter()
snap = Report([DataDriftPreset()]).run(
    Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd))
seconds = time.perf_counter() - t0
flagged = []
for m in snap.dict()["metrics"]:
    cfg = m["config"]
    if cfg.get("type", "").endswith("ValueDrift"):
        v, t = m["value"], cfg["threshold"]
        if (v < t) if "p_value" in cfg["method"] else (v >= t):
            flagged.append(cfg["column"])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "flagged": sorted(flagged), "peak_rss_mb": rss}))
"""


def ensure_evidently() -> Path:
    python = ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(ENV)], check=True)
        pip = [str(ENV / "bin" / "pip"), "install", "-q"]
        # Evidently 0.7 imports a helper that pandas 3 removed
        subprocess.run([*pip, "evidently>=0.7,<0.8", "pandas>=2.2,<3", "pyarrow"], check=True)
    return python


def run_evidently(ref: pd.DataFrame, cur: pd.DataFrame) -> dict:
    python = ensure_evidently()
    OUT.mkdir(exist_ok=True)
    paths = [OUT / "reference.parquet", OUT / "current.parquet"]
    ref.to_parquet(paths[0])
    cur.to_parquet(paths[1])
    script = OUT / "evidently_run.py"
    script.write_text(EVIDENTLY_SCRIPT)
    done = subprocess.run(
        [str(python), str(script), *map(str, paths)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vs", choices=["evidently"], default=None)
    args = parser.parse_args()

    ref, cur = make_frames(args.rows, args.seed)
    data_mb = (ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum()) / 2**20
    expected = sorted(SHIFTED_NUMERIC + SHIFTED_CATEGORICAL)
    print(f"rows={args.rows:,} per frame, 20 numeric + 5 categorical, data {data_mb:,.0f} MB")

    run_fullcycle(ref.iloc[:1000], cur.iloc[:1000])  # warm imports
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref_s, cmp_s, ours = run_fullcycle(ref, cur)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ours_s = ref_s + cmp_s
    peak_mb = peak_memory(ref, cur)
    plain_s, plain_flagged = run_plain(ref, cur)
    sort_s = run_sort_floor(ref, cur)

    rows = [
        ("fullcycle reference snapshot", ref_s, None),
        ("fullcycle compare (all stats)", cmp_s, None),
        ("fullcycle total", ours_s, peak_mb),
        ("plain numpy/scipy loop", plain_s, None),
        ("(context: np.sort of each numeric)", sort_s, None),
    ]
    evidently = run_evidently(ref, cur) if args.vs == "evidently" else None
    if evidently:
        rows.append(
            ("evidently 0.7 DataDriftPreset", evidently["seconds"], evidently["peak_rss_mb"])
        )
    print(f"{'step':34s} {'seconds':>9s} {'x fullcycle':>12s} {'peak MB':>9s}")
    for name, sec, mem in rows:
        mem_s = f"{mem:9,.0f}" if mem is not None else f"{'':9s}"
        print(f"{name:34s} {sec:9.2f} {sec / ours_s:12.2f} {mem_s}")
    print(
        f"peak memory of fullcycle (tracemalloc): {peak_mb:,.0f} MB = {peak_mb / data_mb:.2f}x data"
    )
    print(
        f"process peak RSS {rss1:,.0f} MB (before the run {rss0:,.0f} MB)"
        f" = {rss1 / data_mb:.2f}x data"
    )
    print(f"plain loop / fullcycle = {plain_s / ours_s:.1f}x")
    print(f"fullcycle / bare sorting = {ours_s / sort_s:.2f}x")
    print(f"shifted columns          : {expected}")
    print(f"fullcycle flagged        : {ours}  {'OK' if ours == expected else 'MISMATCH'}")
    print(f"plain loop (p<0.05)      : {plain_flagged}")
    if evidently:
        same = evidently["flagged"] == ours
        print(
            f"evidently flagged        : {evidently['flagged']}  {'same' if same else 'DIFFERENT'}"
        )
        print(f"evidently / fullcycle = {evidently['seconds'] / ours_s:.1f}x")


if __name__ == "__main__":
    main()
