"""An anytime-valid test on paired per-row loss differences (pure numpy).

``d_i = loss(champion, row i) - loss(challenger, row i)``: positive when the challenger does
better on the row. The gate asks whether the mean of ``d`` exceeds a margin, and asks again every
time more labelled rows arrive. A fixed-sample test looked at again and again would find a
difference by chance sooner or later; a confidence *sequence* holds at every sample size at once,
so the loop may look after every batch of labels and stop as soon as the evidence is enough.

The boundary is the asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy and
Ramdas (2021, "Time-uniform central limit theory and asymptotic confidence sequences"): a
Gaussian-mixture boundary with the empirical standard deviation, valid for any losses with a
finite variance (0/1 errors, squared errors, log losses alike), tuned to be tightest near
``tuned_for`` rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: below this many rows the empirical variance is too rough for the boundary: no decision
MIN_ROWS = 30


@dataclass(frozen=True)
class Sequence:
    """Where the mean paired difference stands after ``n`` rows."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    rows_needed: float  # rows at which, at this mean and spread, ``low`` would clear the margin


def _rho(tuned_for: int, alpha: float) -> float:
    """The mixture's scale, optimal for a boundary crossed near ``tuned_for`` rows."""
    a = -2 * math.log(alpha)
    return math.sqrt((a + math.log(a + 1)) / max(tuned_for, 1))


def radius(n: int | np.ndarray, sd: float, alpha: float, tuned_for: int) -> Any:
    """Half-width of the (1 - alpha) two-sided confidence sequence after ``n`` rows."""
    rho2 = _rho(tuned_for, alpha) ** 2
    n = np.asarray(n, dtype=float)
    inner = 2 * (n * rho2 + 1) / (n**2 * rho2) * np.log(np.sqrt(n * rho2 + 1) / alpha)
    return sd * np.sqrt(inner)


def confidence_sequence(
    diffs: Any, *, alpha: float = 0.05, margin: float = 0.0, tuned_for: int = 200
) -> Sequence:
    """The confidence sequence of the mean of ``diffs`` at its current size, and how many rows
    it would take to clear ``margin`` if the mean and spread stayed as they are."""
    d = np.asarray(diffs, dtype=float)
    n = len(d)
    if n < 2:
        return Sequence(n, float(d.mean()) if n else 0.0, math.inf, -math.inf, math.inf, math.inf)
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    r = float(radius(n, sd, alpha, tuned_for))
    need = _rows_needed(mean, sd, margin, alpha, tuned_for)
    return Sequence(n, mean, sd, mean - r, mean + r, need)


def _rows_needed(mean: float, sd: float, margin: float, alpha: float, tuned_for: int) -> float:
    gap = mean - margin
    if gap <= 0:
        return math.inf
    if sd == 0:
        return float(MIN_ROWS)
    n = MIN_ROWS
    while n < 10**8:
        if radius(n, sd, alpha, tuned_for) < gap:
            break
        n *= 2
    lo, hi = n // 2, n  # the boundary shrinks with n: bisect the doubling's last step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if radius(mid, sd, alpha, tuned_for) < gap else (mid, hi)
    return float(max(hi, MIN_ROWS))
