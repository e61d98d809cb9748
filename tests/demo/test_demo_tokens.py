"""The demo leaves no usable token behind and none in a log (issue 16.6)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fullcycle.cli import main
from fullcycle.cli.serve import show_bootstrap_token
from fullcycle.demo import server as demo_server
from fullcycle.project import Project
from fullcycle.testing import wait_until


def test_a_bootstrap_token_never_goes_to_a_redirected_output(tmp_path: Path, capsys) -> None:
    show_bootstrap_token("fc_secret_value", tmp_path / "state")
    out, err = capsys.readouterr()
    assert "fc_secret_value" not in out + err
    path = tmp_path / "state" / "bootstrap-admin-token"
    assert path.read_text().strip() == "fc_secret_value"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.slow
def test_the_demo_server_log_holds_no_token_and_demo_tokens_end_with_it(
    tmp_path: Path, monkeypatch
) -> None:
    folder = tmp_path / "voice"
    assert main(["init", "voice", "--dir", str(folder)]) == 0
    log = folder / "server.log"
    monkeypatch.setattr(demo_server.Server, "wait_ready", lambda self: None)
    with demo_server.Server(folder, log=log):
        wait_until(lambda: "serving" in log.read_text(), timeout=120, what="the server log")
        live = [t for t in Project.open(folder).tokens() if t.revoked_at is None]
        assert [t.role for t in live] == ["admin"]
        assert live[0].expires_at is not None  # it expires with the demo
    text = log.read_text()
    assert "serving" in text and "fc_" not in text and "bootstrap" not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert all(t.revoked_at is not None for t in Project.open(folder).tokens())
