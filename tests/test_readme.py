"""README.md's walkthrough, command by command, in a temporary folder: each one exits 0."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from fullcycle.examples import voice
from fullcycle.project import Project
from fullcycle.testing import free_port, wait_serving

README = Path(__file__).resolve().parents[1] / "README.md"


def walkthrough() -> list[str]:
    """The indented command lines of the README's "A walkthrough" block, comments removed."""
    text = README.read_text("utf-8")
    block = text.split("## A walkthrough", 1)[1].split("\n\n", 2)[1]
    lines = [line.strip() for line in block.splitlines()]
    return [
        re.sub(r"\s+#.*$", "", line)
        for line in lines
        if line.startswith(("fullcycle", "cd", "curl", "-"))
    ]


def fullcycle(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("FULLCYCLE_PROJECT_DIR", None)
    cmd = [sys.executable, "-m", "fullcycle", *argv]
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, (
        f"fullcycle {shlex.join(argv)}: {done.returncode}\n{done.stderr[-2000:]}"
    )
    return done


def curl_request(lines: list[str], token: str) -> tuple[str, dict[str, str]]:
    """The JSON body and the headers of the README's curl ($TOKEN filled in)."""
    curl = " ".join(line.rstrip("\\").strip() for line in lines if line.startswith(("curl", "-")))
    args = shlex.split(curl.replace("$TOKEN", token))
    headers = dict(args[i + 1].split(": ", 1) for i, arg in enumerate(args) if arg == "-H")
    return args[args.index("-d") + 1], headers


def test_the_walkthrough_lists_the_commands_this_test_runs() -> None:
    commands = walkthrough()
    assert commands[0].startswith("fullcycle init voice") and commands[1] == "cd voice"
    assert "fullcycle serve" in commands and any(c.startswith("curl") for c in commands)


@pytest.mark.slow
@pytest.mark.timeout(590)
def test_the_readme_walkthrough_runs_end_to_end(tmp_path: Path) -> None:
    commands = walkthrough()
    fullcycle(*shlex.split(commands[0])[1:], cwd=tmp_path)
    folder = tmp_path / "voice"
    # as a user edits the commented fullcycle.yaml: a linear model trains fast on a busy machine
    scope = folder / "fullcycle.yaml"
    text = yaml.safe_load(scope.read_text("utf-8"))
    text["training"].update(estimator="sklearn.linear_model:LogisticRegression", params={})
    text["metric"].update(goal=0.6)  # and writes the goal the gate checks at `promote`
    text["metric"]["baseline"]["value"] = 0.5
    scope.write_text(yaml.safe_dump(text, sort_keys=False), "utf-8")
    frame = voice.without_truth(voice.generate(0, 800, seed=1)).drop(columns=["request_time"])
    frame.to_csv(folder / "queries.csv", index=False)
    after_serve = []
    serving = False
    for command in commands[2:]:
        if command.startswith(("curl", "-")):
            continue
        if command == "fullcycle serve":
            serving = True
            continue
        if serving:
            after_serve.append(command)
            continue
        fullcycle(*shlex.split(command)[1:], cwd=folder)
    assert (folder / "report.html").stat().st_size > 0
    assert Project.open(folder).production_version().version == 1

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FULLCYCLE_PROJECT_DIR"}
    cmd = [sys.executable, "-m", "fullcycle", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(proc, port, timeout=120, interval=0.2, what="fullcycle serve")
        state = Project.open(folder).settings.state_dir
        token = (state / "bootstrap-admin-token").read_text().strip()
        body, headers = curl_request(commands, token)
        r = httpx.post(f"{url}/predict", content=body, headers=headers, timeout=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and len(r.json()["predictions"]) == 1
    for command in after_serve:
        fullcycle(*shlex.split(command)[1:], cwd=folder)
    runs = fullcycle("runs", cwd=folder).stdout
    assert "queries" in runs or len(runs.splitlines()) >= 2
    fullcycle("runs", "show", "latest", cwd=folder)
