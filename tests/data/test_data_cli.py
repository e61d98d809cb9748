"""The data and label commands, end to end through the CLI entry point on a real project."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fullcycle.cli import main
from fullcycle.project import Project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    Project.init(tmp_path / "proj", "demo", target="label").close()
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, size=n),
            "color": rng.choice(["red", "green", "blue"], size=n),
            "label": rng.choice(["yes", "no"], size=n),
        }
    )
    frame.to_csv(tmp_path / "customers.csv", index=False)
    p = rng.random(20)
    scored = (
        frame.head(20)
        .drop(columns="label")
        .assign(
            request_id=[f"r{i}" for i in range(20)],
            prediction=np.where(p > 0.5, "yes", "no"),
            proba_yes=p,
            proba_no=1 - p,
        )
    )
    scored.to_csv(tmp_path / "scored.csv", index=False)
    return tmp_path / "proj"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_data_and_label_commands(
    project_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["-C", str(project_dir)]
    code, out, err = run(
        capsys,
        "data",
        "add",
        str(tmp_path / "customers.csv"),
        "--name",
        "customers",
        "--infer-contract",
        *c,
    )
    assert code == 0, err
    assert "added customers@1: 60 rows x 3 columns" in out
    features = yaml.safe_load((project_dir / "fullcycle.yaml").read_text())["features"]
    assert [f["name"] for f in features["columns"]] == ["age", "color"]
    assert sorted(features["target"]["classes"]) == ["no", "yes"]

    code, out, _ = run(
        capsys, "data", "add", str(tmp_path / "customers.csv"), "--name", "customers", *c
    )
    assert code == 0 and "unchanged, already stored as customers@1" in out

    code, out, _ = run(capsys, "data", "list", *c)
    assert code == 0 and "customers@1" in out
    code, out, _ = run(capsys, "data", "show", "customers@1", *c)
    assert code == 0 and "age" in out and "3 distinct" in out
    code, out, _ = run(capsys, "data", "show", "customers@1", "--json", *c)
    assert json.loads(out)["profile"]["age"]["kind"] == "integer"

    code, _, err = run(capsys, "data", "add", str(tmp_path / "scored.csv"), "--name", "scored", *c)
    assert code == 4 and "target column 'label' is missing" in err
    code, out, err = run(
        capsys, "data", "add", str(tmp_path / "scored.csv"), "--name", "scored", "--unlabelled", *c
    )
    assert code == 0, err

    code, out, err = run(
        capsys, "label", "queue", "--budget", "5", "--strategy", "entropy", "--from", "scored@1", *c
    )
    assert code == 0, err
    batch = out.split("queued batch ")[1].split()[0]
    code, _, err = run(
        capsys, "label", "queue", "--budget", "5", "--from", "scored@1", "--model", "clf:1", *c
    )
    assert code == 3 and "not available yet" in err

    tasks_file = tmp_path / "tasks.json"
    code, out, err = run(
        capsys,
        "label",
        "export",
        "--format",
        "labelstudio",
        "--batch",
        batch,
        "--out",
        str(tasks_file),
        *c,
    )
    assert code == 0 and "wrote 5 tasks" in out, err
    assert "<Choices" in tasks_file.with_suffix(".config.xml").read_text()
    tasks = json.loads(tasks_file.read_text())
    for i, task in enumerate(tasks):
        task["annotations"] = [
            {
                "id": i,
                "completed_by": 1,
                "result": [
                    {
                        "type": "choices",
                        "from_name": "label",
                        "to_name": "row",
                        "value": {"choices": ["yes"]},
                    }
                ],
            }
        ]
    tasks_file.write_text(json.dumps(tasks))
    code, out, err = run(capsys, "label", "import", str(tasks_file), *c)
    assert code == 0 and "imported 5 labels" in out, err

    code, out, err = run(capsys, "label", "merge", "--base", "customers@1", *c)
    assert code == 0 and "created customers@2: 65 rows (5 labelled rows added)" in out, err
    code, out, _ = run(capsys, "data", "lineage", "customers@2", *c)
    assert code == 0
    assert "customers@2" in out and "merge of customers@1" in out and "file customers.csv" in out


def test_bad_input_exit_codes(
    project_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ["-C", str(project_dir)]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = run(capsys, "data", "add", str(empty), "--name", "x", *c)
    assert code == 4 and "empty.csv is empty" in err
    code, _, err = run(capsys, "data", "add", str(empty), "--name", "../x", *c)
    assert code == 4 and "dataset name '../x' is not allowed" in err
    code, _, err = run(capsys, "data", "show", "nothing@3", *c)
    assert code == 5 and "dataset nothing@3 does not exist" in err
    labels = tmp_path / "labels.csv"
    labels.write_text("task_id,label\n41,yes\n")
    code, _, err = run(capsys, "label", "import", str(labels), *c)
    assert code == 4 and "task 41 was never queued" in err
