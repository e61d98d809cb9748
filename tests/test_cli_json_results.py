"""``--json`` on the commands that gained it late: label queue / export / merge, monitor list,
loop --once and loop submit. Each prints one JSON document on stdout and nothing else."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_iris

from fullcycle.cli import main
from fullcycle.project import Project


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, (argv, err)
    return json.loads(out)  # the whole of stdout is the JSON document


@pytest.fixture
def iris(tmp_path: Path) -> Path:
    """An iris project with a dataset iris@1 and a model iris:1 in production."""
    folder = tmp_path / "iris"
    with Project.init(folder, "iris", target="target") as project:
        frame = load_iris(as_frame=True).frame
        frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
        data = project.add_data(frame, "iris", infer_contract=True)
        project.train(data.ref, learning_curve=False)
        version = project.register()
        project.promote(version.ref, "production", force=True, reason="test set-up")
    return folder


def test_label_queue_export_and_merge_print_json(iris: Path, tmp_path: Path, capsys) -> None:
    p = ("-C", str(iris))
    queued = run_json(
        capsys, "label", "queue", "--budget", "5", "--from", "iris@1", "--strategy", "random", *p
    )
    assert queued["queued"] == 5 and queued["waiting"] == 5 and queued["source"] == "iris@1"
    batch = queued["batch"]
    assert batch and queued["strategy"] == "random"
    out = tmp_path / "tasks.json"
    exported = run_json(
        capsys, "label", "export", "--batch", batch, "-f", "labelstudio", "-o", str(out), *p
    )
    assert exported["tasks"] == 5 and exported["batch"] == batch
    assert Path(exported["path"]) == out and len(json.loads(out.read_text())) == 5
    assert Path(exported["config"]).read_text(encoding="utf-8").startswith("<View")
    rows = tmp_path / "tasks.csv"
    assert run_json(capsys, "label", "export", "-o", str(rows), *p)["tasks"] == 5
    with open(rows, encoding="utf-8", newline="") as fh:
        tasks = list(csv.DictReader(fh))
    with open(rows, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*tasks[0], "label"])
        writer.writeheader()
        writer.writerows([{**t, "label": "setosa"} for t in tasks])
    assert run_json(capsys, "label", "import", str(rows), *p)["imported"] == 5
    merged = run_json(capsys, "label", "merge", "--base", "iris@1", *p)
    assert merged["ref"] == "iris@2" and merged["labelled_rows_added"] == 5
    assert merged["n_rows"] == 155


def test_monitor_list_prints_the_stored_reports(iris: Path, capsys) -> None:
    p = ("-C", str(iris))
    assert run_json(capsys, "monitor", "list", *p) == []
    report = run_json(capsys, "monitor", "--window", "all", *p)
    (listed,) = run_json(capsys, "monitor", "list", *p)
    assert listed["model"] == "iris" and listed["version"] == report["version"] == 1
    assert listed["verdict"] == report["verdict"]


def test_loop_once_and_submit_print_the_action_and_reasons(iris: Path, capsys) -> None:
    p = ("-C", str(iris))
    step = run_json(capsys, "loop", "--once", *p)
    assert step["action"] == "none" and "insufficient data" in step["reasons"][0]
    assert isinstance(step["numbers"], dict)
    with Project.open(iris) as project:
        project.train("iris@1", learning_curve=False, seed=2)
        assert project.register().ref == "iris:2"
    argv = ("loop", "submit", "iris:2", "--skip-gate", "--reason", "by hand", *p)
    submitted = run_json(capsys, *argv)
    assert submitted["action"] == "rollout_started"
    assert submitted["reasons"] == ["iris:2 submitted: by hand"]
