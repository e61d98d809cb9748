"""Adding a 1,000,000-row x 30-column CSV as a dataset version, against pandas alone.

    python bench/data.py [--rows 1000000] [--repeat 1]

The CSV is generated in the run (12 float, 8 integer, 6 categorical, 3 text columns and a
categorical target). Baseline, in the same run: ``pandas.read_csv`` then ``DataFrame.to_parquet``.
Measured: ``add_data`` (read, check, validate against the contract, profile, canonical Parquet,
sha256, store) on a fresh embedded store, and ``Contract.validate_frame`` on the same rows.
Goals (issue 3): add_data < 2x the baseline; validating 1,000,000 rows < 1 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

WORDS = np.array(
    [
        "the",
        "a",
        "quick",
        "slow",
        "brown",
        "red",
        "fox",
        "dog",
        "cat",
        "jumps",
        "runs",
        "over",
        "under",
        "near",
        "far",
        "customer",
        "order",
        "late",
        "early",
        "refund",
        "broken",
        "great",
    ]
)
COLORS = np.array(["red", "green", "blue", "black", "white", "grey", "pink", "gold"])


def make_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    cols: dict[str, object] = {}
    for i in range(12):
        cols[f"f{i}"] = rng.normal(100 * i, 10 + i, size=rows).round(4)
    for i in range(8):
        cols[f"n{i}"] = rng.integers(0, 1000 * (i + 1), size=rows)
    for i in range(6):
        cols[f"c{i}"] = COLORS[rng.integers(0, len(COLORS), size=rows)]
    for i in range(3):
        parts = [WORDS[rng.integers(0, len(WORDS), size=rows)] for _ in range(4 + i)]
        text = parts[0].astype(object)
        for p in parts[1:]:
            text = text + " " + p
        cols[f"t{i}"] = text
    cols["label"] = np.where(rng.random(rows) < 0.3, "yes", "no")
    pacsv.write_csv(pa.table(cols), path)


def make_contract():  # type: ignore[no-untyped-def]
    from fullcycle.contract import Contract, Feature, Target

    features = [Feature(name=f"f{i}", kind="numeric", min=-1e6, max=1e6) for i in range(12)]
    features += [Feature(name=f"n{i}", kind="integer", min=0, max=10_000) for i in range(8)]
    features += [Feature(name=f"c{i}", kind="categorical", allowed=list(COLORS)) for i in range(6)]
    features += [Feature(name=f"t{i}", kind="text", max_length=200) for i in range(3)]
    return Contract(
        features=features, target=Target(name="label", kind="categorical", classes=["yes", "no"])
    )


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all threads) since ``start``."""
    return time.perf_counter() - start[0], time.process_time() - start[1]


def baseline(path: Path, out: Path) -> tuple[float, float]:
    t0 = clock()
    pd.read_csv(path).to_parquet(out)
    return since(t0)


def ours(path: Path, folder: Path, contract) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from fullcycle.data.versions import add_data
    from fullcycle.store.artifacts import ArtifactStore
    from fullcycle.store.db import Database

    db = Database.open(f"sqlite:///{folder / 'fc.db'}")
    artifacts = ArtifactStore(str(folder / "artifacts"))
    t0 = clock()
    version = add_data(db, artifacts, path, "bench", contract=contract)
    took = since(t0)
    assert version.n_rows > 0 and not version.violations
    db.dispose()
    return took


def stages(path: Path, contract) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Where add_data's time goes (each stage once, outside the store)."""
    import hashlib

    from fullcycle.data.profile import profile_table
    from fullcycle.data.reading import read_path
    from fullcycle.data.versions import _column_types, _kinds, canonical_bytes, canonical_table

    out: dict[str, float] = {}
    t = clock()
    table, _ = read_path(path, _column_types(contract))
    table = canonical_table(table, contract)
    out["read"] = since(t)[1]
    t = clock()
    frame = table.to_pandas()
    out["to_pandas"] = since(t)[1]
    t = clock()
    report = contract.validate_frame(frame, require_target=True)
    out["validate"] = since(t)[1]
    assert report.ok, report.summary("bench")
    t = clock()
    data = canonical_bytes(table)
    out["parquet"] = since(t)[1]
    t = clock()
    hashlib.sha256(data).hexdigest()
    out["sha256"] = since(t)[1]
    t = clock()
    profile_table(table, _kinds(contract))
    out["profile"] = since(t)[1]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    contract = make_contract()
    with tempfile.TemporaryDirectory(prefix="fc-bench-data-") as tmp:
        folder = Path(tmp)
        path = folder / "big.csv"
        make_csv(path, args.rows)
        mb = path.stat().st_size / 1e6
        print(f"CSV: {args.rows:,} rows x 30 columns, {mb:.0f} MB")
        runs = []
        for i in range(args.repeat):  # interleaved, so both sides see the same machine load
            runs.append(
                (baseline(path, folder / f"pd{i}.parquet"), ours(path, folder / f"fc{i}", contract))
            )
        base = min(r[0] for r in runs)
        mine = min(r[1] for r in runs)
        print(
            f"pandas read_csv + to_parquet : {base[0]:6.2f} s wall, {base[1]:6.2f} s CPU (baseline)"
        )
        print(
            f"fullcycle add_data           : {mine[0]:6.2f} s wall, {mine[1]:6.2f} s CPU "
            f"= {mine[0] / base[0]:.2f}x wall, {mine[1] / base[1]:.2f}x CPU (goal < 2x)"
        )
        parts = stages(path, contract)
        print("  CPU by stage: " + ", ".join(f"{k} {v:.2f}s" for k, v in parts.items()))
        frame = pacsv.read_csv(path).to_pandas()
        t0 = time.perf_counter()
        report = contract.validate_frame(frame, require_target=True)
        took = time.perf_counter() - t0
        assert report.ok
        t1 = time.perf_counter()
        frame.isna().sum()
        isna = time.perf_counter() - t1
        print(
            f"validate_frame, {len(frame):,} rows   : {took:6.2f} s  (goal < 1 s); "
            f"{took / isna:.1f}x pandas isna().sum() ({isna:.3f} s)"
        )


if __name__ == "__main__":
    main()
