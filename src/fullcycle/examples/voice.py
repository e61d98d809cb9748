"""The voice-search example: spoken queries routed to a domain, in a world that keeps changing.

``generate(period, n, seed=...)`` returns a frame of requests for one period (0-5). Period 0 is
the training data; each later period brings new artists, politicians, athletes, films, products
and places, fades some old ones, sends more cars onto the evening roads and grows the en-IN
locale. A model trained on period 0 decays, mostly on queries that name someone it never saw.

Columns served: ``request_time``, ``query``, ``locale``, ``device``, ``hour``; the target is
``domain``. Columns starting with ``_`` are the generator's truth (``_name``, ``_name_is_new``,
``_template``) and must be dropped before anything is served. :class:`Labeller` and
:func:`two_labellers` play the people who label queued rows, from that truth, with some noise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fullcycle.errors import InvalidInput
from fullcycle.examples import voice_queries as q
from fullcycle.examples.voice_names import (
    DOMAINS,
    N_PERIODS,
    Entity,
    build_world,
    mention_shares,
)

__all__ = [
    "DEVICES",
    "DOMAINS",
    "FEATURES",
    "LOCALES",
    "TARGET",
    "TRUTH_COLUMNS",
    "Labeller",
    "PeriodSummary",
    "describe",
    "generate",
    "period_range",
    "periods",
    "two_labellers",
    "without_truth",
]

LOCALES = q.LOCALES
DEVICES = q.DEVICES
TARGET = "domain"
TRUTH_COLUMNS: tuple[str, ...] = ("_name", "_name_is_new", "_template")
FEATURES: tuple[str, ...] = ("request_time", "query", "locale", "device", "hour")
PERIOD_DAYS = 28
MAX_ROWS = 5_000_000  # one call's frame; ask for more in several calls with other seeds
_EPOCH = pd.Timestamp("2026-01-05")  # a Monday; times are UTC, stored without a zone


def periods() -> list[int]:
    """The periods the generator knows, in order; 0 is the training period."""
    return list(range(N_PERIODS))


def period_range(period: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of ``period``: four weeks each, back to back."""
    _check_period(period)
    start = _EPOCH + pd.Timedelta(days=PERIOD_DAYS * period)
    return start, start + pd.Timedelta(days=PERIOD_DAYS)


def generate(period: int, n: int, *, seed: int = 0, world: int = 0) -> pd.DataFrame:
    """``n`` requests from ``period``, ordered by time; the same arguments give the same frame.

    ``seed`` picks the sample; ``world`` picks the invented names (keep it fixed across the
    periods and splits of one story, so that period 3's new singer is the same person in the
    training rows and in production).
    """
    _check_period(period)
    _check_count(n, "n")
    if n > MAX_ROWS:
        raise InvalidInput(
            f"n={n} rows is more than one call makes (at most {MAX_ROWS})",
            hint="generate in several calls with different seeds and concatenate",
        )
    _check_count(seed, "seed")
    _check_count(world, "world")
    rng = np.random.default_rng(np.random.SeedSequence([seed, period, 2026]))
    locale = rng.choice(len(LOCALES), size=n, p=q.locale_mix(period))
    hour = rng.choice(24, size=n, p=q.hour_mix())
    device = q.draw(rng, q.device_mix(period)[hour])
    domain = q.draw(rng, q.domain_mix(device, hour, locale))
    template = _templates(rng, domain, locale)
    name, is_new = _names(rng, build_world(world), period, domain, template)
    query = [t.replace("{x}", x) for t, x in zip(template, name, strict=True)]
    start, _ = period_range(period)
    offset = (
        rng.integers(0, PERIOD_DAYS, size=n).astype("int64") * 86_400
        + hour.astype("int64") * 3_600
        + rng.integers(0, 3_600, size=n)
    )
    frame = pd.DataFrame(
        {
            "request_time": start + pd.to_timedelta(offset, unit="s"),
            "query": query,
            "locale": np.asarray(LOCALES, dtype=object)[locale],
            "device": np.asarray(DEVICES, dtype=object)[device],
            "hour": hour.astype("int64"),
            TARGET: np.asarray(DOMAINS, dtype=object)[domain],
            "_name": name,
            "_name_is_new": is_new,
            "_template": template,
        }
    )
    return frame.sort_values("request_time", kind="stable", ignore_index=True)


