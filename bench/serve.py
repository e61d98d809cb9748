"""Throughput and latency of `fullcycle serve` against a bare FastAPI app (and MLflow).

Starts real servers on 127.0.0.1 and loads each with wrk (or an async httpx client when wrk
is missing) at a fixed concurrency with one-row JSON requests, for two models: a
HistGradientBoostingClassifier on 20 numeric features and a TF-IDF + LogisticRegression text
pipeline. fullcycle runs with validation and prediction logging on. Prints req/s, p50, p99 and
the ratios against the bare app measured in the same run.

    OMP_NUM_THREADS=1 python bench/serve.py [--seconds 10] [--concurrency 1,4,16,64]
        [--rounds 3] [--workers 1] [--models tabular,text] [--profile] [--vs mlflow]
        [--compiled]

``--compiled`` (tabular): instead of the bench's own model source, two real projects serve the
model from their registries: ``fc-sklearn`` (adopted with ``log_model``, registered, promoted)
and ``fc-onnx`` (the same, then ``Project.compile_model(..., to="onnx")``, checked and promoted,
run by onnxruntime); both are checked to answer alike, and the onnx/sklearn ratios are printed.

The baseline is the fair bare app (``bench/bare_app.py``: model.predict in the thread pool).
Each server is started once per model; levels run in turn, each round loads every server once
(interleaved, so a busy neighbour hurts both), and the best round per server is printed with
its ratio to the bare app at the same level. ``cpu ms/req`` is the server processes' user +
system CPU (from /proc) over the requests answered. ``--profile`` runs the fullcycle server
under cProfile and prints where its main thread (the event loop) spends its time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

HERE = Path(__file__).resolve().parent
WORDS = [
    "price",
    "shipping",
    "broken",
    "great",
    "refund",
    "late",
    "quality",
    "love",
    "return",
    "cheap",
    "fast",
    "slow",
    "box",
    "colour",
    "size",
    "fits",
    "small",
    "large",
    "battery",
    "screen",
    "works",
    "stopped",
    "gift",
    "happy",
    "sad",
]


def tabular() -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    cols = [f"x{i}" for i in range(20)]
    x = pd.DataFrame(rng.normal(size=(5000, 20)), columns=cols)
    y = (x["x0"] + x["x1"] * x["x2"] + rng.normal(size=5000) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(x, y)
    rows = [dict(zip(cols, map(float, r), strict=True)) for r in x.to_numpy()[:200]]
    sig = {"inputs": [{"name": c, "type": "double"} for c in cols]}
    return model, rows, sig


def text() -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(1)
    docs = [" ".join(rng.choice(WORDS, size=12)) for _ in range(3000)]
    y = np.array(["pos" if ("great" in d or "love" in d) else "neg" for d in docs])
    pipe = make_pipeline(
        ColumnTransformer([("tfidf", TfidfVectorizer(), "text")]),
        LogisticRegression(max_iter=500),
    ).fit(pd.DataFrame({"text": docs}), y)
    rows = [{"text": d} for d in docs[:200]]
    return pipe, rows, {"inputs": [{"name": "text", "type": "text"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout}s")


def start_fullcycle(
    work: Path,
    model_path: Path,
    spec_path: Path,
    name: str,
    workers: int,
    durability: str,
    profile: Path | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    from fullcycle.store import deployments
    from fullcycle.store.db import Database

    project = work / f"fc-{name}"
    project.mkdir()
    db = Database.open(f"sqlite:///{project / '.fullcycle' / 'fullcycle.db'}")
    deployments.set(db, name, production=1, actor="bench")
    db.dispose()
    port = free_port()
    env = {
        **os.environ,
        "FULLCYCLE_PROJECT_DIR": str(project),
        "PYTHONPATH": str(HERE),
        "FULLCYCLE_BENCH_MODEL": str(model_path),
        "FULLCYCLE_BENCH_SPEC": str(spec_path),
    }
    prof = ["-m", "cProfile", "-o", str(profile)] if profile else []
    cmd = [
        sys.executable,
        *prof,
        "-m",
        "fullcycle.serving",
        "--source",
        "serve_source:make_source",
        "--model",
        name,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--durability",
        durability,
        "--no-auth",  # compared with bare servers that check nothing; tokens are cached anyway
    ]
    proc = subprocess.Popen(cmd, env=env)
    wait_ready(port, "/v2/health/ready", proc)
    return proc, port


def registry_project(work: Path, model: Any, rows: list[dict[str, Any]], onnx: bool) -> Path:
    """A real project serving ``model`` from its registry: the data stored, the model adopted
    with ``log_model`` and registered; with ``onnx``, compiled through ``Project.compile_model``
    (checked on the reference rows) and that version put in production."""
    import pandas as pd

    from fullcycle.project import Project

    folder = work / ("fc-onnx" if onnx else "fc-sklearn")
    proj = Project.init(folder, "tabular")
    # held-out rows: training rows sit on HistGradientBoosting's bin thresholds, where the
    # float32 ONNX graph may take the other branch and the compile check rightly refuses
    cols = list(rows[0])
    frame = pd.DataFrame(np.random.default_rng(7).normal(size=(1000, len(cols))), columns=cols)
    frame["label"] = model.predict(frame)
    data = proj.add_data(frame, "tabular", infer_contract=True)
    with proj.start_run("adopt", dataset=data.ref) as run:
        proj.log_model(model, run=run, data=data.ref)
    version = proj.register(run.id, name="tabular")
    if onnx:
        version = proj.compile_model(version.ref, to="onnx")
        print(f"compiled {version.ref} ({version.format}): {version.description}")
    proj.promote(version.ref, "production", force=True, reason="bench")
    return folder


def start_registry(
    folder: Path, workers: int, durability: str
) -> tuple[subprocess.Popen[bytes], int]:
    """``python -m fullcycle.serving`` on the project's own registry source."""
    port = free_port()
    env = {**os.environ, "FULLCYCLE_PROJECT_DIR": str(folder)}
    cmd = [
        sys.executable,
        "-m",
        "fullcycle.serving",
        "--source",
        "fullcycle.serving.source:project_source",
        "--model",
        "tabular",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--durability",
        durability,
        "--no-auth",
    ]
    proc = subprocess.Popen(cmd, env=env)
    wait_ready(port, "/v2/health/ready", proc)
    return proc, port


