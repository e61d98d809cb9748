"""``fullcycle loop``: the closed loop from drift to a promoted (or rolled back) model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from fullcycle.cli._common import JsonOption, ProjectOption, console, open_project, print_json

loop_app = typer.Typer(
    help="Run the closed loop: monitor -> label -> retrain -> gate -> "
    "canary -> promote or roll back.",
    invoke_without_command=True,
)


def step_json(action: str, reasons: list[str], numbers: dict[str, Any] | None = None) -> dict:
    """What one step did, as ``--json`` prints it."""
    return {"action": action, "reasons": list(reasons), "numbers": dict(numbers or {})}


@loop_app.callback()
def loop(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Take at most one step, then exit."),
    watch: bool = typer.Option(False, "--watch", help="Keep stepping on a schedule."),
    every: str = typer.Option("1m", help="With --watch: the pause between steps."),
    monitor_first: bool = typer.Option(True, help="Build a fresh monitor report before deciding."),
    window: str = typer.Option("last:5000", help="The monitor window."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Read the latest monitor report and any rollout's state, and act on them.

    With --json each step prints one JSON object (action, reasons, numbers): indented with
    --once, one per line with --watch; other messages then go to stderr."""
    if ctx.invoked_subcommand is not None:
        return
    if not once and not watch:
        raise typer.BadParameter("say --once or --watch", param_hint="--once/--watch")
    from fullcycle.errors import InsufficientData, NotFound, StoreUnavailable
    from fullcycle.loop.supervisor import supervised
    from fullcycle.scope import parse_duration

    proj = open_project(project)
    pause = parse_duration(every)
    out = console()

    def show(action: str, reasons: list[str], numbers: dict[str, Any] | None = None) -> None:
        if not as_json:
            out.print(f"[bold]{action}[/]: " + "; ".join(reasons))
        elif watch:
            typer.echo(json.dumps(step_json(action, reasons, numbers), default=str))
        else:
            print_json(step_json(action, reasons, numbers))

    def step() -> None:
        try:
            if monitor_first:
                proj.monitor(window)
            result = proj.loop_step()
            show(result.action, result.reasons, result.numbers)
        except (InsufficientData, NotFound) as exc:
            show("no action", [str(exc)])
        except StoreUnavailable as exc:
            if not watch:
                raise
            show("waiting", [str(exc)])

    supervised(
        step,
        project=proj,
        name="loop",
        watch=watch,
        pause_s=pause,
        say=lambda text: typer.echo(text, err=True) if as_json else out.print(text, markup=False),
    )


@loop_app.command("submit")
def submit(
    ref: str = typer.Argument(..., help="NAME:N to put through the gate and into a rollout."),
    skip_gate: bool = typer.Option(False, help="Skip the gate (the canary still judges it)."),
    reason: str = typer.Option("", help="Why, for the audit log."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Offer a registered version as the challenger."""
    result = open_project(project).loop_submit(ref, skip_gate=skip_gate, reason=reason)
    if as_json:
        print_json(step_json(result.action, result.reasons, result.numbers))
        return
    console().print(f"[bold]{result.action}[/]: " + "; ".join(result.reasons))


def register(app: typer.Typer) -> None:
    app.add_typer(loop_app, name="loop")
