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


def step_json(
    action: str, reasons: list[str], numbers: dict[str, Any] | None = None
) -> dict[str, Any]:
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


@loop_app.command("backtest")
def backtest(
    file: Path = typer.Argument(
        ..., help="Past rows with their time and truth: csv, parquet or jsonl."
    ),
    time_column: str = typer.Option(..., "--time-column", "-t", help="The rows' time."),
    steps: int = typer.Option(None, "--steps", help="Cut the rows into N steps of equal size."),
    every: str = typer.Option(None, "--every", help="Or into steps of this much time (7d)."),
    feedback_share: float = typer.Option(
        0.2, help="Share of rows whose label comes back on /feedback."
    ),
    feedback_delay: str = typer.Option("0s", help="Replayed time before a label comes back."),
    labeller: bool = typer.Option(
        True, "--labeller/--no-labeller", help="Answer the loop's labelling queue from the truth."
    ),
    window: str = typer.Option(None, help="The monitor window (default: the rows of one step)."),
    seed: int = typer.Option(0, help="Which rows get feedback."),
    predictions_out: Path = typer.Option(
        None,
        "--predictions",
        help="Write every answer (request id, time, version, truth, class probabilities) here.",
    ),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Replay past rows through the server and the loop on a simulated clock.

    The loop runs with the scope as written (its guards see the replayed times), so a year of
    history shows in minutes what the loop would have done: when it noticed, how many labels it
    asked for, what it retrained, promoted and rolled back. Everything is recorded in this
    project's store: run it on a project made for it."""
    import csv

    from fullcycle.backtest import BacktestOptions, StepRow, run
    from fullcycle.data.versions import read_any
    from fullcycle.scope import parse_duration

    if steps is not None and every is not None:
        raise typer.BadParameter("say --steps or --every, not both", param_hint="--steps/--every")
    options = BacktestOptions(
        time_column=time_column,
        steps=steps,
        every=None if every is None else float(parse_duration(every)),
        feedback_share=feedback_share,
        feedback_delay=float(parse_duration(feedback_delay)),
        labeller=labeller,
        window=window,
        seed=seed,
    )
    proj = open_project(project)
    frame = read_any(file)
    out = console()
    if as_json:
        from rich.console import Console

        out = Console(stderr=True, highlight=False, soft_wrap=True)

    def show(row: StepRow) -> None:
        live = "-" if row.live is None else f"{row.live:.4f}"
        frozen = "-" if row.frozen is None else f"{row.frozen:.4f}"
        out.print(
            f"step {row.step}: {row.requests} requests, live {live} (frozen {frozen}), "
            f"{row.action}; labels {row.labels}, feedback {row.feedback}"
            + (f"; mid-step {', '.join(row.ticks)}" if row.ticks else "")
            + (f" [red]error: {row.error}[/]" if row.error else "")
        )

    result = run(proj, frame, options, on_step=show)
    if predictions_out is not None:
        with open(predictions_out, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(
                fh,
                fieldnames=[
                    "request_id",
                    "time",
                    "time_replayed",
                    "version",
                    "prediction",
                    "truth",
                    "probabilities",
                ],
            )
            writer.writeheader()
            writer.writerows(result.predictions)
    if as_json:
        print_json(result.to_json())
        return
    totals = result.totals()
    out.print(
        f"{result.model}: {totals['requests']} requests in {len(result.steps)} steps; "
        f"{totals['retrains']} retrain(s), {totals['promotions']} promotion(s), "
        f"{totals['rollbacks']} rollback(s), {totals['alerts']} alert(s); "
        f"{totals['labels']} labels answered, {totals['feedback']} feedback"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(loop_app, name="loop")
