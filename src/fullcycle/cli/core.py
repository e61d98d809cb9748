"""``fullcycle init``, ``status`` and ``events``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fullcycle.cli._common import JsonOption, ProjectOption, console, open_project, print_json, when


def init(
    name: str = typer.Argument(..., help="Project name: letters, digits, '.', '_', '-'."),
    directory: Path = typer.Option(None, "--dir", help="Folder for the project (default: ./NAME)."),
    task: str = typer.Option("classification", help="classification or regression."),
    target: str = typer.Option("label", help="The column to predict."),
    as_json: bool = JsonOption,
) -> None:
    """Create a project: a commented fullcycle.yaml and an empty store beside it."""
    from fullcycle.project import Project

    folder = directory if directory is not None else Path(name)
    project = Project.init(folder, name, task=task, target=target)
    if as_json:
        return print_json({"name": name, "project_dir": str(project.settings.project_dir)})
    console().print(
        f"created project [bold]{name}[/] in {project.settings.project_dir}\n"
        f"next: edit {project.settings.scope_path.name}, then "
        f"`fullcycle data add FILE --name NAME --infer-contract`"
    )


def status(project: Path = ProjectOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """The project at a glance: scope, store and counts."""
    info = open_project(project).status()
    if as_json:
        print_json(info.to_dict())
        return
    out = console()
    out.print(f"[bold]{info.name}[/]  ({info.task}, target [bold]{info.target}[/])")
    baseline = info.baseline
    out.print(
        f"metric {info.metric}: goal {info.goal}"
        + (f", baseline {baseline}" if baseline is not None else "")
    )
    out.print(f"users     {', '.join(info.users) or '-'}")
    out.print(f"folder    {info.project_dir}")
    out.print(f"database  {info.database}")
    out.print(f"artifacts {info.artifacts}")
    table = Table("noun", "count", box=None)
    for noun, n in info.counts.items():
        table.add_row(noun, str(n))
    out.print(table)


def events(
    project: Path = ProjectOption,
    kind: str = typer.Option(None, help="Only events whose kind starts with this."),
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The audit timeline: who or what did what, when, and why (newest last)."""
    rows = list(reversed(open_project(project).events(kind=kind, limit=limit)))  # newest last
    if as_json:
        print_json([e.__dict__ for e in rows])  # the same order as the table
        return
    table = Table("time", "kind", "subject", "actor", "message")
    for e in rows:
        table.add_row(when(e.ts), e.kind, e.subject, e.actor, e.message)
    console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(status)
    app.command()(events)
