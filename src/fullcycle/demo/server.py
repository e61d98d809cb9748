"""A real ``fullcycle serve`` process on 127.0.0.1 for the demo, started and stopped cleanly.

The demo's tokens live as long as the demo: an admin token made here (so the server never
prints a bootstrap token into its log) expires after ``DEMO_TOKEN_TTL_S`` and, with every other
``demo-`` token, is revoked when the server stops. The server's log file is 0600.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fullcycle.errors import StoreUnavailable
from fullcycle.ports import free_port, listens

DEMO_TOKEN_TTL_S = 6 * 3600.0  # longer than any demo; revoked at its end anyway
DEMO_PREFIX = "demo-"


class Server:
    """``with Server(folder) as url: ...`` runs the project's server for the block."""

    def __init__(self, folder: Path, port: int | None = None, log: Path | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or folder / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        env = {**os.environ, "FULLCYCLE_PROJECT_DIR": str(self.folder)}
        demo_admin(self.folder)
        fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # a file made before by another version may be wider
        with os.fdopen(fd, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "fullcycle", "serve", "--port", str(self.port)],
                cwd=self.folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()
        return self.url

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise StoreUnavailable(
                    f"the server exited with {self.proc.returncode}; see {self.log}"
                )
            try:  # the port may have been taken meanwhile: wait for our own server's answer
                mine = self.proc is None or listens(self.proc.pid, self.port) is not False
                if mine and httpx.get(f"{self.url}/v2/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise StoreUnavailable(f"the server on {self.url} did not become ready; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        revoke_demo_tokens(self.folder)


def demo_admin(folder: Path) -> None:
    """An admin token for the demo's lifetime, so the server has no bootstrap token to print;
    it is never shown (the demo acts with its own write token)."""
    import uuid

    from fullcycle.project import Project

    project = Project.open(folder)
    name = f"{DEMO_PREFIX}admin-{uuid.uuid4().hex[:8]}"
    project.tokens.create("admin", name=name, expires_in_s=DEMO_TOKEN_TTL_S, actor="demo")


def revoke_demo_tokens(folder: Path) -> None:
    """Revoke every live token the demo made: they end with the demo."""
    from fullcycle.project import Project

    project = Project.open(folder)
    for token in project.tokens():
        if token.name.startswith(DEMO_PREFIX) and token.revoked_at is None:
            project.revoke_token(token.name)
