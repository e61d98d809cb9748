"""Chaos run: a real strict-mode server and ``loop --watch`` beside it, under faults.

A voice project is trained and promoted; ``fullcycle serve --durability strict`` runs on
127.0.0.1 and ``fullcycle loop --watch`` beside it, while a load thread sends one-row
``/predict`` requests with known ids. Four faults follow one another: kill -9 of the server
(then a restart), a full log disk (a tmpfs filled to the brim when this runs as root, else the
server's RLIMIT_FSIZE lowered with prlimit; then space is given back), 64 flipped bytes in a
sealed Parquet segment, and labels of the wrong shape sent to ``/feedback``. Figures:
acknowledged predictions and how many are missing from the log (those of the deliberately
corrupted segment are counted apart: their file was destroyed), 503s during the full disk,
whether the loop process is still running, and the alerts opened for each fault.

    .venv/bin/python bench/chaos.py [--seconds-per-phase 4]
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from fullcycle import auth
from fullcycle.demo.server import Server
from fullcycle.examples import voice
from fullcycle.project import Project
from fullcycle.store import events

SCOPE = Path(__file__).resolve().parents[1] / "src" / "fullcycle" / "demo" / "voice.yaml"
FEATURES = ("query", "locale", "device", "hour")


def make_project(folder: Path) -> Project:
    folder.mkdir(parents=True)
    (folder / "fullcycle.yaml").write_text(SCOPE.read_text())
    project = Project.open(folder)
    frame = voice.without_truth(voice.generate(0, 1500, seed=1)).drop(columns=["request_time"])
    run = project.train(data=project.add_data(frame, "queries").ref, learning_curve=False)
    version = project.register(run.run_id)
    project.promote(version.ref, force=True, reason="chaos run set-up")
    return project


class Load:
    """One-row requests from a few threads; remembers every id the server acknowledged."""

    def __init__(self, url: str, token: str, threads: int = 4) -> None:
        self.url, self.token = url, token
        self.rows = [
            {k: r[k] for k in FEATURES} for r in voice.generate(1, 500, seed=3).to_dict("records")
        ]
        self.acked: list[str] = []
        self.statuses: list[tuple[float, int | str]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def _run(self, worker: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        n = 0
        with httpx.Client(base_url=self.url, timeout=30, headers=headers) as client:
            while not self._stop.is_set():
                rid = f"chaos-{worker}-{n}"
                n += 1
                row = self.rows[n % len(self.rows)]
                try:
                    r = client.post(
                        "/predict", json={"records": [row]}, headers={"X-Request-ID": rid}
                    )
                    status: int | str = r.status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                    time.sleep(0.05)  # the server is down: do not spin
                if status == 200:
                    self.acked.append(rid)
                self.statuses.append((time.monotonic(), status))

    def between(self, start: float, end: float) -> dict[str, int]:
        counts: dict[str, int] = {}
        for when, status in list(self.statuses):
            if start <= when <= end:
                counts[str(status)] = counts.get(str(status), 0) + 1
        return counts


class FullDisk:
    """Fill the log's filesystem (tmpfs) or, without one, cap the server's file size."""

    def __init__(self, log_dir: Path, tmpfs: bool, server: Server) -> None:
        self.log_dir, self.tmpfs, self.server = log_dir, tmpfs, server
        self.filler = log_dir / "filler.bin"
        self.hard = resource.RLIM_INFINITY

    def __enter__(self) -> str:
        if self.tmpfs:
            try:  # until the tmpfs is full; the server's own log may have filled it already
                with open(self.filler, "wb") as fh:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
            return "tmpfs filled"
        assert self.server.proc is not None
        _, self.hard = resource.prlimit(self.server.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(self.server.proc.pid, resource.RLIMIT_FSIZE, (1, self.hard))
        return "soft RLIMIT_FSIZE=1 on the server"

    def __exit__(self, *exc: Any) -> None:
        if self.tmpfs:
            self.filler.unlink(missing_ok=True)
        elif self.server.proc is not None and self.server.proc.poll() is None:
            resource.prlimit(self.server.proc.pid, resource.RLIMIT_FSIZE, (self.hard, self.hard))


def mount_tmpfs(path: Path, size_mb: int = 64) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
        capture_output=True,
    )
    return done.returncode == 0


def flip_a_sealed_segment(log_dir: Path) -> tuple[str, set[str]]:
    """Flip 64 bytes of one sealed segment; the ids it held (read before the damage)."""
    import pyarrow.parquet as pq

    sealed = sorted((log_dir / "sealed").rglob("*.parquet"))
    if not sealed:
        raise RuntimeError("no sealed segment to corrupt yet")
    path = sealed[0]
    ids = set(pq.read_table(path, columns=["request_id"]).column(0).to_pylist())
    data = bytearray(path.read_bytes())
    for i in range(40, min(104, len(data) - 8)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return str(path), ids


def wait_until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout_s:g} s for {what}")
        time.sleep(0.1)


def loop_steps(project: Project) -> int:
    return len(events.listing(project._db, kind="loop.", limit=10_000)) + len(
        events.listing(project._db, kind="watch.error", limit=10_000)
    )


def run(
    folder: Path, seconds: float = 4.0, *, durability: str = "strict", rlimit: bool = False
) -> dict[str, Any]:
    """The whole chaos run; returns the figures. ``rlimit`` uses the server's file-size limit
    for the full disk even where a tmpfs could be mounted."""
    log_dir = folder / "logs"
    tmpfs = False if rlimit else mount_tmpfs(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    os.environ["FULLCYCLE_DURABILITY"] = durability
    try:
        return _run(folder, seconds, log_dir, tmpfs)
    finally:
        if tmpfs:
            subprocess.run(["umount", "-l", str(log_dir)], check=False)


def _run(folder: Path, seconds: float, log_dir: Path, tmpfs: bool) -> dict[str, Any]:  # noqa: PLR0915
    os.environ.update(
        FULLCYCLE_LOG_URL=str(log_dir),
        FULLCYCLE_PROJECT_DIR=str(folder / "p"),
    )
    project = make_project(folder / "p")
    token = auth.create_token(project._db, name="chaos-client", role="write")
    auth.create_token(project._db, name="chaos-admin", role="admin")
    figures: dict[str, Any] = {"durability": os.environ["FULLCYCLE_DURABILITY"]}
    server = Server(folder / "p", log=folder / "server.log")
    loop_out = open(folder / "loop.out", "ab")  # noqa: SIM115
    loop = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fullcycle",
            "loop",
            "--watch",
            "--every",
            "2s",
            "-C",
            str(folder / "p"),
        ],
        stdout=loop_out,
        stderr=subprocess.STDOUT,
    )
    try:
        url = server.__enter__()
        with Load(url, token) as load:
            time.sleep(seconds)
            # 1. kill -9 and restart
            assert server.proc is not None
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            server.__enter__()
            time.sleep(seconds)
            # 2. the log disk fills, then space returns
            start = time.monotonic()
            with FullDisk(log_dir, tmpfs, server) as how:
                figures["disk_fault"] = how
                time.sleep(seconds)
            figures["during_full_disk"] = load.between(start, time.monotonic())
            wait_until(
                lambda: httpx.get(f"{url}/v2/health/ready", timeout=5).status_code == 200,
                60,
                "readiness after the disk fault",
            )
            time.sleep(seconds)
            # 3. a sealed segment is damaged (the kill -9's recovery sealed some)
            corrupted, lost_with_file = flip_a_sealed_segment(log_dir)
            figures["corrupted_segment_rows"] = len(lost_with_file)
            # 4. labels of the wrong shape
            headers = {"Authorization": f"Bearer {token}"}
            bad = [
                httpx.post(
                    f"{url}/feedback",
                    json={"request_id": load.acked[i], "label": label},
                    headers=headers,
                    timeout=30,
                ).status_code
                for i, label in ((0, [1, 2]), (1, {"x": 1}), (2, "no-such-class"))
            ]
            figures["bad_feedback_statuses"] = bad
            steps = loop_steps(project)
            wait_until(lambda: loop_steps(project) >= steps + 2, 120, "two more loop steps")
            time.sleep(seconds)
        figures["loop_running"] = loop.poll() is None
    finally:
        server.__exit__(None, None, None)
        loop.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            loop.wait(timeout=30)
        if loop.poll() is None:
            loop.kill()
        loop_out.close()
    return _figures(project, load, lost_with_file, corrupted, figures)


def _figures(
    project: Project, load: Load, lost_with_file: set[str], corrupted: str, figures: dict[str, Any]
) -> dict[str, Any]:
    from fullcycle.serving.segments import read_log

    logged = set(read_log(project._db).request_id)
    acked = set(load.acked)
    figures["acknowledged"] = len(acked)
    figures["lost_with_the_corrupted_file"] = len(acked & lost_with_file)
    figures["lost"] = len(acked - logged - lost_with_file)
    opened = [e.subject for e in events.listing(project._db, kind="alert.open", limit=1000)]
    figures["alerts"] = sorted({s.split(":")[0] for s in opened})
    figures["watch_errors"] = len(events.listing(project._db, kind="watch.error", limit=1000))
    figures["quarantined"] = [
        e.subject == corrupted for e in events.listing(project._db, kind="log.quarantined")
    ]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds-per-phase", type=float, default=4.0)
    parser.add_argument("--durability", choices=("strict", "fast"), default="strict")
    parser.add_argument("--rlimit", action="store_true", help="full disk by RLIMIT_FSIZE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(
            Path(tmp), args.seconds_per_phase, durability=args.durability, rlimit=args.rlimit
        )
    for key, value in figures.items():
        print(f"{key:32s} {value}")


if __name__ == "__main__":
    main()