def without_truth(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the generator's ``_`` truth columns (the target stays)."""
    return frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")])


def _templates(rng: np.random.Generator, domain: np.ndarray, locale: np.ndarray) -> list[str]:
    chosen = np.empty(len(domain), dtype=object)
    for d, dname in enumerate(DOMAINS):
        for lo, lname in enumerate(LOCALES):
            rows = np.flatnonzero((domain == d) & (locale == lo))
            texts, probs = q.template_mix(dname, lname)
            chosen[rows] = np.asarray(texts, dtype=object)[
                rng.choice(len(texts), len(rows), p=probs)
            ]
    generic = rng.random(len(domain)) < q.GENERIC_SHARE
    chosen[generic] = np.asarray(q.GENERIC, dtype=object)[
        rng.integers(0, len(q.GENERIC), generic.sum())
    ]
    return list(chosen)


def _names(
    rng: np.random.Generator,
    world: dict[str, list[Entity]],
    period: int,
    domain: np.ndarray,
    template: list[str],
) -> tuple[list[str], np.ndarray]:
    needs = np.fromiter(("{x}" in t for t in template), dtype=bool, count=len(template))
    name = np.full(len(domain), "", dtype=object)
    is_new = np.zeros(len(domain), dtype=bool)
    for d, dname in enumerate(DOMAINS):
        rows = np.flatnonzero(needs & (domain == d))
        pool = world[dname]
        shares = np.array(mention_shares(pool, period))
        picked = rng.choice(len(pool), len(rows), p=shares / shares.sum())
        name[rows] = np.asarray([e.name for e in pool], dtype=object)[picked]
        is_new[rows] = np.asarray([e.born > 0 for e in pool])[picked]
    return list(name), is_new


@dataclass(frozen=True)
class Labeller:
    """A simulated person who labels rows from the generator's truth, wrong ``noise`` of the time.

    The answer for a row depends only on the labeller's ``seed`` and the row's time and query,
    so labelling in batches of any size, in any order, gives the same labels.
    """

    seed: int = 0
    noise: float = 0.03

    def label(self, frame: pd.DataFrame) -> pd.Series:
        """One label per row of ``frame`` (which must still hold the ``domain`` truth)."""
        labels = np.asarray(DOMAINS, dtype=object)[self._codes(frame)]
        return pd.Series(labels, index=frame.index, name="label")

    def _codes(self, frame: pd.DataFrame) -> np.ndarray:
        _check_share(self.noise, "Labeller noise")
        truth = _truth(frame)
        wrong = _uniform(frame, self.seed, "noise") < self.noise
        return np.where(wrong, _other(truth, _uniform(frame, self.seed, "pick")), truth)


def two_labellers(
    frame: pd.DataFrame, *, seed: int = 0, noise: float = 0.03, disagreement: float = 0.1
) -> pd.DataFrame:
    """Columns ``label_a`` and ``label_b`` from two labellers who disagree on a share of rows.

    Where they disagree one of them (either, at random) gives the labeller's usual answer and
    the other a different domain; elsewhere they agree, mistakes included.
    """
    _check_share(disagreement, "disagreement")
    codes = Labeller(seed, noise)._codes(frame)
    splits = _uniform(frame, seed, "disagree") < disagreement
    other = np.where(splits, _other(codes, _uniform(frame, seed, "other")), codes)
    swap = _uniform(frame, seed, "swap") < 0.5
    names = np.asarray(DOMAINS, dtype=object)
    a = np.where(swap, other, codes)
    b = np.where(swap, codes, other)
    return pd.DataFrame({"label_a": names[a], "label_b": names[b]}, index=frame.index)


@dataclass(frozen=True)
class PeriodSummary:
    """What a period looks like: its time range, how many queries name someone new, the mixes."""

    period: int
    start: pd.Timestamp
    end: pd.Timestamp
    rows: int
    name_share: float  # queries that mention a name
    unseen_name_share: float  # queries that mention a name unseen in period 0
    active_names: int  # names mentioned at all in this period
    new_names: int  # of those, names born after period 0
    domain_mix: dict[str, float] = field(default_factory=dict)
    locale_mix: dict[str, float] = field(default_factory=dict)
    device_mix: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "start": self.start.isoformat(), "end": self.end.isoformat()}


