"""The ``fullcycle`` command line: parse, call the project, present.

Each command group lives in its own module here with a ``register(app)`` function, which
:func:`build_app` finds by itself, so adding a command touches no shared file.
Heavy libraries (pandas, scikit-learn, the web stack) are imported inside the commands, so
``fullcycle --help`` and ``fullcycle status`` start fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from fullcycle.cli._lifecycle import HELP, fast_answer, order, version, write

if TYPE_CHECKING:
    import typer


def build_app() -> typer.Typer:
    """The Typer app with every command group: each public module here that has ``register``."""
    import importlib

    import typer

    app = typer.Typer(
        name="fullcycle",
        cls=_lifecycle_group(),
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
    )
    app.callback(invoke_without_command=True)(_root_callback())
    for name in sorted(_command_modules()):
        importlib.import_module(f"{__name__}.{name}").register(app)
    return app


def _root_callback() -> Any:
    """The top-level options: ``--version`` (``--help`` and completion come with Typer)."""
    import typer

    def root(
        show_version: bool = typer.Option(
            False, "--version", help="Show the version and exit.", is_eager=True
        ),
    ) -> None:
        """Carry a machine-learning project through its whole life, and keep it current."""
        if show_version:
            typer.echo(f"fullcycle {version()}")
            raise typer.Exit()

    return root


def _lifecycle_group() -> Any:
    """Typer's group, listing its commands in the order of the lifecycle."""
    from typer.core import TyperGroup

    class LifecycleGroup(TyperGroup):
        def list_commands(self, ctx: Any) -> list[str]:
            return sorted(super().list_commands(ctx), key=order)

    return LifecycleGroup


def _command_modules() -> set[str]:
    """The command modules here (each has ``register(app)``), found without importing them."""
    import pkgutil

    return {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fullcycle`` script; returns the exit code. ``fullcycle``, ``--help``
    and ``--version`` answer from a table, without loading Click, Typer or the commands."""
    argv = sys.argv[1:] if argv is None else argv
    fast = fast_answer(argv, _command_modules())
    if fast is not None:
        return write(fast)
    from fullcycle.cli._errors import run_guarded

    return run_guarded(build_app(), argv)
