"""``fullcycle import mlflow``: runs and registered models from an MLflow store."""

from __future__ import annotations

from pathlib import Path

import typer

from fullcycle.cli._common import JsonOption, ProjectOption, console, open_project, print_json
from fullcycle.cli._common import renamed_option as renamed

import_app = typer.Typer(help="Bring runs and models in from other tools.")


@import_app.command("mlflow")
def mlflow_(
    tracking_uri: str = typer.Option(..., "--tracking-uri", help="http(s)://... or sqlite:///..."),
    experiment: str = typer.Option(None, "--experiment", help="Only this experiment's runs."),
    mlflow_model: str = typer.Option(
        None, "--mlflow-model", help="MLflow's models:/NAME/VERSION to register."
    ),
    old_model: str = typer.Option(
        None, "--model", hidden=True, help="Deprecated spelling of --mlflow-model."
    ),
    name: str = typer.Option(None, "--name", help="fullcycle model name (default: MLflow's)."),
    data: str = typer.Option(None, "--data", help="NAME@N to evaluate the model on."),
    trust_pickle: bool = typer.Option(
        False, "--trust-pickle", help="Open pickled models (in a child process)."
    ),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Import runs (params, metrics with steps, tags, times) and a registered model."""
    model = renamed(
        "--model",
        "--mlflow-model",
        old_model,
        mlflow_model,
        "--model names a fullcycle model (NAME, NAME:N, NAME@ALIAS); --name names the import",
    )
    report = open_project(project).import_mlflow(
        tracking_uri,
        experiment=experiment,
        model=model,
        name=name,
        data=data,
        trust_pickle=trust_pickle,
    )
    if as_json:
        print_json({"runs": report.runs, "skipped": report.skipped, "models": report.models})
        return
    out = console()
    out.print(f"imported {len(report.runs)} run(s), skipped {len(report.skipped)}")
    for ref in report.models:
        out.print(f"registered [bold]{ref}[/] from {model}")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
