"""Unattended steps that survive any one bad step, row or file.

``fullcycle loop --watch`` and ``fullcycle monitor --watch`` hand their step to
:func:`supervised`. A step that raises is recorded (a ``watch.error`` event naming the error and
where it happened, and the alert ``watch.<name>``), the message is shown, and the next step runs
after the usual pause; the first clean step after a failure closes the alert. Without
``--watch`` the step runs once and errors reach the CLI's handler as before. Ctrl-C and
SystemExit stop the watch; nothing else does.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fullcycle.loop._project import Journal

__all__ = ["describe", "supervised"]


def supervised(
    step: Callable[[], Any],
    *,
    project: Journal,
    name: str,
    watch: bool,
    pause_s: float,
    say: Callable[[str], Any],
    count: int = 0,
    sleep: Callable[[float], Any] | None = None,
) -> int:
    """Run ``step`` once, or with ``watch`` every ``pause_s`` seconds (``count`` times, 0:
    forever), surviving its errors, each recorded in ``project``'s audit log and alerts.
    Returns how many steps failed."""
    if not watch:
        step()
        return 0
    failed = done = 0
    failing = False
    while True:
        try:
            step()
        except Exception as exc:
            failed += 1
            failing = True
            with contextlib.suppress(Exception):
                say(f"{name} step failed: {describe(exc)}; the next step runs in {pause_s:g} s")
            _record_failure(project, name, exc)
        else:
            if failing:
                failing = False
                _record_recovery(project, name)
        done += 1
        if count and done >= count:
            return failed
        (sleep or time.sleep)(pause_s)


def describe(exc: BaseException) -> str:
    """One line naming the error; never the SQL or the parameters a store error carries."""
    text = str(exc).split("\n[SQL", 1)[0].split("\n[parameters", 1)[0]
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {first}"[:500]


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def _record_failure(project: Journal, name: str, exc: BaseException) -> None:
    message = f"{name} step failed: {describe(exc)}"
    data = {"error": type(exc).__name__, "where": _where(exc)}
    with contextlib.suppress(Exception):  # the store may be what failed; the watch goes on
        project.record(
            "watch.error", actor=f"{name}-watch", subject=name, message=message, data=data
        )
        project.monitor.raise_alert(f"watch.{name}", message, data, actor=f"{name}-watch")


def _record_recovery(project: Journal, name: str) -> None:
    with contextlib.suppress(Exception):
        project.monitor.close_alerts(f"watch.{name}", actor=f"{name}-watch")
