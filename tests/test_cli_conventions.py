"""CLI conventions: the help in the order of the lifecycle (fast, from a table that matches the
real commands), ``--version``, shell completion, ``--json`` and ``-C`` on every command, and
``events`` in the same order as text and as JSON."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

import pytest
import typer.main

import fullcycle
from fullcycle.cli import _errors, build_app, main
from fullcycle.cli._lifecycle import COMMANDS

NO_RESULT = {"serve", "ui", "demo"}  # they run until stopped, or tell a story
PENDING_JSON: set[str] = set()  # every command that prints a result takes --json
PENDING_PROJECT: set[str] = set()  # every command takes -C
NEEDS_NO_PROJECT = {"init", "demo"}  # they make one


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _group() -> Any:
    return typer.main.get_command(build_app())


def _leaves(cmd: Any, path: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    found = []
    if hasattr(cmd, "list_commands"):
        ctx = type(cmd).context_class(cmd)
        for name in cmd.list_commands(ctx):
            found += _leaves(cmd.get_command(ctx, name), (*path, name))
    if path and (not hasattr(cmd, "list_commands") or cmd.invoke_without_command):
        found.append((" ".join(path), cmd))
    return found


def _options(cmd: Any) -> set[str]:
    return {o for p in cmd.params for o in getattr(p, "opts", [])}


def test_help_lists_every_real_command_once_in_the_order_of_the_lifecycle(capsys) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    listed = [row[1] for row in COMMANDS if f"  {row[1]}  " in out or f" {row[1]} " in out]
    group = _group()
    real = group.list_commands(type(group).context_class(group))
    assert listed == real, "the help table and the real commands differ"
    for earlier, later in [("init", "data"), ("data", "train"), ("train", "evaluate"),
                           ("evaluate", "register"), ("register", "deploy"),
                           ("deploy", "monitor"), ("monitor", "label"), ("label", "loop"),
                           ("loop", "events"), ("events", "token")]:  # fmt: skip
        assert real.index(earlier) < real.index(later), (earlier, later)
    assert main([]) == 0 and "Commands (in the order of the lifecycle)" in capsys.readouterr().out


def test_version_is_the_installed_one_on_both_paths(capsys) -> None:
    installed = importlib.metadata.version("fullcycle")
    assert fullcycle.__version__ == installed
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"fullcycle {installed}"
    assert _errors.run_guarded(build_app(), ["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fullcycle {installed}"


def test_shell_completion_is_available() -> None:
    # checked on the app itself: a real process inherits whatever the suite's earlier tests left
    # in the environment, and under xdist it once printed an empty script that way
    from typer._completion_shared import get_completion_script

    command = typer.main.get_command(build_app())
    options = {o for p in command.params for o in p.opts}
    assert {"--install-completion", "--show-completion"} <= options
    script = get_completion_script(
        prog_name="fullcycle", complete_var="_FULLCYCLE_COMPLETE", shell="bash"
    )
    assert "_FULLCYCLE_COMPLETE" in script and "complete" in script


def test_every_command_that_prints_a_result_takes_json_and_a_project_folder() -> None:
    leaves = _leaves(_group())
    assert len(leaves) > 30
    no_json = {name for name, cmd in leaves if "--json" not in _options(cmd)}
    no_project = {name for name, cmd in leaves if not {"-C", "--project"} <= _options(cmd)}
    assert no_json - NO_RESULT <= PENDING_JSON, sorted(no_json - NO_RESULT - PENDING_JSON)
    assert no_project - NEEDS_NO_PROJECT <= PENDING_PROJECT, sorted(no_project)


def _json(capsys, *args: str) -> Any:
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, (args, err)
    return json.loads(out)


@pytest.mark.slow
def test_json_output_parses_through_a_whole_cycle(tmp_path: Path, capsys) -> None:
    from sklearn.datasets import load_iris

    folder = tmp_path / "iris"
    made = _json(capsys, "init", "iris", "--dir", str(folder), "--target", "target")
    assert Path(made["project_dir"]) == folder
    csv = tmp_path / "iris.csv"
    frame = load_iris(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    frame.to_csv(csv, index=False)
    p = ("-C", str(folder))
    assert _json(capsys, "data", "add", str(csv), "--name", "iris", "--infer-contract", *p)
    trained = _json(capsys, "train", "--no-learning-curve", "--seed", "1", *p)
    assert trained["run_id"] and trained["value"] > 0.5
    assert _json(capsys, "evaluate", *p)["metric"]["name"] == trained["metric"]
    version = _json(capsys, "register", *p)
    assert version["name"] == "iris" and version["version"] == 1
    assert _json(capsys, "models", "show", "iris:1", *p)["version"] == 1
    done = _json(capsys, "promote", "iris:1", "--force", "--reason", "the walk", *p)
    assert done["version"] == 1 and done["alias"] == "production"  # forced if below the goal
    (state,) = _json(capsys, "deploy", "status", *p)
    assert state["production"] == 1  # promote moved what serves
    assert _json(capsys, "token", "create", "--role", "read", *p)["token"]
    assert [t["name"] for t in _json(capsys, "token", "list", *p)] == ["read-1"]
    assert _json(capsys, "gc", "--dry-run", *p)["dry_run"] is True
    assert _json(capsys, "runs", *p)[0]["id"] == trained["run_id"]
    assert _json(capsys, "status", *p)["counts"]
    events = _json(capsys, "events", *p)
    assert events[0]["kind"] == "project.init"  # newest last, as the table shows them
    code, out, _ = run_cli(capsys, "events", *p)
    assert out.index("project.init") < out.index("token.create")
