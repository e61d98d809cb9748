"""Trace benchmark: one request id traced in a prediction log of 10,000,000 rows.

The log is written as a real server would leave it: JSON Lines segments from several replicas,
with time-ordered request ids (``serving.app.new_request_id``'s form), sealed into Parquet and
registered by ``serving.segments.seal``. A small project supplies the model version, run and
dataset the trace follows. Figures: the time of ``Project.trace`` for ids at the start, middle
and end of the log, against a baseline in the same process that looks the id up with no
segment index (DuckDB over every sealed file, helped only by Parquet statistics), and how
many files the index let the trace open. ``--random-ids`` uses ids clients chose (no time
order), so every segment's id range overlaps and only the row groups' statistics prune.

    .venv/bin/python bench/trace.py [--rows 10000000] [--replicas 4] [--per-segment 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from fullcycle.project import Project
from fullcycle.serving import segments
from fullcycle.store import logs
from fullcycle.testing import make_served_project

NAME = "bench"


def make_project(folder: Path) -> Project:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    frame = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "label": np.where(x[:, 0] > 0, "a", "b")})
    project: Project = make_served_project(folder, frame, NAME, goal=0.6, actor="bench")
    return project


def write_log(
    project: Project, rows: int, replicas: int, per_segment: int, random_ids: bool = False
) -> list[str]:
    """Sealed, registered segments; returns a few request ids spread over the log."""
    root = Path(project.settings.resolved_log_url())
    active = root / segments.ACTIVE
    active.mkdir(parents=True, exist_ok=True)
    start_ms = int((time.time() - 10 * 86400) * 1000)
    per_replica = rows // replicas
    n_segments = max(1, per_replica // per_segment)
    span_ms = 10 * 86400 * 1000 // n_segments  # the log covers ten days
    rng = np.random.default_rng(1)
    picked: list[str] = []
    for seg in range(n_segments):
        for rep in range(replicas):
            ms = np.sort(start_ms + seg * span_ms + rng.integers(0, span_ms, per_segment))
            tails = rng.integers(0, 2**63, size=per_segment)
            ids = [
                f"{t:018x}-{rep}" if random_ids else f"{m:012x}{rep:02x}{t:018x}"
                for m, t in zip(ms.tolist(), tails.tolist(), strict=True)
            ]
            x = rng.normal(size=(per_segment, 2)).round(4).tolist()
            path = active / f"r{rep}-{seg:05d}.jsonl"
            with open(path, "wb") as fh:
                fh.write(
                    b"".join(
                        orjson.dumps(
                            {
                                "request_id": rid,
                                "row": 0,
                                "ts": m / 1000,
                                "model": NAME,
                                "version": 1,
                                "route": "production",
                                "status": 200,
                                "latency_ms": 3.2,
                                "inputs": {"x0": a, "x1": b},
                                "output": "a" if a > 0 else "b",
                                "proba": None,
                                "error": None,
                            }
                        )
                        + b"\n"
                        for rid, m, (a, b) in zip(ids, ms.tolist(), x, strict=True)
                    )
                )
            segments.seal(project._db, root, path, replica=f"r{rep}", model=NAME)
            if rep == 0 and seg in (0, n_segments // 2, n_segments - 1):
                picked.append(ids[per_segment // 3])
        print(f"  sealed {(seg + 1) * replicas * per_segment:,} rows", flush=True)
    return picked


def full_scan(project: Project, rid: str) -> int:
    import duckdb

    paths = [s.path for s in logs.segments(project._db)]
    con = duckdb.connect()
    try:
        found = con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE request_id = ?", [paths, rid]
        ).fetchone()
    finally:
        con.close()
    return int(found[0]) if found else 0


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--per-segment", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument(
        "--random-ids",
        action="store_true",
        help="ids that clients chose (no time order): the segments' id ranges all overlap",
    )
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="fc-trace-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    project = make_project(folder)
    t0 = time.perf_counter()
    picked = write_log(project, args.rows, args.replicas, args.per_segment, args.random_ids)
    all_segments = logs.segments(project._db)
    total = sum(s.n_rows for s in all_segments)
    size = sum(os.path.getsize(s.path) for s in all_segments)
    print(
        f"log: {total:,} predictions in {len(all_segments)} sealed files "
        f"({size / 2**20:.0f} MiB), written in {time.perf_counter() - t0:.0f} s"
    )
    for where, rid in zip(("start", "middle", "end"), picked, strict=False):
        opened = len(logs.segments(project._db, request_id=rid))
        trace = project.trace(rid)
        assert trace["prediction"]["version"] == 1 and trace["model"]["artifact"] == "verified"
        t_trace = timed(lambda rid=rid: project.trace(rid))
        t_scan = timed(lambda rid=rid: full_scan(project, rid), repeat=3)
        print(
            f"trace of an id at the {where:6s}: {t_trace * 1000:7.1f} ms (goal < 1000 ms), "
            f"{opened} of {len(all_segments)} files by id range; lookup over every file "
            f"{t_scan * 1000:7.1f} ms; trace / full scan = {t_trace / t_scan:.3f}"
        )
    gone = picked[-1][:-1] + ("0" if picked[-1][-1] != "0" else "1")
    t_missing = timed(lambda: _missing(project, gone))
    print(f"an unknown id inside the logged range answered NotFound in {t_missing * 1000:.1f} ms")
    print(f"folder: {folder}")


def _missing(project: Project, rid: str) -> None:
    from fullcycle.errors import NotFound

    try:
        project.trace(rid)
    except NotFound:
        return
    raise AssertionError("an unknown id was found")


if __name__ == "__main__":
    main()
