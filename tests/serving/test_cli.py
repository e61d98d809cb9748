"""``fullcycle deploy ...``, ``fullcycle rollback`` and ``fullcycle serve``'s refusals."""

from __future__ import annotations

import json

import pytest
import typer

from fullcycle.cli import _errors, deploy, serve
from fullcycle.store import deployments, events
from fullcycle.store.db import Database


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    deploy.register(app)
    serve.register(app)
    code = _errors.run_guarded(app, argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def env(tmp_path, monkeypatch) -> Database:
    monkeypatch.setenv("FULLCYCLE_PROJECT_DIR", str(tmp_path))
    monkeypatch.delenv("FULLCYCLE_DATABASE_URL", raising=False)
    monkeypatch.delenv("FULLCYCLE_TOKEN", raising=False)
    return Database.open(f"sqlite:///{tmp_path / '.fullcycle' / 'fullcycle.db'}")


def test_deploy_canary_promote_and_rollback(env, capsys):
    assert cli(["deploy", "production", "churn:1"], capsys)[0] == 0
    code, out, _ = cli(["deploy", "canary", "churn:2", "--share", "0.25"], capsys)
    assert code == 0 and json.loads(out)["canary_share"] == 0.25
    assert cli(["deploy", "shadow", "churn:3"], capsys)[0] == 0
    now = deployments.current(env, "churn")
    assert (now.production, now.canary, now.shadow) == (1, 2, 3)
    assert cli(["deploy", "promote", "churn"], capsys)[0] == 0
    now = deployments.current(env, "churn")
    assert (now.production, now.canary, now.shadow) == (2, None, 3)
    assert cli(["rollback", "churn", "--reason", "errors up"], capsys)[0] == 0
    now = deployments.current(env, "churn")
    assert (now.production, now.canary) == (1, 2)
    code, out, _ = cli(["deploy", "status", "churn"], capsys)
    assert code == 0 and len(out.strip().splitlines()) == 5
    assert len(events.listing(env, kind="deployment")) == 5


def test_deploy_errors_say_what_to_do(env, capsys):
    code, _, err = cli(["deploy", "canary", "churn:2"], capsys)
    assert code == 5 and "deploy production churn:N" in err
    code, _, err = cli(["deploy", "production", "churn"], capsys)
    assert code == 4 and "NAME:N" in err
    code, _, err = cli(["deploy", "production", "../x:1"], capsys)
    assert code == 4
    code, _, err = cli(["rollback", "churn"], capsys)
    assert code == 5 and "no previous revision" in err


def test_serve_refuses_a_public_bind_without_auth(env, capsys):
    code, _, err = cli(["serve", "--host", "0.0.0.0", "--model", "churn", "--no-auth"], capsys)
    assert code == 3 and "--allow-insecure" in err
    code, _, err = cli(["serve", "--host", "::", "--model", "churn", "--no-auth"], capsys)
    assert code == 3 and "--no-auth" in err


def test_serve_needs_a_model_name(env, capsys, monkeypatch):
    monkeypatch.delenv("FULLCYCLE_MODEL", raising=False)
    code, _, err = cli(["serve"], capsys)
    assert code == 3 and "--model" in err
