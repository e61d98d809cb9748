"""``fullcycle train``, ``evaluate`` and ``tune``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from fullcycle.cli._common import JsonOption, ProjectOption, console, open_project, print_json
from fullcycle.cli._common import renamed_option as renamed

#: ``--model`` names a registered model in every other command; here it was the estimator.
MODEL_IS_A_REFERENCE = "--model names a registered model (NAME, NAME:N, NAME@ALIAS)"


@contextmanager
def _progress(title: str, *, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    if quiet:  # --json: nothing but the JSON on stdout
        yield lambda text: None
        return

    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
    ) as bar:
        task = bar.add_task(title)
        yield lambda text: bar.update(task, description=f"{title}: {text}")


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def train(
    project: Path = ProjectOption,
    data: str = typer.Option(None, "--data", help="Dataset NAME@N (default: training.data)."),
    estimator: str = typer.Option(
        None,
        "--estimator",
        help="module:Class or file.py:function (default: training.estimator).",
    ),
    old_model: str = typer.Option(
        None, "--model", hidden=True, help="Deprecated spelling of --estimator."
    ),
    param: list[str] = typer.Option([], "--param", help="KEY=VALUE, repeatable."),  # noqa: B008
    seed: int = typer.Option(None, help="Seed (default: random, recorded on the run)."),
    learning_curve: bool = typer.Option(True, help="Fit a few subsamples for the curve."),
    as_json: bool = JsonOption,
) -> None:
    """Fit, evaluate and save a model as a run; prints the run id and the scope metric."""
    from fullcycle.train.recipe import parse_param

    estimator = renamed("--model", "--estimator", old_model, estimator, MODEL_IS_A_REFERENCE)
    params = dict(parse_param(p) for p in param)
    proj = open_project(project)
    with _progress("training", quiet=as_json) as say:
        result = proj.train(
            data,
            model=estimator,
            params=params or None,
            seed=seed,
            learning_curve="auto" if learning_curve else False,
            progress=say,
        )
    ev = result.evaluation
    if as_json:
        print_json(
            {
                "run_id": result.run_id,
                "metric": result.metric,
                "value": result.value,
                "evaluation": ev,
            }
        )
        return
    ci = ev["metric"]["ci"]
    shown = f" (95% CI {_fmt(ci[0])}-{_fmt(ci[1])})" if ci else ""
    out = console()
    out.print(f"run [bold]{result.run_id}[/]")
    out.print(f"{result.metric} {_fmt(result.value)}{shown}; goal {_fmt(ev['metric']['goal'])}")
    out.print(f"diagnosis: {ev['diagnosis']['verdict']} - {ev['diagnosis']['why']}")
    if ev.get("decisions"):
        dec = ev["decisions"]
        out.print(
            f"expected cost per 1,000 decisions {_fmt(dec['expected_cost_per_1000'])}"
            + (f" at threshold {_fmt(dec['threshold'])}" if dec.get("threshold") else "")
        )
    out.print(
        f"next: fullcycle evaluate {result.run_id[:12]} --html report.html; "
        f"fullcycle register {result.run_id[:12]}"
    )


def evaluate(
    run_id: str = typer.Argument("latest", help="A run id, a unique prefix, or 'latest'."),
    project: Path = ProjectOption,
    html: Path = typer.Option(None, "--html", help="Write the HTML report to this file."),  # noqa: B008
    as_json: bool = typer.Option(False, "--json", help="Print the whole evaluation as JSON."),
) -> None:
    """Show the evaluation a run stored: metrics, slices, diagnosis, decisions."""
    from fullcycle.train import report

    proj = open_project(project)
    ev = proj.evaluation(run_id)
    if html is not None:
        title = f"{proj.name} run {proj.run(run_id).id[:12]}"
        html.write_text(report.to_html(ev.to_dict(), title), encoding="utf-8")
    if as_json:
        print_json(ev.to_dict())
        return
    out = console()
    m = ev.metric
    out.print(
        f"[bold]{m['name']} {_fmt(m['value'])}[/]"
        + (f" (95% CI {_fmt(m['ci'][0])}-{_fmt(m['ci'][1])})" if m.get("ci") else "")
        + f", goal {_fmt(m['goal'])}"
    )
    scalars = {k: v for k, v in ev.metrics.items() if isinstance(v, float)}
    out.print(", ".join(f"{k} {_fmt(v)}" for k, v in sorted(scalars.items())))
    base = ev.baselines
    out.print(
        f"trivial baseline {_fmt(base['trivial']['metric'])}"
        + (
            f"; {base['scope']['label']} {_fmt(base['scope']['metric'])}"
            if base.get("scope")
            else ""
        )
    )
    diagnosis = ev.diagnosis or {}
    out.print(f"diagnosis: {diagnosis.get('verdict')} - {diagnosis.get('why')}")
    for step in diagnosis.get("next_steps", []):
        out.print(f"  - {step}")
    for s in ev.slices or []:
        if s["below_goal"]:
            out.print(
                f"[red]slice {s['feature']}={s['value']} ({s['rows']} rows): "
                f"{_fmt(s['metric'])} below the goal[/]",
                markup=True,
            )
    if html is not None:
        out.print(f"report written to {html}")


def tune(
    project: Path = ProjectOption,
    trials: int = typer.Option(20, "--trials", min=1, max=100_000),
    data: str = typer.Option(None, "--data", help="Dataset NAME@N (default: training.data)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Processes (default: CPUs, <=4)."),
    seed: int = typer.Option(None),
    executor: str = typer.Option(
        None, help="local, dask or serial (default: dask when FULLCYCLE_DASK_SCHEDULER is set)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Search training.search_space with Optuna; each trial is a child run."""
    proj = open_project(project)
    with _progress("tuning", quiet=as_json) as say:
        result = proj.tune(
            trials, data=data, workers=workers, seed=seed, progress=say, executor=executor
        )
    if as_json:
        print_json(result.__dict__ if hasattr(result, "__dict__") else result)
        return
    out = console()
    failed = sum(1 for t in result.trials if t["value"] is None)
    out.print(
        f"tuning run [bold]{result.parent_id}[/]: {len(result.trials)} trials, {failed} failed"
    )
    out.print(f"best {_fmt(result.best_value)} with {result.best_params}")
    flags = " ".join(f"--param {k}={v}" for k, v in result.best_params.items())
    out.print(f"next: fullcycle train {flags}")


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(evaluate)
    app.command()(tune)
