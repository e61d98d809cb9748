"""Tracking throughput: 50 params and 10 metrics x 1,000 steps, logged one call at a time.

    python bench/tracking.py [--steps 1000] [--vs mlflow]

Prints seconds and points/s for fullcycle (embedded SQLite), then reads one metric's history
back. With ``--vs mlflow`` the same work runs on MLflow 3 with its SQLite backend, in a
separate virtual environment, in the same run, and the ratio is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

N_PARAMS, N_METRICS = 50, 10

MLFLOW_SCRIPT = r"""
import json, sys, time, mlflow
from mlflow.tracking import MlflowClient
folder, steps = sys.argv[1], int(sys.argv[2])
mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
mlflow.set_experiment("bench")
t0 = time.perf_counter()
with mlflow.start_run() as run:
    for i in range(50):
        mlflow.log_param(f"p{i}", i)
    for step in range(steps):
        for m in range(10):
            mlflow.log_metric(f"m{m}", step * 0.001 + m, step=step)
t_log = time.perf_counter() - t0
t1 = time.perf_counter()
hist = MlflowClient().get_metric_history(run.info.run_id, "m3")
t_read = time.perf_counter() - t1
assert len(hist) == steps
print(json.dumps({"log_s": t_log, "read_s": t_read}))
"""


def run_fullcycle(folder: Path, steps: int) -> dict[str, float]:
    from fullcycle.project import Project
    from fullcycle.settings import Settings

    project = Project(Settings.from_env({}, project_dir=folder))
    project._db  # noqa: B018 - open (and migrate) outside the timed part, as MLflow's is
    t0 = time.perf_counter()
    with project.start_run("bench") as run:
        for i in range(N_PARAMS):
            run.log_param(f"p{i}", i)
        for step in range(steps):
            for m in range(N_METRICS):
                run.log_metric(f"m{m}", step * 0.001 + m, step=step)
    t_log = time.perf_counter() - t0
    t1 = time.perf_counter()
    history = project.metric_history(run.id, "m3")
    t_read = time.perf_counter() - t1
    assert len(history) == steps, len(history)
    project.close()
    # durability: a fresh process must see every point once the run has ended
    fresh = Project(Settings.from_env({}, project_dir=folder))
    assert len(fresh.metric_history(run.id, "m9")) == steps
    fresh.close()
    return {"log_s": t_log, "read_s": t_read}


def run_mlflow(folder: Path, steps: int) -> dict[str, float]:
    from _envs import peer_python

    python = peer_python("mlflow", ["mlflow>=3,<4"])
    out = subprocess.run(
        [str(python), "-c", MLFLOW_SCRIPT, str(folder), str(steps)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--vs", choices=["mlflow"], default=None)
    args = parser.parse_args()
    points = args.steps * N_METRICS
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        fc = run_fullcycle(Path(tmp), args.steps)
        rows.append(("fullcycle", fc))
    if args.vs == "mlflow":
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("mlflow", run_mlflow(Path(tmp), args.steps)))
    print(f"{N_PARAMS} params + {points} metric points, one call each; then one metric's history")
    print(f"{'system':<10} {'log s':>9} {'points/s':>12} {'read ms':>9}")
    for name, r in rows:
        print(
            f"{name:<10} {r['log_s']:>9.3f} {points / r['log_s']:>12,.0f} {r['read_s'] * 1e3:>9.1f}"
        )
    if len(rows) == 2:
        ratio = rows[1][1]["log_s"] / rows[0][1]["log_s"]
        print(f"fullcycle is {ratio:.0f}x faster than MLflow at logging (goal: >= 50x)")


if __name__ == "__main__":
    main()
