"""``fullcycle demo`` leaves its project and report to look at, and says where they are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fullcycle.cli import main
from fullcycle.cli.demo import DEFAULT_DIR, free_folder


def test_a_second_demo_gets_a_folder_of_its_own(tmp_path: Path) -> None:
    base = tmp_path / "fullcycle-demo"
    assert free_folder(base) == base
    base.mkdir()
    assert free_folder(base) == base  # empty: free
    (base / "fullcycle.yaml").write_text("name: voice\n")
    assert free_folder(base) == tmp_path / "fullcycle-demo-2"


def test_a_non_empty_dir_is_refused_and_left_alone(tmp_path: Path, capsys) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("keep me")
    assert main(["demo", "--dir", str(mine)]) == 6
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["todo.txt"]


@pytest.mark.slow
@pytest.mark.timeout(900)  # two short demos
def test_the_demo_keeps_its_project_and_names_the_report_and_the_dashboard(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--periods", "1", "--per-period", "400", "--no-bad-challenger"]
    assert main(args) == 0
    out = capsys.readouterr().out
    folder = (tmp_path / DEFAULT_DIR).resolve()
    report = folder / "reports" / "demo.html"
    assert report.is_file() and (folder / "fullcycle.yaml").is_file()
    last = out.strip().splitlines()[-2:]
    assert last[0].split()[-1] == str(report)
    assert last[1].endswith(f"fullcycle ui -C {folder}")
    assert "labels asked of the labellers" in out and "s in all" in out
    assert main([*args, "--clean"]) == 0
    assert "drop --clean to keep it" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == [DEFAULT_DIR.name]  # --clean left nothing here
