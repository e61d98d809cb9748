"""The commands in the order of the lifecycle, with their one-line help, so ``fullcycle``,
``fullcycle --help`` and ``fullcycle --version`` answer without importing Click, Typer, rich or any
command module (the CLI must start fast). A test keeps this table equal to the real commands.
"""

from __future__ import annotations

import sys

HELP = "Carry a machine-learning project through its whole life, and keep it current."

# (stage, command, module, one-line help) in the order a project lives them.
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("scope", "init", "core", "Create a project: a commented fullcycle.yaml and an empty store beside it."),
    ("scope", "status", "core", "The project at a glance: scope, store and counts."),
    ("data", "data", "data", "Add, list and inspect dataset versions (NAME@N) and their lineage."),
    ("train", "train", "train", "Train a model on a dataset version as a tracked run, and evaluate it."),
    ("train", "tune", "train", "Search hyper-parameters with Optuna; each trial is a child run."),
    ("train", "runs", "runs", "List and inspect training runs."),
    ("evaluate", "evaluate", "train", "Show a run's evaluation (or write it as HTML)."),
    ("register", "register", "models", "Register a finished run's model as the next version NAME:N."),
    ("register", "models", "models", "List and inspect registered models."),
    ("register", "promote", "models", "Point an alias at a version if it passes the gate (the scope goal, the current holder)."),
    ("deploy/serve", "deploy", "deploy", "Route traffic: production, canary with a share, shadow."),
    ("deploy/serve", "rollback", "deploy", "Restore the deployment before the current one, in one step."),
    ("deploy/serve", "serve", "serve", "Serve the deployed model: /predict, /v2 (Open Inference Protocol), /metrics, /ui."),
    ("deploy/serve", "predict-batch", "scale", "Score a dataset version with a model, locally or on a Dask cluster."),
    ("monitor", "monitor", "monitor", "Compare production with the reference: drift, performance, latency."),
    ("monitor", "drift", "drift", "Drift between two datasets, or a dataset and production."),
    ("monitor", "trace", "trace", "Trace one prediction back to its model, run, data, gate and events."),
    ("label", "label", "label", "Queue production rows for labelling, export them, import labels, merge."),
    ("loop", "loop", "loop", "The loop: monitor, label, retrain, gate, canary, promote or roll back."),
    ("audit", "events", "core", "The audit timeline: who or what did what, when, and why (newest last)."),
    ("admin", "token", "tokens", "API tokens with roles: read < predict < write < admin."),
    ("admin", "ui", "ui", "The dashboard on its own (fullcycle serve mounts it at /ui too)."),
    ("admin", "gc", "models", "Remove artifacts that nothing refers to (left by crashes)."),
    ("admin", "demo", "demo", "Run the voice-search story end to end and keep its project and report."),
)  # fmt: skip

OPTIONS = (
    ("--version", "Show the version and exit."),
    ("-C, --project DIR", "(on each command) the project folder; default: the nearest one above."),
    ("--json", "(on each command that prints a result) print it as JSON."),
    ("--debug", "Show the traceback of an error."),
    ("--install-completion", "Install completion for the current shell."),
    ("--show-completion", "Show completion for the current shell, to copy it or customize it."),
    ("--help", "Show this message and exit."),
)


def order(name: str) -> int:
    """A command's place in the lifecycle (commands not in the table come last)."""
    for i, row in enumerate(COMMANDS):
        if row[1] == name:
            return i
    return len(COMMANDS)


def version() -> str:
    """The version of this fullcycle (``fullcycle.__version__``, which a test keeps equal to the
    installed distribution's)."""
    from fullcycle import __version__

    return __version__


def help_text() -> str:
    """``fullcycle --help``: the commands grouped by stage, in the order of the lifecycle."""
    lines = ["Usage: fullcycle [OPTIONS] COMMAND [ARGS]...", "", f"  {HELP}", "", "Options:"]
    lines += [f"  {flag:<22}{text}" for flag, text in OPTIONS]
    lines += ["", "Commands (in the order of the lifecycle):"]
    stage = ""
    for row_stage, name, _, text in COMMANDS:
        shown = row_stage if row_stage != stage else ""
        stage = row_stage
        lines.append(f"  {shown:<13}{name:<15}{text}")
    lines += ["", "Run `fullcycle COMMAND --help` for a command's options."]
    return "\n".join(lines)


def fast_answer(argv: list[str], modules: set[str]) -> str | None:
    """The text for ``fullcycle``, ``--help`` or ``--version`` without loading the commands;
    None for anything else, or when a command module is missing from the table (``modules``:
    the names of the command modules present), so the slow path answers truly."""
    if argv not in ([], ["--help"], ["--version"]):
        return None
    if argv == ["--version"]:
        return f"fullcycle {version()}"
    if modules - {row[2] for row in COMMANDS}:
        return None
    return help_text()


def write(text: str) -> int:
    """Print ``text``; returns exit code 0."""
    sys.stdout.write(text + "\n")
    return 0
