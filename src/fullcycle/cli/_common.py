"""Small helpers shared by the command modules: opening the project, printing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from fullcycle.project import Project

ProjectOption = typer.Option(
    None, "--project", "-C", help="Project folder (default: the nearest one with fullcycle.yaml)."
)
JsonOption = typer.Option(False, "--json", help="Print the result as JSON.")


def actor() -> str:
    """Who a CLI command acts as in the audit log: ``cli:$USER`` (the dashboard writes
    ``ui:TOKEN``, the server ``server:REPLICA``, the loop ``loop``)."""
    import os

    return f"cli:{os.environ.get('USER') or '?'}"


def renamed_option(old: str, new: str, old_value: Any, new_value: Any, why: str) -> Any:
    """The value of ``new``, or of the deprecated spelling ``old`` with a note on stderr;
    both at once is an error naming the two."""
    if old_value is None:
        return new_value
    if new_value is not None:
        from fullcycle.errors import InvalidInput

        raise InvalidInput(f"{old} is the old spelling of {new}; give only {new}")
    typer.echo(f"warning: {old} is deprecated here, use {new} ({why})", err=True)
    return old_value


def console() -> Console:
    """A console that does not fold tables to 80 columns when printing to a pipe or file."""
    import sys

    width = None if sys.stdout.isatty() else 160
    return Console(highlight=False, soft_wrap=True, width=width)


def open_project(path: Path | None) -> Project:
    """The one way every command finds its project: ``-C DIR``, else FULLCYCLE_PROJECT_DIR, else
    the nearest folder at or above the current one holding fullcycle.yaml (never a new store)."""
    from fullcycle.project import Project

    return Project.open(path)


def when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def version_json(version: Any) -> dict[str, Any]:
    """A model version as JSON (its card, long Markdown, left out: ``models show`` prints it)."""
    return {**version.__dict__, "card": None}


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, sort_keys=True))
