"""The ``fullcycle`` command line: parse, call the project, present.

Each command group lives in its own module here with a ``register(app)`` function, which
:func:`build_app` finds by itself, so adding a command touches no shared file.
Heavy libraries (pandas, scikit-learn, the web stack) are imported inside the commands, so
``fullcycle --help`` and ``fullcycle status`` start fast.
"""

from __future__ import annotations

import sys

import typer

from fullcycle.cli._errors import run_guarded


def build_app() -> typer.Typer:
    """The Typer app with every command group: each public module here that has ``register``."""
    import importlib
    import pkgutil

    app = typer.Typer(
        name="fullcycle",
        help="Carry a machine-learning project through its whole life, and keep it current.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: (m.name != "core", m.name)):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            module.register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fullcycle`` script; returns the exit code."""
    return run_guarded(build_app(), sys.argv[1:] if argv is None else argv)
