"""Label files: CSV formula injection escaped (and undone on import), bad files give one line."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_iris

from fullcycle.cli import main
from fullcycle.data.label_io import escape_cell, unescape_cell
from fullcycle.project import Project

HOSTILE = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def cli(*argv: str, project: Path) -> list[str]:
    """A command line with the project option after the subcommand."""
    return [*argv, "-C", str(project)]


@pytest.fixture
def iris_project(tmp_path: Path) -> Path:
    folder = tmp_path / "iris"
    Project.init(folder, "iris", target="target").close()
    load_iris(as_frame=True).frame.to_csv(tmp_path / "iris.csv", index=False)
    argv = cli(
        "data",
        "add",
        str(tmp_path / "iris.csv"),
        "--name",
        "iris",
        "--infer-contract",
        project=folder,
    )
    assert main(argv) == 0
    return folder


def test_cells_that_would_run_as_formulas_are_escaped() -> None:
    for cell in HOSTILE:
        assert escape_cell(cell) == "'" + cell and unescape_cell(escape_cell(cell)) == cell
    for cell in ("-3.5", "+7", "plain", 3, None, "'quoted"):
        assert escape_cell(cell) == cell


def test_label_export_csv_escapes_and_import_undoes_it(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "p", "p", target="label")
    frame = pd.DataFrame({"note": HOSTILE, "n": range(6), "label": ["a", "b"] * 3})
    project.add_data(frame, "notes", infer_contract=True)
    candidates = frame.drop(columns=["label"]).assign(
        request_id=[f"=r{i}" if i == 0 else f"r{i}" for i in range(6)],
        prediction="a",
        proba_a=0.5,
        proba_b=0.5,
    )
    project.label_queue(candidates, budget=6, strategy="random")
    out = tmp_path / "tasks.csv"
    project.label_export(out, "csv")
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["note"] for r in rows) == sorted("'" + c for c in HOSTILE)
    assert all(
        not r[k].startswith(("=", "+", "-", "@", "\t", "\r"))
        for r in rows
        for k in r
        if r[k] and k != "n"
    )
    for row in rows:
        row["label"], row["labeller"] = "=b", "@ann"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    project.reload_scope()
    report = project.label_import(out)  # '=b is the new class "=b", by "@ann": no quote left
    assert report.new_classes == {"=b": 6}
    from fullcycle.store import labels as label_store

    assert {who for _, who in label_store.existing_labels(project._db, report.tasks_labelled)} == {
        "@ann"
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_random_queue_without_probabilities(iris_project: Path, capsys) -> None:
    queue = ["label", "queue", "--budget", "5", "--from", "iris@1"]
    code, text = run(capsys, *cli(*queue, "--strategy", "random", project=iris_project))
    assert code == 0 and "queued batch" in text and "Traceback" not in text
    code, text = run(capsys, *cli(*queue, project=iris_project))
    assert code == 4 and "needs class probabilities" in text and "Traceback" not in text


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_deeply_nested_label_file_is_one_line(iris_project: Path, tmp_path, capsys, suffix):
    path = tmp_path / f"deep{suffix}"
    path.write_text("[" * 100_000 + "]" * 100_000)
    code, text = run(capsys, *cli("label", "import", str(path), project=iris_project))
    assert code == 4 and "nested too deeply" in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1
