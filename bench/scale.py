"""Scale-out benchmark: batch scoring and windowed drift, local process pool vs Dask.

For each size in ``--rows`` (default 1M, 2M, 5M), on the same data in one run:

- batch scoring: a scikit-learn pipeline (scaling + gradient boosting) scores a Parquet file
  (row groups of ``--partition-rows``) into a Parquet output, partition by partition;
- drift: a window of the same size, stored as one Parquet file per partition (like sealed
  prediction-log segments), sketched per partition and combined, against a 200,000-row reference
  (8 numeric columns, 2 categorical columns, one short text column);

each on ``LocalExecutor(2)`` (a spawned process pool, started per job as the CLI does) and on
``DaskExecutor`` with a real ``dask scheduler`` and two ``dask worker`` processes (one thread
each) started before timing. Reported: seconds, seconds per million rows (flat = linear growth),
and Dask's overhead as the ratio dask / local. Both executors read the partitions from the
shared local disk. OMP/BLAS threads are pinned to 1 so each worker uses one core.

    .venv/bin/python bench/scale.py [--rows 1000000,2000000,5000000] [--partition-rows 500000]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from fullcycle.executor import LocalExecutor  # noqa: E402
from fullcycle.monitoring.reference import build_reference  # noqa: E402
from fullcycle.scale.batch import predict_batch  # noqa: E402
from fullcycle.scale.cluster import ProcessCluster  # noqa: E402
from fullcycle.scale.dask_executor import DaskExecutor  # noqa: E402
from fullcycle.scale.drift_window import drift_window  # noqa: E402

N_NUM = 8
WORDS = np.array(
    ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
)
POLICY = {"domain_classifier": False, "bootstrap": 200}


def make_frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {f"x{i}": rng.normal(shift * (i % 2), 1.0, n) for i in range(N_NUM)}
    cols["c0"] = pd.Categorical.from_codes(rng.integers(0, 12, n), [f"k{i}" for i in range(12)])
    cols["c1"] = pd.Categorical.from_codes(rng.integers(0, 5, n), list("abcde"))
    picks = rng.integers(0, WORDS.size, (n, 2))
    cols["note"] = np.char.add(np.char.add(WORDS[picks[:, 0]], " "), WORDS[picks[:, 1]])
    return pd.DataFrame(cols)


def make_model(seed: int = 0) -> object:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = make_frame(50_000, seed)[[f"x{i}" for i in range(N_NUM)]]
    y = (train["x0"] + train["x1"] * train["x2"] > 0).astype(int)
    return make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=100)).fit(
        train, y
    )


def write_input(n: int, folder: Path, partition_rows: int) -> tuple[Path, list[str]]:
    """The batch input as one file, and the drift window as one file per partition."""
    whole = folder / f"input-{n}.parquet"
    writer = None
    segments = []
    for i, start in enumerate(range(0, n, partition_rows)):
        part = make_frame(min(partition_rows, n - start), seed=1_000 + i, shift=0.1)
        table = pa.Table.from_pandas(part, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(whole, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=partition_rows)
        seg = folder / f"window-{n}-{i:04d}.parquet"
        pq.write_table(table, seg, compression="zstd")
        segments.append(str(seg))
    assert writer is not None
    writer.close()
    return whole, segments


def timed(fn: object, *args: object, **kw: object) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kw)  # type: ignore[operator]
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,2000000,5000000")
    parser.add_argument("--partition-rows", type=int, default=500_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.rows.split(",")]
    features = [f"x{i}" for i in range(N_NUM)]
    kinds = {**{c: "numeric" for c in features}, "c0": "categorical", "c1": "categorical"}
    kinds["note"] = "text"
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start; "
        f"partitions of {args.partition_rows:,} rows"
    )
    model = make_model()
    reference = build_reference(make_frame(200_000, seed=7), kinds, sketch_size=1000)
    rows: list[tuple[str, int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="fc-bench-scale-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        with ProcessCluster(folder / "dask", workers=2) as cluster:
            print(f"dask cluster (scheduler + 2 workers) up in {time.perf_counter() - t0:.1f} s")
            dask = DaskExecutor(cluster.address)
            local = LocalExecutor(2)
            t_empty, _ = timed(dask.map, abs, list(range(-100, 0)))
            print(f"dask: 100 trivial tasks in {t_empty * 1000:.0f} ms")
            for n in sizes:
                src, segments = write_input(n, folder, args.partition_rows)
                spent = {}
                for name, ex in (("local", local), ("dask", dask)):
                    spent[name], res = timed(
                        predict_batch,
                        model,
                        src,
                        folder / f"out-{name}-{n}.parquet",
                        ex,
                        partition_rows=args.partition_rows,
                        columns=features,
                        read_on_workers=True,
                    )
                    assert res.rows == n  # type: ignore[attr-defined]
                rows.append(("batch scoring", n, spent["local"], spent["dask"]))
                print(
                    f"  {n:,} rows: batch scoring local {spent['local']:.2f} s, "
                    f"dask {spent['dask']:.2f} s",
                    flush=True,
                )
                a = pd.read_parquet(folder / f"out-local-{n}.parquet")
                b = pd.read_parquet(folder / f"out-dask-{n}.parquet")
                assert a.equals(b), "dask and local batch outputs differ"
                reports = {}
                times = {}
                for name, ex in (("local", local), ("dask", dask)):
                    times[name], reports[name] = timed(
                        drift_window, reference, segments, ex, policy=POLICY
                    )
                assert reports["local"].to_dict() == reports["dask"].to_dict()
                rows.append(("drift window", n, times["local"], times["dask"]))
                print(
                    f"  {n:,} rows: drift window local {times['local']:.2f} s, "
                    f"dask {times['dask']:.2f} s",
                    flush=True,
                )
                for path in [src, *segments]:
                    Path(path).unlink()
            dask.close()
    print()
    print(
        f"{'job':<14} {'rows':>10} {'local s':>9} {'dask s':>9} {'local s/M':>10} "
        f"{'dask s/M':>9} {'dask/local':>10}"
    )
    for job, n, t_local, t_dask in rows:
        m = n / 1e6
        print(
            f"{job:<14} {n:>10,} {t_local:>9.2f} {t_dask:>9.2f} {t_local / m:>10.2f} "
            f"{t_dask / m:>9.2f} {t_dask / t_local:>10.2f}"
        )
    print("\nresults identical on both executors (batch outputs equal, drift reports equal)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other processes share the CPUs)")


if __name__ == "__main__":
    main()
