import json
import subprocess
import sys
from pathlib import Path

import pytest

from fullcycle.cli import main
from fullcycle.project import Project


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for command in ("init", "status", "runs", "events", "token"):
        assert command in out


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    import typer.main

    from fullcycle.cli import build_app

    group = typer.main.get_command(build_app())
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        code, out, _ = run_cli(capsys, name, "--help")
        assert code == 0, name
        assert "Usage" in out, name
        for sub in getattr(command, "commands", {}):
            code, out, _ = run_cli(capsys, name, sub, "--help")
            assert code == 0 and "Usage" in out, f"{name} {sub}"


def test_init_then_status_then_second_init_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "voice"
    code, out, _ = run_cli(capsys, "init", "voice", "--dir", str(folder))
    assert code == 0 and "created project voice" in out
    before = (folder / "fullcycle.yaml").read_text()
    code, out, _ = run_cli(capsys, "status", "-C", str(folder), "--json")
    assert code == 0
    status = json.loads(out)
    assert status["name"] == "voice" and status["counts"]["events"] == 1
    code, _, err = run_cli(capsys, "init", "voice", "--dir", str(folder))
    assert code == 6 and "exists already" in err and "Traceback" not in err
    assert (folder / "fullcycle.yaml").read_text() == before


def test_bad_project_name_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "init", "../evil", "--dir", str(tmp_path / "x"))
    assert code == 4
    assert err.count("\n") == 1 and "project name '../evil' is not allowed" in err
    assert not (tmp_path / "x").exists()


def test_a_broken_scope_file_reports_the_field_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.init(tmp_path, "voice")
    scope = tmp_path / "fullcycle.yaml"
    scope.write_text(scope.read_text().replace("goal: 0.9", "goal: 7"))
    code, _, err = run_cli(capsys, "status", "-C", str(tmp_path))
    assert code == 3
    assert "metric.goal (line" in err


def test_runs_and_events_show_what_was_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Project.init(tmp_path, "voice")
    with project.start_run("first", params={"lr": 0.5}) as run:
        run.log_metric("loss", 0.25)
    code, out, _ = run_cli(capsys, "runs", "-C", str(tmp_path))
    assert code == 0 and run.id[:12] in out and "loss=0.25" in out
    code, out, _ = run_cli(capsys, "runs", "show", run.id[:8], "-C", str(tmp_path))
    assert code == 0 and "lr" in out and "0.5" in out and "finished" in out
    code, _, err = run_cli(capsys, "runs", "show", "nope", "-C", str(tmp_path))
    assert code == 5 and "does not exist" in err
    code, out, _ = run_cli(capsys, "events", "-C", str(tmp_path))
    assert code == 0 and "project.init" in out


def test_tokens_are_shown_once_listed_by_name_and_revoked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.init(tmp_path, "voice")
    code, out, _ = run_cli(
        capsys, "token", "create", "--role", "write", "--name", "ci", "-C", str(tmp_path)
    )
    token = out.strip().splitlines()[-1]
    assert code == 0 and token.startswith("fc_")
    code, out, _ = run_cli(capsys, "token", "list", "-C", str(tmp_path))
    assert "ci" in out and "write" in out and token not in out
    code, out, _ = run_cli(capsys, "token", "revoke", "ci", "-C", str(tmp_path))
    assert code == 0 and "revoked" in out
    code, _, err = run_cli(capsys, "token", "create", "--role", "root", "-C", str(tmp_path))
    assert code == 4 and "role 'root'" in err


def test_outside_a_project_the_error_says_how_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "status", "-C", str(tmp_path))
    assert code == 5 and "fullcycle init" in err


def test_python_dash_m_and_debug_traceback(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "fullcycle", "--help"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "init" in ok.stdout
    plain = subprocess.run(
        [sys.executable, "-m", "fullcycle", "status", "-C", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert plain.returncode == 5 and "Traceback" not in plain.stderr
    debug = subprocess.run(
        [sys.executable, "-m", "fullcycle", "--debug", "status", "-C", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert debug.returncode == 5 and "Traceback" in debug.stderr


def test_usage_errors_are_one_clear_message_without_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "runs", "show")
    assert code == 2 and "Missing" in err and "Traceback" not in err + out
    code, _, err = run_cli(capsys, "no-such-command")
    assert code == 2 and "No such command" in err