def start_bare(model_path: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(HERE), "FULLCYCLE_BENCH_MODEL": str(model_path)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:create",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env)
    wait_ready(port, "/docs", proc)
    return proc, port


def start_mlflow(
    work: Path, model: Any, rows: list[dict[str, Any]], name: str, workers: int
) -> tuple[subprocess.Popen[bytes], int]:
    env_dir = HERE / ".envs" / "mlflow"
    py = env_dir / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "mlflow>=3,<4", "scikit-learn", "pandas"],
            check=True,
        )
    import joblib

    src = work / f"mlflow-{name}.joblib"
    joblib.dump(model, src)
    dest = work / f"mlflow-{name}"
    code = (
        "import joblib, mlflow.sklearn, sys; "
        "mlflow.sklearn.save_model(joblib.load(sys.argv[1]), sys.argv[2], "
        "serialization_format='cloudpickle')"
    )
    subprocess.run([str(py), "-c", code, str(src), str(dest)], check=True)
    port = free_port()
    cmd = [
        str(env_dir / "bin" / "mlflow"),
        "models",
        "serve",
        "-m",
        str(dest),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--env-manager",
        "local",
        "-w",
        str(workers),
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, "PATH": f"{env_dir / 'bin'}:" + os.environ["PATH"]}
    )
    wait_ready(port, "/ping", proc, timeout=180)
    return proc, port


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """SIGINT lets a cProfile'd server write its profile (uvicorn re-raises the signal)."""
    proc.send_signal(sig)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


WRK_LUA = """
local bodies = {}
local i = 0
function init(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do bodies[#bodies + 1] = line end
  f:close()
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
"""


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def load_wrk(port: int, path: str, bodies: Path, seconds: float, conc: int) -> dict[str, float]:
    script = bodies.with_suffix(".lua")
    script.write_text(WRK_LUA)
    cmd = [
        "wrk",
        "-t1",
        f"-c{conc}",
        f"-d{max(1, int(seconds))}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{path}",
        "--",
        str(bodies),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": 0.0 if not errors else 1.0,
    }


