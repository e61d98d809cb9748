"""The one wall clock of fullcycle's records, and a simulated one for backtests.

Everything that stamps a record with the time of day (the prediction log, events, labels,
reports, rollouts, the loop's guards) asks :func:`now`. Normally that is ``time.time()``; inside
:func:`simulated` it is a clock the caller moves, so ``fullcycle loop backtest`` can replay a
year of traffic in minutes and the loop's guards (``min_interval``, ``max_per_day``,
``rollout.analysis_interval``, ``rollback.watch``) see the replayed times, not the machine's.
Durations (latency, timeouts, leases, token expiry) keep the real clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_simulated: list[SimulatedClock] = []


def now() -> float:
    """Seconds since the epoch: the simulated clock's time inside :func:`simulated`."""
    return _simulated[-1].now() if _simulated else time.time()


class SimulatedClock:
    """A clock that stands still until it is moved; it never goes backwards."""

    def __init__(self, start: float) -> None:
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def set(self, t: float) -> None:
        """Move to ``t`` (a time before the current one is ignored: time never runs back)."""
        self._t = max(self._t, float(t))

    def advance(self, seconds: float) -> None:
        self._t += max(0.0, float(seconds))


@contextmanager
def simulated(start: float) -> Iterator[SimulatedClock]:
    """Every record made in this process inside the block is stamped with the clock's time."""
    clock = SimulatedClock(start)
    with _lock:
        _simulated.append(clock)
    try:
        yield clock
    finally:
        with _lock:
            _simulated.remove(clock)
