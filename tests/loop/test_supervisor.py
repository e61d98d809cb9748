"""``loop --watch`` and ``monitor --watch`` survive any one bad step (issue 16.4): the failure is
an event and an alert, the next step runs, and the first clean step closes the alert."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fullcycle.cli import main
from fullcycle.loop.supervisor import describe, supervised
from fullcycle.project import Project
from fullcycle.store import alerts, events


class StoreError(Exception):
    """Shaped like SQLAlchemy's errors: the SQL and its parameters follow the message."""

    def __str__(self) -> str:
        return "(sqlite3.IntegrityError) UNIQUE failed\n[SQL: INSERT ...]\n[parameters: ('hash',)]"


class StopWatch(BaseException):
    """Raised from the pause to end a watch that would otherwise run forever."""


def test_failed_steps_are_recorded_and_the_watch_goes_on(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "voice", "voice")
    db = project._db
    outcomes = [StoreError(), ValueError("label [1, 2] is not a class"), None, None]
    said: list[str] = []

    def step() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    failed = supervised(
        step,
        project=project,
        name="loop",
        watch=True,
        pause_s=0,
        say=said.append,
        count=4,
        sleep=lambda _s: None,
    )
    assert failed == 2 and outcomes == []
    errors = events.listing(db, kind="watch.error")
    assert len(errors) == 2 and all(e.subject == "loop" for e in errors)
    assert all("parameters" not in e.message and "hash" not in e.message for e in errors)
    assert [e.kind for e in events.listing(db, kind="alert.")] == ["alert.close", "alert.open"]
    assert not alerts.open_alerts(db)
    assert len(said) == 2 and "ValueError" in said[1]


def test_without_watch_the_error_reaches_the_caller(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "voice", "voice")

    def step() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError):
        supervised(step, project=project, name="monitor", watch=False, pause_s=0, say=print)


def test_describe_never_shows_sql_parameters() -> None:
    assert describe(StoreError()) == "StoreError: (sqlite3.IntegrityError) UNIQUE failed"


def stop_after(monkeypatch: pytest.MonkeyPatch, pauses: int) -> None:
    calls: list[float] = []

    def pause(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) >= pauses:
            raise StopWatch

    monkeypatch.setattr(time, "sleep", pause)


def fresh_project(tmp_path: Path) -> Path:
    folder = tmp_path / "voice"
    assert main(["init", "voice", "--dir", str(folder)]) == 0
    return folder


def test_monitor_watch_survives_steps_that_fail(tmp_path: Path, capsys) -> None:
    folder = fresh_project(tmp_path)  # nothing is in production: every monitor step fails
    code = main(["monitor", "-C", str(folder), "--watch", "--every", "1s", "--count", "3"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("monitor step failed") == 3 and "Traceback" not in out
    project = Project.open(folder)
    assert len(project.events(kind="watch.error")) == 3
    assert [a["key"] for a in alerts.open_alerts(project._db)] == ["watch.monitor"]


def test_loop_watch_survives_a_step_that_crashes(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = fresh_project(tmp_path)

    def crash(self: Project) -> None:
        raise KeyError("a bad row the step did not expect")

    monkeypatch.setattr(Project, "loop_step", crash)
    stop_after(monkeypatch, 3)
    with pytest.raises(StopWatch):
        main(["loop", "-C", str(folder), "--watch", "--no-monitor-first", "--every", "1s"])
    assert capsys.readouterr().out.count("loop step failed") == 3
    assert len(Project.open(folder).events(kind="watch.error")) == 3
