"""The one place that turns errors into exit codes and one clear line (traceback with --debug)."""

from __future__ import annotations

import sys
import traceback

import click
import typer

from fullcycle import errors as E

EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (E.ScopeError, 3),
    (E.ConfigError, 3),
    (E.InvalidInput, 4),
    (E.NotFound, 5),
    (E.Conflict, 6),
    (E.GateRefused, 7),
    (E.IntegrityError, 8),
    (E.UnsafeArtifact, 8),
    (E.StoreUnavailable, 9),
    (E.AuthError, 10),
    (E.FullcycleError, 1),
)


def exit_code(exc: BaseException) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return 1


def run_guarded(app: typer.Typer, argv: list[str]) -> int:
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        app(args=argv, prog_name="fullcycle", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except E.FullcycleError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