async def _load_httpx(
    port: int, path: str, bodies: list[bytes], seconds: float, conc: int
) -> dict[str, float]:
    import httpx

    lat: list[float] = []
    bad = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=httpx.Limits(max_connections=conc)
    ) as client:

        async def worker(k: int) -> None:
            nonlocal bad
            i = k
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                r = await client.post(
                    path,
                    content=bodies[i % len(bodies)],
                    headers={"content-type": "application/json"},
                )
                lat.append((time.perf_counter() - t0) * 1000)
                bad += r.status_code >= 300
                i += conc

        await asyncio.gather(*(worker(k) for k in range(conc)))
    arr = np.array(lat)
    return {
        "rps": len(arr) / seconds,
        "p50": float(np.percentile(arr, 50)),
        "p99": float(np.percentile(arr, 99)),
        "non2xx": float(bad),
        "socket_errors": 0.0,
    }


def load(
    port: int,
    path: str,
    bodies: list[bytes],
    seconds: float,
    conc: int,
    work: Path,
    *,
    warm: bool = True,
) -> dict[str, float]:
    if shutil.which("wrk"):
        f = work / f"bodies-{port}.txt"
        f.write_bytes(b"\n".join(bodies) + b"\n")
        if warm:
            load_wrk(port, path, f, min(3.0, seconds), conc)
        return load_wrk(port, path, f, seconds, conc)
    if warm:
        print(
            "warning: wrk is not installed (apt-get install wrk); the Python client that loads "
            "the servers instead takes about as much CPU as they do on this machine, so the "
            "figures measure the client more than the servers",
            file=sys.stderr,
        )
        asyncio.run(_load_httpx(port, path, bodies, min(3.0, seconds), conc))
    return asyncio.run(_load_httpx(port, path, bodies, seconds, conc))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its child processes (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo.extend(int(k) for k in kids)
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(
    proc: subprocess.Popen[bytes],
    port: int,
    path: str,
    bodies: list[bytes],
    args: Any,
    conc: int,
    work: Path,
) -> dict[str, float]:
    before = cpu_seconds(proc.pid)
    out = load(port, path, bodies, args.seconds, conc, work, warm=False)
    used = cpu_seconds(proc.pid) - before
    out["cpu_ms_per_req"] = used * 1000 / max(1.0, out["rps"] * args.seconds)
    return out


def main() -> None:
    # One OpenMP thread per server: a one-row-per-request server otherwise spins its OpenMP
    # pool against the load generator on small machines (the bare app fell to ~12 req/s).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", default="1,4,16,64", help="comma-separated levels")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; best is kept")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--durability", default="fast", choices=["fast", "strict"])
    ap.add_argument("--models", default="tabular,text")
    ap.add_argument("--vs", default="", help="also run 'mlflow models serve'")
    ap.add_argument("--profile", action="store_true", help="cProfile the fullcycle server")
    ap.add_argument(
        "--compiled",
        action="store_true",
        help="tabular only: serve the model from a project's registry as scikit-learn "
        "(fc-sklearn) and as its ONNX compilation (fc-onnx), beside the bare app",
    )
    args = ap.parse_args()
    import joblib

    levels = [int(c) for c in str(args.concurrency).split(",")]
    results: list[tuple[str, str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.models.split(","):
            model, rows, sig = {"tabular": tabular, "text": text}[name]()
            model_path, spec_path = work / f"{name}.joblib", work / f"{name}.json"
            joblib.dump(model, model_path)
            spec_path.write_bytes(
                orjson.dumps({"name": name, "signature": sig, "reference_rows": rows[:8]})
            )
            bodies = [orjson.dumps({"records": [r]}) for r in rows]
            servers = (
                compiled_servers(work, model, rows, model_path, args)
                if args.compiled and name == "tabular"
                else {}
            )
            servers = servers or {
                "bare-fastapi": start_bare(model_path, args.workers),
                "fullcycle": start_fullcycle(
                    work,
                    model_path,
                    spec_path,
                    name,
                    args.workers,
                    args.durability,
                    profile=work / f"{name}.prof" if args.profile else None,
                ),
            }
            if args.vs == "mlflow":
                servers["mlflow"] = start_mlflow(work, model, rows, name, args.workers)
            try:
                results += run_rounds(name, servers, rows, bodies, args, levels, work)
            finally:
                for proc, _ in servers.values():
                    stop(proc, signal.SIGINT if args.profile else signal.SIGTERM)
            if args.profile:
                print_profile(work / f"{name}.prof")
    report(results, args)


def compiled_servers(
    work: Path, model: Any, rows: list[dict[str, Any]], model_path: Path, args: Any
) -> dict[str, Any]:
    """The bare app, the registry-served scikit-learn version and its ONNX compilation."""
    folders = [registry_project(work, model, rows, onnx) for onnx in (False, True)]
    servers = {
        "bare-fastapi": start_bare(model_path, args.workers),
        "fc-sklearn": start_registry(folders[0], args.workers, args.durability),
        "fc-onnx": start_registry(folders[1], args.workers, args.durability),
    }
    same_answers(servers, rows[:50])
    return servers


def same_answers(servers: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Both fullcycle servers answer the same classes for the same rows (else stop)."""
    import httpx

    got = {}
    for label in ("fc-sklearn", "fc-onnx"):
        r = httpx.post(
            f"http://127.0.0.1:{servers[label][1]}/predict", json={"records": rows}, timeout=30
        )
        r.raise_for_status()
        got[label] = r.json()["predictions"]
    same = sum(a == b for a, b in zip(got["fc-sklearn"], got["fc-onnx"], strict=True))
    print(f"fc-onnx answers as fc-sklearn on {same} of {len(rows)} rows")


def run_rounds(
    name: str,
    servers: dict[str, Any],
    rows: list[Any],
    bodies: list[bytes],
    args: Any,
    levels: list[int],
    work: Path,
) -> list[tuple[str, str, int, dict[str, float]]]:
    """Each level, each round, each server in turn (interleaved); the best round is kept."""
    sent = {
        label: [orjson.dumps({"dataframe_records": [r]}) for r in rows]
        if label == "mlflow"
        else bodies
        for label in servers
    }
    paths = {label: "/invocations" if label == "mlflow" else "/predict" for label in servers}
    for label, (_proc, port) in servers.items():  # warm-up
        load(port, paths[label], sent[label], 3.0, 4, work, warm=False)
    out = []
    for conc in levels:
        best: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for label, (proc, port) in servers.items():
                r = measure(proc, port, paths[label], sent[label], args, conc, work)
                if label not in best or r["rps"] > best[label]["rps"]:
                    best[label] = r
        out += [(name, label, conc, r) for label, r in best.items()]
    return out


def print_profile(path: Path) -> None:
    import pstats

    if not path.exists():
        print(f"(no profile written at {path})")
        return
    print("\nprofile of the fullcycle server's main thread (event loop), request path only:")
    stats = pstats.Stats(str(path)).sort_stats("tottime")
    stats.print_stats(r"fullcycle/serving|fullcycle/auth|starlette|fastapi|uvicorn/protocols", 25)


def report(results: list[tuple[str, str, int, dict[str, float]]], args: Any) -> None:
    print(
        f"\n{args.seconds:g}s per run, best of {args.rounds} interleaved rounds, "
        f"{args.workers} worker(s), durability {args.durability}, cpus {os.cpu_count()}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load avg "
        f"{os.getloadavg()[0]:.1f}; baseline: bare FastAPI, model.predict in the thread pool"
    )
    print(
        f"{'model':8} {'server':13} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu ms/req':>10} {'non-2xx':>8} {'rps/bare':>9} {'p50/bare':>9} {'p99/bare':>9}"
    )
    base = {(m, c): r for m, label, c, r in results if label == "bare-fastapi"}
    for model, label, conc, r in results:
        b = base.get((model, conc))
        ratio = {k: r[k] / b[k] if b else float("nan") for k in ("rps", "p50", "p99")}
        print(
            f"{model:8} {label:13} {conc:5d} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
            f"{r['cpu_ms_per_req']:10.2f} {r['non2xx']:8.0f} {ratio['rps']:9.2f} "
            f"{ratio['p50']:9.2f} {ratio['p99']:9.2f}"
        )
    by = {(m, label, c): r for m, label, c, r in results}
    for (model, label, conc), r in by.items():
        skl = by.get((model, "fc-sklearn", conc))
        if label == "fc-onnx" and skl:
            print(
                f"{model} c={conc}: fc-onnx / fc-sklearn req/s {r['rps'] / skl['rps']:.2f}x, "
                f"p50 {r['p50'] / skl['p50']:.2f}x, p99 {r['p99'] / skl['p99']:.2f}x"
            )


if __name__ == "__main__":
    main()
