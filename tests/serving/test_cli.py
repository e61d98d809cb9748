"""``fullcycle deploy ...``, ``fullcycle rollback`` and ``fullcycle serve``'s refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

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


def _skops_model(path, seed: int):
    import numpy as np
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 2))
    sio.dump(LogisticRegression().fit(x, (x[:, 0] > 0).astype(int)), path)
    return path


@pytest.fixture
def env(tmp_path, monkeypatch) -> Database:
    """A project ``churn`` with three imported versions; commands run from its folder."""
    from fullcycle.project import Project

    monkeypatch.delenv("FULLCYCLE_PROJECT_DIR", raising=False)
    monkeypatch.delenv("FULLCYCLE_DATABASE_URL", raising=False)
    monkeypatch.delenv("FULLCYCLE_TOKEN", raising=False)
    folder = tmp_path / "churn"
    project = Project.init(folder, "churn")
    for i in range(3):
        project.models.import_file(_skops_model(tmp_path / f"m{i}.skops", i), name="churn")
    project.close()
    monkeypatch.chdir(folder)
    return Database.open(f"sqlite:///{folder / '.fullcycle' / 'fullcycle.db'}")


def test_deploy_canary_promote_and_rollback(env, capsys):
    assert cli(["deploy", "production", "churn:1"], capsys)[0] == 0
    code, out, _ = cli(["deploy", "canary", "churn:2", "--share", "0.25", "--json"], capsys)
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
    code, out, _ = cli(["deploy", "status", "churn", "--json"], capsys)
    assert code == 0 and len(json.loads(out)) == 5
    assert len(events.listing(env, kind="deployment")) == 5


def test_the_production_alias_follows_every_deployment_change(env, capsys):
    from fullcycle.store import models

    def alias() -> int:
        return models.get_alias(env, "churn", "production").version

    assert cli(["deploy", "production", "churn:1"], capsys)[0] == 0
    assert alias() == 1
    assert cli(["deploy", "canary", "churn:2"], capsys)[0] == 0
    assert cli(["deploy", "promote"], capsys)[0] == 0
    assert alias() == 2 == deployments.current(env, "churn").production
    assert cli(["rollback"], capsys)[0] == 0
    assert alias() == 1 == deployments.current(env, "churn").production


def test_deploy_in_a_subfolder_uses_the_project_above_and_creates_no_store(env, capsys):
    assert cli(["deploy", "production", "churn:2"], capsys)[0] == 0
    sub = Path.cwd() / "notebooks" / "deep"
    sub.mkdir(parents=True)
    os.chdir(sub)
    code, out, _ = cli(["deploy", "status", "--json"], capsys)
    assert code == 0 and json.loads(out)[0]["production"] == 2
    assert not (sub / ".fullcycle").exists() and not (sub.parent / ".fullcycle").exists()


def test_deploy_and_rollback_take_a_project_folder(env, capsys, tmp_path):
    os.chdir(tmp_path)
    code, _, err = cli(["deploy", "status"], capsys)
    assert code == 5 and "fullcycle.yaml" in err and not (tmp_path / ".fullcycle").exists()
    assert cli(["deploy", "production", "churn:1", "-C", "churn"], capsys)[0] == 0
    assert cli(["deploy", "production", "churn:3", "--project", "churn"], capsys)[0] == 0
    code, out, _ = cli(["rollback", "-C", "churn", "--json"], capsys)
    assert code == 0 and json.loads(out)["production"] == 1


def test_deploy_errors_say_what_to_do(env, capsys):
    code, _, err = cli(["deploy", "canary", "churn:2"], capsys)
    assert code == 5 and "deploy production churn:N" in err
    code, _, err = cli(["deploy", "production", "churn:9"], capsys)
    assert code == 5 and "churn:9" in err and deployments.current(env, "churn") is None
    code, _, err = cli(["deploy", "production", "churn"], capsys)
    assert code == 4 and "NAME:N" in err
    code, _, err = cli(["deploy", "production", "../x:1"], capsys)
    assert code == 4
    code, _, err = cli(["rollback", "churn"], capsys)
    assert code == 5 and "no previous revision" in err


def test_serve_refuses_a_public_bind_without_auth(env, capsys, tmp_path):
    os.chdir(tmp_path)
    code, _, err = cli(["serve", "--host", "0.0.0.0", "--model", "churn", "--no-auth"], capsys)
    assert code == 3 and "--allow-insecure" in err
    code, _, err = cli(["serve", "--host", "::", "--model", "churn", "--no-auth"], capsys)
    assert code == 3 and "--no-auth" in err


def test_serve_needs_a_model_name(env, capsys, monkeypatch, tmp_path):
    os.chdir(tmp_path)
    monkeypatch.delenv("FULLCYCLE_MODEL", raising=False)
    code, _, err = cli(["serve"], capsys)
    assert code == 3 and "--model" in err
