"""Monitor benchmark: the time of one monitoring step (``fullcycle monitor``) on a real model.

A project is trained on scikit-learn's breast cancer data; a prediction log of ``--rows``
requests (held-out rows, half of them shifted) is written as a server leaves it, in sealed
Parquet segments. Figures, each the median of ``--repeat`` runs:

- cold: ``fullcycle monitor --json`` as a new process, what a cron job or ``--watch`` pays
  per call when run as a command (imports included);
- warm: ``Project.monitor`` in a process that already ran one step (what ``monitor --watch``
  pays per step after the first);
- imports: ``python -c "import fullcycle.monitoring.service"`` in a new process;
- incremental: after ``--more`` requests arrive (in the active segment), one step that merges
  the stored parts of the sealed segments (kept by the steps before) against the full re-read
  of the same window (``incremental=False``), for a time window and a ``last:N`` window that
  cuts a sealed segment.

Run it on two checkouts to compare before and after (the same machine, the same run):

    .venv/bin/python bench/monitor.py [--rows 20000] [--segments 8] [--repeat 3]
    PYTHONPATH=/path/to/other/src .venv/bin/python bench/monitor.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

NAME = "cancer"


def make_project(folder: Path):  # type: ignore[no-untyped-def]
    from sklearn.datasets import load_breast_cancer

    from fullcycle.testing import make_served_project

    frame = load_breast_cancer(as_frame=True).frame
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    frame["target"] = np.where(frame["target"] == 1, "benign", "malignant")
    features = [c for c in frame.columns if c != "target"]
    project = make_served_project(
        folder, frame, NAME, target="target", params={"max_iter": 2000}, actor="bench"
    )
    return project, frame[features]


def write_log(  # type: ignore[no-untyped-def]
    project, rows_frame, rows: int, n_segments: int, *, first: int = 0, seal: bool = True
) -> None:
    from fullcycle.serving import segments

    root = Path(project.settings.resolved_log_url())
    active = root / segments.ACTIVE
    active.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1 + first)
    records = rows_frame.to_dict("records")
    start = time.time() - 3600
    per = rows // n_segments
    for seg in range(first, first + n_segments):
        path = active / f"r0-{seg:05d}.jsonl"
        with open(path, "wb") as fh:
            for i in range(per):
                rec = dict(records[int(rng.integers(len(records)))])
                if i % 2:
                    rec["mean_radius"] *= 1.3
                k = seg * per + i
                line = {
                    "request_id": f"{int((start + k * 0.01) * 1000):012x}{k:020x}",
                    "row": 0,
                    "ts": start + k * 0.01,
                    "model": NAME,
                    "version": 1,
                    "route": "production",
                    "status": 200,
                    "latency_ms": 3.0,
                    "inputs": rec,
                    "output": "benign",
                    "proba": [0.8, 0.2],
                    "error": None,
                }
                fh.write(orjson.dumps(line) + b"\n")
        if seal:
            segments.seal(project._db, root, path, replica="r0", model=NAME)


def median_time(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--more", type=int, default=500, help="requests arriving after")
    args = parser.parse_args()
    import fullcycle

    print(f"fullcycle from {Path(fullcycle.__file__).parent}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project, rows_frame = make_project(folder)
        write_log(project, rows_frame, args.rows, args.segments)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        window = f"last:{args.rows}"
        cli = [sys.executable, "-m", "fullcycle", "monitor", "--window", window, "--json"]
        cold = median_time(
            lambda: subprocess.run(cli, cwd=folder, env=env, check=True, capture_output=True),
            args.repeat,
        )
        imports = median_time(
            lambda: subprocess.run(
                [sys.executable, "-c", "import fullcycle.monitoring.service"], env=env, check=True
            ),
            args.repeat,
        )
        project.monitor(window)  # the first step of a watch
        warm = median_time(lambda: project.monitor(window), args.repeat)
        incremental = incremental_case(project, rows_frame, args)
    print(f"log: {args.rows:,} requests in {args.segments} sealed segments, window {window}")
    print(f"cold step (new process, fullcycle monitor --json): {cold:6.2f} s")
    print(f"  of which importing the monitoring stack:        {imports:6.2f} s")
    print(f"warm step (monitor --watch after the first):       {warm:6.2f} s")
    print(f"cold / warm: {cold / warm:.1f}x")
    print(f"incremental: {args.more:,} more requests in the active segment, then one step")
    for window, full, inc, read in incremental:
        print(
            f"  window {window:>12}: full re-read {full:6.2f} s, incremental {inc:6.2f} s "
            f"({read} sealed segment(s) read), full / incremental: {full / inc:.1f}x"
        )


def incremental_case(project, rows_frame, args):  # type: ignore[no-untyped-def]
    """(window, full re-read s, incremental s, sealed segments read) after ``--more`` arrive."""
    from fullcycle.monitoring.service import MonitorDeps, run_monitor

    deps = MonitorDeps(project._db, project._artifacts, Path(project.settings.resolved_log_url()))
    mv = project.production_version()
    out = []
    for window in ("2h", f"last:{args.rows - args.rows // args.segments // 2}"):
        run_monitor(deps, project.scope, mv, window=window, save=False)  # parts kept
        out.append(window)
    write_log(project, rows_frame, args.more, 1, first=args.segments, seal=False)
    figures = []
    for window in out:

        def step(inc: bool, window: str = window) -> dict:  # type: ignore[type-arg]
            return run_monitor(deps, project.scope, mv, window=window, save=False, incremental=inc)

        full = median_time(lambda: step(False), args.repeat)
        inc = median_time(lambda: step(True), args.repeat)
        figures.append((window, full, inc, step(True)["sealed_read"]))
    return figures


if __name__ == "__main__":
    main()
