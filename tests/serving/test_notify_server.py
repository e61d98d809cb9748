"""FULLCYCLE_SERVER_URL and FULLCYCLE_TOKEN: a deployment change made from the CLI nudges the
running server (POST /admin/reload) so it swaps now rather than at its next poll."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fullcycle.testing import free_port, make_project, wait_serving


def _cli(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "FULLCYCLE_PROJECT_DIR": str(folder), **env}
    cmd = [sys.executable, "-m", "fullcycle", *args]
    return subprocess.run(cmd, env=environ, capture_output=True, text=True, timeout=120)


def test_without_a_server_url_nothing_is_contacted(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", "churn", rows=120, versions=1, deploy=True)
    assert project.deployments.notify_server() is None


def test_an_unreachable_server_is_named_and_the_deployment_still_moves(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    make_project(folder, "churn", rows=120, versions=2, deploy=True)
    url = f"http://127.0.0.1:{free_port()}"
    done = _cli(folder, "deploy", "production", "churn:1", FULLCYCLE_SERVER_URL=url)
    assert done.returncode == 0, done.stderr
    assert "not reached" in done.stderr and url in done.stderr
    status = _cli(folder, "deploy", "status", "--json")
    assert '"production": 1' in status.stdout


@pytest.mark.slow
def test_deploy_nudges_the_running_server_with_the_token(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    project = make_project(folder, "churn", rows=120, versions=2, deploy=True)
    _name, admin = project.tokens.create("admin", name="deployer", actor="test")
    _name, reader = project.tokens.create("read", name="reader", actor="test")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FULLCYCLE_PROJECT_DIR": str(folder)}
    serve = [sys.executable, "-m", "fullcycle", "serve", "--port", str(port)]
    proc = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_serving(proc, port, timeout=180, interval=0.2)
        refused = _cli(
            folder, "deploy", "production", "churn:1",
            FULLCYCLE_SERVER_URL=url, FULLCYCLE_TOKEN=reader,
        )  # fmt: skip
        nudged = _cli(
            folder, "deploy", "production", "churn:2",
            FULLCYCLE_SERVER_URL=url, FULLCYCLE_TOKEN=admin,
        )  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert refused.returncode == 0 and "answered 403" in refused.stderr
    assert "FULLCYCLE_TOKEN" in refused.stderr
    assert nudged.returncode == 0 and f"{url}/admin/reload: reloaded" in nudged.stderr
    reloads = project.events(kind="server.reload")
    assert [e.actor for e in reloads] == ["deployer"], reloads
