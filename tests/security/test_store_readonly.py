"""A store that cannot be written (read-only, full, locked) is 503, not 500; the CLI says it in
one line; no error or trace ever shows SQL parameters (issue 16.9 and 16.15)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from serving_fixtures import MODEL, FixtureSource, rows

from fullcycle.cli import main
from fullcycle.serving.app import create_app
from fullcycle.serving.guard import Access
from fullcycle.serving.logbook import Logbook, LogConfig
from fullcycle.serving.runtime import Runtime
from fullcycle.store import deployments
from fullcycle.store.db import Database


@pytest.mark.anyio
async def test_a_read_only_store_answers_503_and_readiness_is_degraded(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    deployments.set(Database.open(f"sqlite:///{path}"), MODEL, production=1, actor="test")
    # the same store as a server sees it once its file went read-only (root ignores chmod)
    db = Database.open(f"sqlite:///file:{path}?mode=ro&uri=true")
    book = Logbook(db, tmp_path / "logs", model=MODEL, config=LogConfig(fsync_interval_s=0.01))
    runtime = Runtime(FixtureSource(db), book, db=db, poll_s=0.05)
    app = create_app(runtime, access=Access(allowed_hosts=("test",)), gc_freeze=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            pred = await client.post("/predict", json={"records": rows(1)})
            assert pred.status_code == 200  # predictions keep being served
            rid = pred.json()["request_id"]
            fb = await client.post("/feedback", json={"request_id": rid, "label": "yes"})
            assert fb.status_code == 503 and fb.json()["kind"] == "StoreUnavailable"
            reload = await client.post("/admin/reload")
            assert reload.status_code in (200, 503)
            ready = (await client.get("/v2/health/ready")).json()
            assert ready["degraded"] is True


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "p"
    assert main(["init", "voice", "--dir", str(folder)]) == 0
    return folder


def test_the_cli_says_a_read_only_store_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    folder = project(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    capsys.readouterr()
    store = next((folder / ".fullcycle").glob("*.db"))
    monkeypatch.setenv("FULLCYCLE_DATABASE_URL", f"sqlite:///file:{store}?mode=ro&uri=true")
    code = main(["token", "create", "--role", "read", "-C", str(folder)])
    err = capsys.readouterr().err
    assert code == 9
    assert "unavailable" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    # the URI filename is not a folder name: nothing named "file:" made where the CLI ran
    assert not (tmp_path / "elsewhere" / "file:").exists()


def refuse_tokens(folder: Path) -> None:
    """An unexpected store error: a trigger refuses every new token."""
    store = next((folder / ".fullcycle").glob("*.db"))
    with sqlite3.connect(store) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON tokens BEGIN SELECT boom(NEW.name); END"
        )


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_store_errors_never_print_sql_parameters(tmp_path, capsys, debug) -> None:
    folder = project(tmp_path)
    refuse_tokens(folder)
    capsys.readouterr()
    args = ["token", "create", "--role", "admin", "--name", "secret-bot", "-C", str(folder)]
    code = main(args + (["--debug"] if debug else []))
    out, err = capsys.readouterr()
    assert code == 1
    assert "boom" in err
    assert "[parameters" not in err and "secret-bot" not in err
    assert ("Traceback" in err) is debug
