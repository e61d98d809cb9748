import math
import subprocess
from pathlib import Path

import pytest

from fullcycle.errors import AlreadyExists, InvalidInput, InvalidName, NotFound
from fullcycle.project import Project


def test_a_run_records_params_metrics_artifacts_and_environment(
    bare_project: Project, tmp_path: Path
) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"\x00\x01" * 100)
    with bare_project.start_run("baseline", params={"lr": 0.1, "depth": 3}, seed=7) as run:
        for step in range(25):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_metric("accuracy", 0.9)
        sha = run.log_artifact(weights)
    info = bare_project.run(run.id)
    assert info.status == "finished"
    assert info.seed == 7
    assert info.params == {"lr": 0.1, "depth": 3}  # params keep their types
    assert info.latest_metrics == {"loss": pytest.approx(1 / 25), "accuracy": 0.9}
    assert info.artifacts == {"weights.bin": sha}
    assert bare_project._artifacts.get_bytes(sha) == weights.read_bytes()
    assert info.environment["python"].count(".") == 2
    assert "numpy" in info.environment["packages"]
    assert info.ended_at is not None and info.ended_at >= info.started_at
    history = bare_project.metric_history(run.id, "loss")
    assert [p.step for p in history] == list(range(25))
    assert history[3].value == pytest.approx(0.25)


def test_a_crash_inside_the_run_marks_it_failed_and_keeps_what_was_logged(
    bare_project: Project,
) -> None:
    with pytest.raises(ZeroDivisionError), bare_project.start_run("crashes") as run:
        run.log_metric("loss", 0.5)
        run.log_metric("loss", 0.4)
        _ = 1 / 0
    info = bare_project.run(run.id)
    assert info.status == "failed"
    assert "ZeroDivisionError" in (info.error or "")
    assert [p.value for p in bare_project.metric_history(run.id, "loss")] == [0.5, 0.4]


def test_points_are_buffered_and_flushed_in_batches(bare_project: Project) -> None:
    with bare_project.start_run("buffered", flush_every=100, flush_interval_s=3600) as run:
        for i in range(150):
            run.log_metric("x", i)
        assert len(bare_project.metric_history(run.id, "x")) == 100  # one batch written so far
    assert len(bare_project.metric_history(run.id, "x")) == 150


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "0.3", None, True, [1.0]])
def test_metric_values_that_are_not_finite_numbers_are_refused(
    bare_project: Project, value: object
) -> None:
    with bare_project.start_run("bad-metric") as run:
        with pytest.raises(InvalidInput, match="metric 'loss'"):
            run.log_metric("loss", value)
        run.log_metric("loss", 1.0)
    assert [p.value for p in bare_project.metric_history(run.id, "loss")] == [1.0]


@pytest.mark.parametrize("name", ["../escape.bin", "/etc/passwd", "a\x00b", "%2e%2e%2fx"])
def test_artifact_names_that_could_escape_are_refused(
    bare_project: Project, tmp_path: Path, name: str
) -> None:
    f = tmp_path / "ok.txt"
    f.write_text("x")
    with bare_project.start_run("names") as run, pytest.raises(InvalidName, match="artifact name"):
        run.log_artifact(f, name=name)
    assert bare_project.run(run.id).artifacts == {}


def test_run_names_are_checked(bare_project: Project) -> None:
    with pytest.raises(InvalidName, match="run name"):
        bare_project.start_run("../../x")
    assert bare_project.runs() == []


def test_params_are_immutable_once_logged(bare_project: Project) -> None:
    with bare_project.start_run("p", params={"lr": 0.1}) as run:
        run.log_param("lr", 0.1)  # the same value again is fine
        with pytest.raises(AlreadyExists, match="'lr'"):
            run.log_param("lr", 0.2)
    assert bare_project.run(run.id).params == {"lr": 0.1}


def test_runs_list_newest_first_and_resolve_prefixes_and_latest(bare_project: Project) -> None:
    ids = []
    for i in range(3):
        with bare_project.start_run(f"r{i}") as run:
            run.log_metric("m", i)
        ids.append(run.id)
    assert [r.id for r in bare_project.runs()] == ids[::-1]
    assert bare_project.run("latest").id == ids[-1]
    assert bare_project.run(ids[0][:10]).id == ids[0]
    with pytest.raises(NotFound, match="does not exist"):
        bare_project.run("ffffffffffffffff")


def test_a_run_records_the_git_commit_and_dirtiness(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "train.py").write_text("print(1)\n")
    subprocess.run([*git, "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "x"], check=True)
    from fullcycle.settings import Settings

    project = Project(Settings.from_env({}, project_dir=tmp_path))
    with project.start_run("clean") as clean:
        pass
    (tmp_path / "train.py").write_text("print(2)\n")
    with project.start_run("dirty") as dirty:
        pass
    a, b = project.run(clean.id), project.run(dirty.id)
    assert a.git_commit and len(a.git_commit) == 40 and a.git_dirty is False
    assert b.git_commit == a.git_commit and b.git_dirty is True
