"""The one place that turns errors into exit codes and one clear line (traceback with --debug)."""

from __future__ import annotations

import sys
import traceback

import typer

from fullcycle import errors as E

EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (E.ScopeError, 3),
    (E.ConfigError, 3),
    (E.InvalidInput, 4),
    (E.NotFound, 5),
    (E.Conflict, 6),
    (E.GateRefused, 7),
    (E.DriftDetected, 11),
    (E.TrainingTimeout, 12),
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


def _click_outcome(exc: BaseException) -> int | None:
    """Exit code for Click's and Typer's own exceptions (usage errors, Exit, Abort), whichever
    Click a Typer release carries; None for anything else."""
    name = type(exc).__name__
    code = getattr(exc, "exit_code", None)
    if name == "Exit":
        return int(code or 0)
    if name == "Abort":
        print("aborted", file=sys.stderr)
        return 130
    show = getattr(exc, "show", None)
    if callable(show) and isinstance(code, int):
        show()
        return code
    return None


def run_guarded(app: typer.Typer, argv: list[str]) -> int:
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        app(args=argv, prog_name="fullcycle", standalone_mode=False)
    except E.FullcycleError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # Typer's completion options exit by themselves
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except Exception as exc:
        outcome = _click_outcome(exc)
        return _unexpected(exc, debug) if outcome is None else outcome
    return 0


def _unexpected(exc: BaseException, debug: bool) -> int:
    """A bug or an unforeseen store error: one line (the traceback with --debug), never the
    SQL parameters a store error carries (the store hides them; cut here as well)."""
    if debug:
        traceback.print_exc()
    text = str(exc).split("\n[SQL", 1)[0].split("\n[parameters", 1)[0].strip()
    line = text.splitlines()[0] if text else ""
    print(f"error: unexpected {type(exc).__name__}: {line[:300]}", file=sys.stderr)
    if not debug:
        print("run again with --debug to see where it happened", file=sys.stderr)
    return 1