def describe(period: int, *, n: int = 5000, seed: int = 0, world: int = 0) -> PeriodSummary:
    """Summarise ``period`` from a sample of ``n`` rows (deterministic for the same arguments)."""
    frame = generate(period, n, seed=seed, world=world)
    named = frame["_name"] != ""
    start, end = period_range(period)

    def shares(column: str, values: tuple[str, ...]) -> dict[str, float]:
        counts = frame[column].value_counts(normalize=True)
        return {v: round(float(counts.get(v, 0.0)), 4) for v in values}

    return PeriodSummary(
        period=period,
        start=start,
        end=end,
        rows=len(frame),
        name_share=round(float(named.mean()), 4) if n else 0.0,
        unseen_name_share=round(float(frame["_name_is_new"].mean()), 4) if n else 0.0,
        active_names=int(frame.loc[named, "_name"].nunique()),
        new_names=int(frame.loc[frame["_name_is_new"], "_name"].nunique()),
        domain_mix=shares(TARGET, DOMAINS),
        locale_mix=shares("locale", LOCALES),
        device_mix=shares("device", DEVICES),
    )


def _truth(frame: pd.DataFrame) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame) or TARGET not in frame.columns:
        raise InvalidInput(
            f"the frame to label has no {TARGET!r} column",
            hint="label rows from generate() before its truth columns are dropped",
        )
    values = frame[TARGET].astype(object).to_numpy()
    unknown = sorted({str(v) for v in values} - set(DOMAINS))
    if unknown:
        raise InvalidInput(
            f"column {TARGET!r} holds values that are not domains: {unknown[:5]}",
            hint=f"use one of {', '.join(DOMAINS)}",
        )
    lookup = {d: i for i, d in enumerate(DOMAINS)}
    return np.fromiter((lookup[v] for v in values), dtype=np.int64, count=len(values))


def _uniform(frame: pd.DataFrame, seed: int, purpose: str) -> np.ndarray:
    """A uniform [0, 1) number per row from its time and query: stable across batches."""
    key = hashlib.blake2b(f"{seed}:{purpose}".encode(), digest_size=8).hexdigest()
    cols = [c for c in ("request_time", "query") if c in frame.columns] or None
    source = frame[cols] if cols else frame.index.to_frame()
    h = pd.util.hash_pandas_object(source, index=cols is None, hash_key=key).to_numpy()
    return (h >> np.uint64(11)).astype(np.float64) / float(2**53)


def _other(codes: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A domain different from ``codes`` per row, chosen by ``u``."""
    shift = 1 + (u * (len(DOMAINS) - 1)).astype(np.int64)
    return (codes + shift) % len(DOMAINS)


def _check_period(period: object) -> None:
    if not isinstance(period, int | np.integer) or isinstance(period, bool):
        raise InvalidInput(f"period must be an integer, got {period!r}", hint=_PERIOD_HINT)
    if not 0 <= int(period) < N_PERIODS:
        raise InvalidInput(f"period {period} does not exist", hint=_PERIOD_HINT)


_PERIOD_HINT = f"use one of periods(): 0 to {N_PERIODS - 1}"


def _check_count(value: object, what: str) -> None:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{what} must be a non-negative integer, got {value!r}")


def _check_share(value: object, what: str) -> None:
    if not isinstance(value, float | int) or isinstance(value, bool) or not 0 <= value <= 1:
        raise InvalidInput(f"{what} must be a number between 0 and 1, got {value!r}")
