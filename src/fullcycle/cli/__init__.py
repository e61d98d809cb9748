"""The ``fullcycle`` command line: parse, call the project, present.

Each command group lives in its own module here and registers itself in :func:`build_app`.
Heavy libraries (pandas, scikit-learn, the web stack) are imported inside the commands, so
``fullcycle --help`` and ``fullcycle status`` start fast.
"""

from __future__ import annotations

import sys

import typer

from fullcycle.cli._errors import run_guarded


def build_app() -> typer.Typer:
    from fullcycle.cli import core, data, drift, label, models, runs, scale, tokens, train

    app = typer.Typer(
        name="fullcycle",
        help="Carry a machine-learning project through its whole life, and keep it current.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    core.register(app)
    runs.register(app)
    tokens.register(app)
    drift.register(app)
    train.register(app)
    models.register(app)
    data.register(app)
    label.register(app)
    scale.register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fullcycle`` script; returns the exit code."""
    return run_guarded(build_app(), sys.argv[1:] if argv is None else argv)
