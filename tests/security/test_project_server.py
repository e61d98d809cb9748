"""The server over a real project: a corrupt artifact (RELIABILITY.md B 17, F 37), and
``fullcycle serve`` as a process: bootstrap token, tokens on /predict, dashboard at /ui."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from seckit import Running, bearer

import trainkit
from fullcycle import registry
from fullcycle.project import Project
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook
from fullcycle.serving.runtime import Runtime
from fullcycle.serving.source import RegistrySource
from fullcycle.store import alerts, deployments
from fullcycle.testing import free_port, make_project, wait_serving

pytestmark = pytest.mark.anyio
ROW = {"amount": 0.3, "visits": 2, "city": "paris"}


def small_project(folder: Path) -> Project:
    """Two registered versions of ``churn``; version 1 in production."""
    project: Project = make_project(
        folder,
        name="churn",
        data=trainkit.served_frame(),
        data_name="customers",
        train=[{"max_iter": 60}, {"max_iter": 120}],
    )
    project.promote("churn:1", "production", force=True, reason="test")
    deployments.set(project._db, "churn", production=1, actor="test")
    return project


async def test_a_corrupt_version_is_refused_marked_and_alerted_while_serving_goes_on(tmp_path):
    project = small_project(tmp_path / "p")
    settings = project.settings
    logbook = Logbook(project._db, settings.resolved_log_url(), model="churn")
    runtime = Runtime(RegistrySource(settings, "churn"), logbook, db=project._db, poll_s=0.05)
    app = create_app(runtime, access=Access(), gc_freeze=False)
    sha = registry.resolve(project._db, "churn:2").artifact_sha256
    [path] = [p for p in (tmp_path / "p").rglob(sha) if p.is_file()]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    async with Running(app) as client:
        assert (await client.post("/predict", json={"records": [ROW]})).status_code == 200
        deployments.set(project._db, "churn", production=2, actor="test")
        swap = await client.post("/admin/reload")
        after = [await client.post("/predict", json={"records": [ROW]}) for _ in range(5)]
    assert swap.status_code == 409 and "corrupt" in swap.json()["error"]
    assert {r.status_code for r in after} == {200}
    assert {r.headers["x-model-version"] for r in after} == {"1"}
    assert registry.resolve(project._db, "churn:2").status == "corrupt"
    assert [a["key"] for a in alerts.open_alerts(project._db)] == ["model.corrupt:churn:2"]


def start(folder: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FULLCYCLE_PROJECT_DIR": str(folder)}
    cmd = [sys.executable, "-m", "fullcycle", "serve", "--port", str(port), *extra]
    return subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE, text=True)


def wait_ready(proc: subprocess.Popen[str], port: int) -> None:
    wait_serving(proc, port, timeout=90, interval=0.2)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    return out


@pytest.mark.slow
def test_fullcycle_serve_checks_tokens_prints_one_bootstrap_token_and_mounts_the_dashboard(
    tmp_path,
):
    folder = tmp_path / "p"
    small_project(folder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(folder, port)
    try:
        wait_ready(proc, port)
        with httpx.Client(base_url=url, timeout=30) as client:
            refused = client.post("/predict", json={"records": [ROW]})
            ui_anon = client.get("/ui/models")
            evil = client.get("/v2/health/live", headers={"host": "evil.example"})
    finally:
        out = stop(proc)
    # stdout is a pipe here: the token goes to a 0600 file, never into the output (a log)
    assert not [line for line in out.splitlines() if line.startswith("fc_")]
    kept = folder / ".fullcycle" / "bootstrap-admin-token"
    assert kept.stat().st_mode & 0o777 == 0o600
    token = kept.read_text().strip()
    assert token.startswith("fc_")
    kept.unlink()
    assert refused.status_code == 401
    assert ui_anon.status_code in (303, 307, 401) or "login" in ui_anon.text
    assert evil.status_code == 400
    proc = start(folder, port)
    try:
        wait_ready(proc, port)
        with httpx.Client(base_url=url, timeout=30, headers=bearer(token)) as client:
            ok = client.post("/predict", json={"records": [ROW]})
            page = client.get("/ui/models")
            metrics = client.get("/metrics")
    finally:
        again = stop(proc)
    assert ok.status_code == 200 and ok.json()["version"] == 1
    assert page.status_code == 200 and "churn" in page.text
    assert metrics.status_code == 200
    assert not [line for line in again.splitlines() if line.startswith("fc_")]
    assert not kept.exists()  # shown once: an admin token exists now
